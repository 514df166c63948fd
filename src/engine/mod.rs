//! The replay engine: pushes pending intents to Twenty with as few requests as possible and folds
//! every outcome back into the log as an event.
//!
//! # Layout
//! - [`pusher`]: one round: take a window of the pending queue, plan it (pure, in
//!   `domain::plan`), execute it through the Twenty client (a work stack of requests), record the
//!   results; the companies people refer to (memory → store → Twenty).
//! - [`decide`]: the decisions, pure: how a failed call is sorted, conflict handling, what the
//!   upsert probe teaches.
//! - [`strategy`]: how new records are sent, pure: created at once where a unique `externalId`
//!   proves absence, else looked up first; what a lookup by `externalId`, e-mail or domain means
//!   (already there, update, adopt, conflict, create); what follows a refused batch.
//! - [`batching`]: how many records per request, pure: the setting within the largest batch the
//!   server takes (learned from its refusal), lookups within one URL.
//! - [`conflict`]: what a duplicate collided with (field, value, the record holding it) and the
//!   failure's message that names it, pure.
//! - [`runner`]: the long-running loop: states (syncing, idle, offline, paused, disabled, needs
//!   attention), offline probing with backoff, waking up on new intents and setting changes.
//! - [`upstream`]: [`Upstream`], what the runner drives: the pusher (direct mode) or the relay
//!   forwarder (platform mode).
//! - [`schema`]: the `externalId` fields checked before pushing, remembered and forgotten.
//! - [`state`]: [`SyncState`], the engine's state in one word.
//!
//! Invariant: a record is created in Twenty only where a second one with its `externalId` cannot
//! be: the field is unique (Twenty refuses the duplicate, and the refusal is looked up and
//! mapped), or a lookup by `externalId` found nothing, or through an upsert keyed on a unique
//! `externalId`. So a crash between a push and the recording of its result never creates a
//! second record.

pub mod batching;
pub mod conflict;
pub mod decide;
pub mod pusher;
pub mod runner;
pub mod schema;
pub mod state;
pub mod strategy;
pub mod upstream;

pub use crate::domain::plan::RoundOutcome;
pub use decide::UpsertSupport;
pub use pusher::Pusher;
pub use runner::{run_until_idle, EngineStatus, IdleReport, Runner, RunnerHandle};
pub use schema::{ensure_schema, forget_schema, remember_schema};
pub use state::SyncState;
pub use upstream::{Upstream, UpstreamError};

use crate::config::ConfigError;
use crate::store::StoreError;
use crate::twenty::TwentyError;

/// Why a round stopped early. Record-level problems never stop a round: they park the record.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Twenty could not be reached or answered with a server error: retry later (go offline).
    #[error("Twenty is unreachable: {0}")]
    Unreachable(TwentyError),
    /// Twenty refused the key or the workspace is out of quota: a person must fix the settings.
    #[error("Twenty refused the request: {0}")]
    Refused(TwentyError),
    /// Twenty answers a request the round cannot do without (a lookup) with a 4xx that is not
    /// about the key: it refuses the request itself, and asking again unchanged will not help.
    /// A person must look (the server address, Twenty's version); never "offline".
    #[error(
        "Twenty refuses our requests ({}); check that the server address points at a supported \
         Twenty server, then sync again",
        refusal(.0)
    )]
    Rejected(TwentyError),
    /// The `externalId` field is missing and cannot be created with this key: a person must act.
    #[error("{0}")]
    SchemaMissing(String),
    /// Twenty no longer knows the `externalId` field (deleted in its data model): check and
    /// re-create the schema before pushing again. Nothing was parked.
    #[error("the externalId field is gone from Twenty: {0}")]
    SchemaLost(TwentyError),
    /// The Twenty address or API key is missing or unusable: a person must set it.
    #[error(transparent)]
    Settings(#[from] ConfigError),
    /// The local store failed; see the store error for what to do.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `400: <Twenty's text>`, or the error's own text when Twenty gave no status.
fn refusal(error: &TwentyError) -> String {
    match (error.status(), error.server_message()) {
        (Some(status), Some(text)) => format!("{status}: {text}"),
        (Some(status), None) => status.to_string(),
        (None, _) => error.to_string(),
    }
}

impl EngineError {
    /// Retrying later without any change may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, EngineError::Unreachable(_))
    }
}
