//! Runs the real binary against a temp data dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_twenty-sync");

pub struct Cli {
    pub dir: tempfile::TempDir,
    pub envs: Vec<(String, String)>,
}

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

impl Cli {
    pub fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            envs: Vec::new(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn env(mut self, key: &str, value: &str) -> Cli {
        self.envs.push((key.into(), value.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("TWENTY_SYNC_DATA_DIR")
            .env_remove("TWENTY_CRM_BASE_URL")
            .env_remove("TWENTY_CRM_API_KEY")
            .env_remove("TWENTY_CRM_SYNC_MODE")
            .env_remove("TWENTY_CRM_ENABLED")
            .env_remove("RUST_LOG");
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().unwrap().into()
    }

    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
        run
    }
}

/// Every file below `dir`, as bytes, for "never appears anywhere" checks.
pub fn all_bytes_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
