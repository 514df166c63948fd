//! Helpers of the settings tests: a store with an explicit config context (file secret store),
//! an agent on it, bounded waits.

use std::path::Path;
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
