//! Shared helpers: a store with an explicit config context (file secret store), bounded waits,
//! the binary in a temp data dir.

use std::path::{Path, PathBuf};
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
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..600 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

pub const BIN: &str = env!("CARGO_BIN_EXE_twenty-sync");

/// Every file below `dir` with its bytes.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
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
