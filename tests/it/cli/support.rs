//! Runs the real binary against a temp data dir.

use std::path::PathBuf;
use std::process::Command;

pub use crate::support::{all_bytes_below, contains, Run};

pub struct Cli {
    pub dir: tempfile::TempDir,
    pub envs: Vec<(String, String)>,
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
        let mut command = crate::support::twenty_sync(&self.data_dir());
        command.args(args);
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
