//! Shared harness of the stress suites: seeds, the fake Twenty on its own runtime, the real
//! binary in a temp data dir (run, kill, restart); the checks after each run are in `invariants`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_twenty::{FakeConfig, FakeTwenty};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;
use twenty_sync::clock::SystemClock;
use twenty_sync::store::Store;

/// The base seed: `STRESS_SEED` to replay, else derived from the clock. Printed either way.
pub fn base_seed(suite: &str) -> u64 {
    let seed = std::env::var("STRESS_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
                % 1_000_000_007
        });
    eprintln!("[{suite}] seed {seed} (replay with STRESS_SEED={seed})");
    seed
}

/// Runs per scenario: `STRESS_RUNS`, else the CI default.
pub fn runs(default: usize) -> usize {
    std::env::var("STRESS_RUNS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

pub fn rng(seed: u64, run: usize) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(run as u64))
}

/// A fake Twenty served by its own runtime, so the tests themselves stay synchronous.
pub struct Fake {
    pub fake: Option<FakeTwenty>,
    rt: tokio::runtime::Runtime,
}

impl Fake {
    pub fn start(config: FakeConfig) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let fake = rt.block_on(FakeTwenty::start(config));
        Fake {
            fake: Some(fake),
            rt,
        }
    }

    pub fn with_external_id() -> Fake {
        let mut config = FakeConfig::current();
        config.with_external_id = true;
        config.hang_duration = Duration::from_secs(3);
        Fake::start(config)
    }

    pub fn get(&self) -> &FakeTwenty {
        self.fake.as_ref().unwrap()
    }

    /// The most requests that arrived within any `window` (sliding).
    pub fn max_in_window(&self, window: Duration) -> usize {
        let mut times: Vec<i64> = self.get().requests().iter().map(|r| r.at_ms).collect();
        times.sort_unstable();
        let window = window.as_millis() as i64;
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end] - times[start] >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _guard = self.rt.enter();
        self.fake.take();
    }
}

/// What one command printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub killed: bool,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", self.stdout, self.stderr))
    }
}

/// A data directory and the environment the binary runs with.
pub struct Agent {
    pub dir: tempfile::TempDir,
    pub envs: Vec<(String, String)>,
    /// Pids of the `run` agents started, killed when the test ends (a failed assertion
    /// must not leave one running).
    running: std::sync::Mutex<Vec<u32>>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let pids = self.running.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            // Only if it is still our agent: its command line names our data dir.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let ours = String::from_utf8_lossy(&cmdline)
                .contains(self.data_dir().to_string_lossy().as_ref());
            if ours {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        }
    }
}

