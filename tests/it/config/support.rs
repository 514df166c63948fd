//! Helpers of the settings tests: a store with an explicit config context (file secret store),
//! an agent on it, bounded waits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use twenty_sync::app::agent::Agent;
use twenty_sync::clock::SystemClock;
use twenty_sync::config::{ConfigContext, Layer, SecretStore, SecretStoreChoice, Settings};
use twenty_sync::store::Store;

/// A context with no flags, no environment and the 0600-file secret store of `dir`.
pub fn file_context(dir: &Path, defaults: Settings) -> ConfigContext {
    ConfigContext {
        flags: Layer::new(),
        env: Default::default(),
        defaults,
        secrets: Arc::new(SecretStore::new(dir, SecretStoreChoice::File)),
    }
}

pub fn open_store(dir: &Path) -> Store {
    Store::open(dir, Arc::new(SystemClock)).unwrap()
}

/// Starts an agent on `dir` whose secrets go to the file store.
pub fn start_agent(dir: &Path, defaults: Settings) -> Agent {
    let store = open_store(dir);
    let context = file_context(dir, defaults);
    let effective = context.load(&store).unwrap();
    Agent::start_configured(store, context, effective)
}

/// Waits (bounded: 30 s) until the condition holds.
pub async fn eventually(what: &str, condition: impl FnMut() -> bool) {
    crate::support::eventually(what, Duration::from_secs(30), condition).await;
}

pub use crate::support::{all_bytes_below as all_files, contains, BIN};

/// The real binary on a temp data dir and home, with no session bus: the keyring is unavailable
/// and secrets go to the 0600 file.
pub struct Cli {
    pub dir: tempfile::TempDir,
    /// Choose the file secret store outright (`TWENTY_SYNC_SECRET_STORE=file`), so that no
    /// keyring warning is printed.
    pub file_secrets: bool,
}

impl Cli {
    pub fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            file_secrets: false,
        }
    }

    pub fn with_file_secrets() -> Cli {
        Cli {
            file_secrets: true,
            ..Cli::new()
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = crate::support::twenty_sync(&self.data_dir());
        std::fs::create_dir_all(self.home()).unwrap();
        command
            .args(args)
            .env("HOME", self.home())
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("DISPLAY");
        if self.file_secrets {
            command.env("TWENTY_SYNC_SECRET_STORE", "file");
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

/// Standard output and standard error of a run, together.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
