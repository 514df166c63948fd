//! The harness of the door suite: a data directory with its own fake Twenty, commands run on it
//! with or without a real `twenty-sync run` holding the store, and the normalisation that makes
//! the two outputs comparable (ids, times, addresses and what only a running agent knows).

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fake_twenty::{FakeConfig, FakeTwenty};

pub use super::support::Run;

/// A fake Twenty on its own runtime, so the tests stay synchronous.
pub struct Twenty {
    fake: Option<FakeTwenty>,
    runtime: tokio::runtime::Runtime,
}

impl Twenty {
    pub fn start(config: FakeConfig) -> Twenty {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let fake = runtime.block_on(FakeTwenty::start(config));
        Twenty {
            fake: Some(fake),
            runtime,
        }
    }

    pub fn get(&self) -> &FakeTwenty {
        self.fake.as_ref().unwrap()
    }
}

impl Drop for Twenty {
    fn drop(&mut self) {
        let _guard = self.runtime.enter();
        self.fake.take();
    }
}

/// One data directory, its fake Twenty, and the agent running on it (if started).
pub struct Side {
    pub name: &'static str,
    pub dir: tempfile::TempDir,
    pub twenty: Twenty,
    pub envs: Vec<(String, String)>,
    agent: Option<Child>,
}

impl Side {
    pub fn new(name: &'static str, config: FakeConfig) -> Side {
        Side {
            name,
            dir: tempfile::tempdir().unwrap(),
            twenty: Twenty::start(config),
            envs: vec![
                ("TWENTY_SYNC_SECRET_STORE".into(), "file".into()),
                ("TWENTY_SYNC_UI_PORT".into(), "0".into()),
                ("TWENTY_SYNC_STABILITY_DELAY_MS".into(), "50".into()),
            ],
            agent: None,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("run.log")
    }

    /// `{twenty}` and `{key}` in an argument stand for this side's fake server and key.
    fn expand(&self, arg: &str) -> String {
        arg.replace("{twenty}", &self.twenty.get().base_url())
            .replace("{key}", &self.twenty.get().api_key())
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = crate::support::twenty_sync(&self.data_dir());
        command.args(args.iter().map(|arg| self.expand(arg)));
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    /// Runs one command to its end (at most two minutes), `stdin` as its standard input.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(self.expand(text).as_bytes()).unwrap();
        }
        drop(input);
        let (done, finished) = std::sync::mpsc::channel();
        let id = child.id();
        std::thread::spawn(move || {
            let _ = done.send(child.wait_with_output());
        });
        match finished.recv_timeout(Duration::from_secs(120)) {
            Ok(output) => output.unwrap().into(),
            Err(_) => panic!(
                "{}: {args:?} (pid {id}) ran longer than two minutes",
                self.name
            ),
        }
    }

    /// Starts `twenty-sync run` and waits until it holds the store and serves its API.
    pub fn start_agent(&mut self) {
        let log = std::fs::File::create(self.log_path()).unwrap();
        let mut child = self
            .command(&["run"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let file = twenty_sync::api::AgentFile::read(&self.data_dir());
            if file.is_some_and(|f| f.pid == Some(child.id()) && f.port.is_some()) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the agent exited ({status}): {}", self.agent_log());
            }
            assert!(
                Instant::now() < deadline,
                "the agent never started: {}",
                self.agent_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.agent = Some(child);
    }

    /// What the agent wrote to stdout and stderr so far.
    pub fn agent_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Stops the agent (SIGTERM, as Ctrl-C would; SIGKILL after ten seconds).
    pub fn stop_agent(&mut self) {
        let Some(mut child) = self.agent.take() else {
            return;
        };
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Text made comparable between sides: this side's paths, server address and key, ids,
    /// times, latencies, and the note that the agent was asked.
    pub fn normalize(&self, text: &str) -> String {
        let text = text
            .replace(&self.data_dir().display().to_string(), "<data>")
            .replace(&self.twenty.get().base_url(), "<twenty>");
        let key = self.twenty.get().api_key();
        let text = text.replace(&format!("****{}", &key[key.len() - 4..]), "****<key>");
        let lines: Vec<String> = text
            .lines()
            .filter(|line| !line.starts_with("(asking the agent"))
            .map(mask_variable_parts)
            .collect();
        lines.join("\n")
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

/// UUIDs, times and durations replaced by placeholders.
fn mask_variable_parts(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        if let Some(len) = uuid_at(&chars[at..]) {
            out.push_str("<uuid>");
            at += len;
        } else if let Some(len) = time_at(&chars[at..]) {
            out.push_str("<time>");
            at += len;
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    mask_durations(&mask_numbers_after(
        &out,
        &["\"latency_ms\": ", "in sync: "],
    ))
    // How many records a sync settled depends on what the agent pushed by itself before.
    .replace("in sync: N record settled", "in sync: N records settled")
}

/// `12 ms` → `N ms`.
fn mask_durations(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(found) = rest.find(" ms") {
        let head = &rest[..found];
        let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(&head[..head.len() - digits]);
        if digits > 0 {
            out.push('N');
        } else {
            out.push_str(&head[head.len() - digits..]);
        }
        out.push_str(" ms");
        rest = &rest[found + 3..];
    }
    out.push_str(rest);
    out
}

/// The length of a UUID (8-4-4-4-12 hex digits) at the start of `chars`.
fn uuid_at(chars: &[char]) -> Option<usize> {
    let groups = [8, 4, 4, 4, 12];
    let mut at = 0;
    for (index, len) in groups.iter().enumerate() {
        if index > 0 {
            (chars.get(at) == Some(&'-')).then_some(())?;
            at += 1;
        }
        let hex = chars.get(at..at + len)?;
        hex.iter().all(char::is_ascii_hexdigit).then_some(())?;
        at += len;
    }
    Some(at)
}

/// The length of an RFC 3339 time (`2026-01-31T12:00:00.123Z`, fraction and zone optional).
fn time_at(chars: &[char]) -> Option<usize> {
    let shape = "dddd-dd-ddTdd:dd:dd";
    for (index, expected) in shape.chars().enumerate() {
        let found = *chars.get(index)?;
        let fits = match expected {
            'd' => found.is_ascii_digit(),
            other => found == other,
        };
        fits.then_some(())?;
    }
    let mut at = shape.len();
    while chars
        .get(at)
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'Z' | '+' | ':'))
    {
        at += 1;
    }
    Some(at)
}

/// The digits right after each marker (a latency, a count of settled records) replaced by `N`.
fn mask_numbers_after(line: &str, markers: &[&str]) -> String {
    let mut out = line.to_string();
    for marker in markers {
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(found) = rest.find(marker) {
            let (head, tail) = rest.split_at(found + marker.len());
            result.push_str(head);
            let digits = tail.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 {
                result.push('N');
            }
            rest = &tail[digits..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[test]
fn variable_parts_are_masked() {
    assert_eq!(
        mask_variable_parts(
            "#12 2026-01-31T12:00:00.123Z recorded 0190c1e2-aaaa-7bbb-8ccc-0123456789ab (12 ms)"
        ),
        "#12 <time> recorded <uuid> (N ms)"
    );
    assert_eq!(
        mask_variable_parts("answered in 2 ms, 3 items"),
        "answered in N ms, 3 items"
    );
    assert_eq!(
        mask_variable_parts("in sync: 3 records settled (see 2 things)"),
        "in sync: N records settled (see 2 things)"
    );
}
