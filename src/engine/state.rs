//! The engine's state in one word, as every front end shows it.

use serde::{Deserialize, Serialize};

/// The sync state in one word (kebab-case in JSON): what a person needs to know first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncState {
    /// Nothing waits and nothing failed.
    Idle,
    /// Intents wait to be pushed.
    Pending,
    /// The engine is pushing.
    Syncing,
    /// Twenty cannot be reached; intents are queued.
    Offline,
    /// Pushing is paused by the settings (`enabled = false`).
    Paused,
    /// The sync mode is `disabled`: intents are recorded but never pushed.
    Disabled,
    /// Records are parked as failed, or the key was refused: a person must act.
    NeedsAttention,
}
