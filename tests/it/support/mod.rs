//! What every integration test shares: the real `twenty-sync` binary started with a clean
//! environment, the output of a run, the files below a folder, and bounded waits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_twenty-sync");

/// `twenty-sync --data-dir <data_dir>` with every `TWENTY_*` variable of this process cleared
/// (the developer's own settings never reach a test), logs at the default level and no colour.
pub fn twenty_sync(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(data_dir);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("TWENTY_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
}

/// What a finished run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Every file below `dir` with its bytes, for "never appears anywhere" checks.
pub fn all_bytes_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Waits (polling every 20 ms) until `condition` holds; fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_until`] inside an async test.
pub async fn eventually(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the long stress suites run (`TWENTY_SYNC_STRESS=1`, set by CI and
/// `scripts/test.sh`); otherwise each says it was skipped.
pub fn stress_enabled(suite: &str) -> bool {
    let enabled = std::env::var("TWENTY_SYNC_STRESS").is_ok_and(|v| v == "1");
    if !enabled {
        eprintln!("{suite}: skipped (set TWENTY_SYNC_STRESS=1 to run the stress suites)");
    }
    enabled
}

/// Copies a folder tree (a committed fixture store, a prepared data directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