impl Agent {
    pub fn new(fake: Option<&Fake>) -> Agent {
        let mut agent = Agent {
            dir: tempfile::tempdir().unwrap(),
            running: std::sync::Mutex::new(Vec::new()),
            envs: vec![
                ("TWENTY_SYNC_SECRET_STORE".into(), "file".into()),
                ("TWENTY_SYNC_UI_PORT".into(), "0".into()),
                ("TWENTY_SYNC_STABILITY_DELAY_MS".into(), "50".into()),
            ],
        };
        if let Some(fake) = fake {
            agent.set_env("TWENTY_CRM_BASE_URL", &fake.get().base_url());
            agent.set_env("TWENTY_CRM_API_KEY", &fake.get().api_key());
        }
        agent
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.into(), value.into()));
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn inbox(&self) -> PathBuf {
        self.data_dir().join("inbox")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = crate::support::twenty_sync(&self.data_dir());
        command
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("STRESS_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().unwrap()
    }

    /// Runs to completion, or kills it with SIGKILL after `kill_after` (when given).
    pub fn run_or_kill(&self, args: &[&str], kill_after: Option<Duration>) -> Run {
        let child = self.spawn(args);
        finish(child, kill_after, Duration::from_secs(120), args)
    }

    /// Runs to completion within `limit` (panics past it).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_or_kill(args, None)
    }

    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "{args:?} failed: {}", run.stderr);
        run
    }

    /// Runs with `stdin` as standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut command = self.command(args);
        command.stdin(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        finish(child, None, Duration::from_secs(60), args)
    }

    /// `sync --until-idle` until it exits 0 or 1 (parked records), retrying a bounded number of
    /// times while Twenty is unreachable.
    pub fn sync_until_idle(&self) -> Run {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let run = self.run(&["sync", "--until-idle"]);
            if matches!(run.code, Some(0) | Some(1)) {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "sync --until-idle never finished: {run:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `status --json` (through the running agent when there is one); `None` while it cannot
    /// answer (the agent is starting).
    pub fn status(&self) -> Option<Value> {
        let run = self.run(&["status", "--json"]);
        (run.code == Some(0))
            .then(|| serde_json::from_str(&run.stdout).ok())
            .flatten()
    }

    /// Starts `twenty-sync run`, its output appended to `run.log` beside the data dir (a pipe
    /// nobody reads would block it).
    pub fn start_run(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.run_log())
            .unwrap();
        let mut child = self
            .command(&["run"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        if let Ok(mut running) = self.running.lock() {
            running.push(child.id());
        }
        // Wait until it holds the store and serves its API (`agent.json` names its pid), so
        // that no `status` of ours races it for the store lock.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let file = twenty_sync::api::security::AgentFile::read(&self.data_dir());
            if file.is_some_and(|f| f.pid == Some(child.id()) && f.port.is_some()) {
                return child;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the agent exited ({status}): {}", self.run_log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "the agent never started: {}",
                self.run_log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn run_log(&self) -> PathBuf {
        self.dir.path().join("run.log")
    }

    /// The last lines the agents printed.
    pub fn run_log_tail(&self) -> String {
        if std::env::var("STRESS_LOG").is_ok() {
            return std::fs::read_to_string(self.run_log()).unwrap_or_default();
        }
        tail(&std::fs::read_to_string(self.run_log()).unwrap_or_default())
    }

    /// Waits until the running agent says it is in sync (nothing pending, the inbox empty),
    /// then stops it (SIGKILL). Panics after `limit`.
    pub fn wait_in_sync_and_stop(&self, mut child: Child, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the agent exited ({status}): {}", self.run_log_tail());
            }
            if self.inbox_is_empty() {
                if let Some(status) = self.status() {
                    let state = status["state"].as_str().unwrap_or_default();
                    if status["pending"] == 0 && matches!(state, "idle" | "needs_attention") {
                        break;
                    }
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "not in sync after {limit:?}: {:?}\n{}",
                    self.status(),
                    self.run_log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(150));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// No data file waits in the drop folder (processed/failed/reports aside).
    pub fn inbox_is_empty(&self) -> bool {
        let Ok(entries) = std::fs::read_dir(self.inbox()) else {
            return true;
        };
        entries.flatten().all(|e| e.path().is_dir())
    }

    /// Writes a file into the drop folder atomically (`.tmp` then rename).
    pub fn drop_file(&self, name: &str, contents: &str) {
        std::fs::create_dir_all(self.inbox()).unwrap();
        let temp = self.inbox().join(format!("{name}.tmp"));
        std::fs::write(&temp, contents).unwrap();
        std::fs::rename(&temp, self.inbox().join(name)).unwrap();
    }

    pub fn open_store(&self) -> Store {
        Store::open(&self.data_dir(), Arc::new(SystemClock)).unwrap()
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn finish(mut child: Child, kill_after: Option<Duration>, limit: Duration, args: &[&str]) -> Run {
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = read(Box::new(stdout));
    let err = read(Box::new(stderr));
    let started = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let elapsed = started.elapsed();
        if kill_after.is_some_and(|k| elapsed >= k) {
            child.kill().unwrap();
            killed = true;
            break child.wait().unwrap();
        }
        if elapsed > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{args:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        killed,
    }
}
