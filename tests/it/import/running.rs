//! What the import suites share: a folder with a data directory and the person's files, the real
//! binary run in it (with settings from the environment), and a running agent (`twenty-sync
//! run`) asked through its local API with the same typed operations the UI and the CLI send.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use twenty_sync::api::client::AgentClient;
use twenty_sync::api::security::AgentFile;
use twenty_sync::app::ops::Operation;

pub use crate::support::Run;

/// A temporary folder: `data/` for the store, the person's files beside it.
pub struct Folder {
    pub dir: tempfile::TempDir,
    pub envs: Vec<(String, String)>,
}

impl Folder {
    pub fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().expect("tempdir"),
            envs: Vec::new(),
        }
    }

    /// Pushing to this fake Twenty (a short stability delay for the drop folder).
    pub fn for_twenty(base_url: &str, api_key: &str) -> Folder {
        let mut folder = Folder::new();
        folder.envs = vec![
            ("TWENTY_CRM_BASE_URL".into(), base_url.into()),
            ("TWENTY_CRM_API_KEY".into(), api_key.into()),
        ];
        folder
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = crate::support::twenty_sync(&self.data());
        command.args(args).current_dir(self.dir.path());
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("the binary runs").into()
    }

    /// `twenty-sync --ui-port 0 --stability-delay-ms 100 run`, until it serves its API.
    pub fn start_agent(&self) -> RunningAgent {
        let log = std::fs::File::create(self.path("run.log")).expect("log");
        let child = self
            .command(&["--ui-port", "0", "--stability-delay-ms", "100", "run"])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("the agent starts");
        let agent = RunningAgent {
            child,
            data: self.data(),
            log: self.path("run.log"),
        };
        agent.wait_until_serving();
        agent
    }
}

/// A `twenty-sync run` in the folder; killed when dropped.
pub struct RunningAgent {
    pub child: Child,
    data: PathBuf,
    log: PathBuf,
}

impl RunningAgent {
    fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let file = AgentFile::read(&self.data);
            if file.is_some_and(|f| f.pid == Some(self.child.id()) && f.port.is_some()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the agent never served its API: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs one operation on the agent (blocking: never call it on an async runtime's thread).
    pub fn call<O: Operation>(&self, op: O) -> O::Reply {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = AgentClient::find(&self.data).expect("agent.json");
        runtime
            .block_on(client.call(op))
            .unwrap_or_else(|e| panic!("the agent refused: {e}"))
    }

    /// Kills the agent at once (SIGKILL: a crash), and waits for it.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (polling every 50 ms) until `probe` gives a value; fails the test after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A CSV of `rows` companies (`companies…` names make them companies).
pub fn companies_csv(rows: u64, name_prefix: &str) -> String {
    let mut text = String::from("id,name\n");
    for i in 1..=rows {
        text.push_str(&format!("c{i},{name_prefix} {i}\n"));
    }
    text
}

/// The text of a run, for assertion messages.
pub fn said(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}
