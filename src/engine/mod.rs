//! The replay engine: pushes pending intents to Twenty with as few requests as possible and folds
//! every outcome back into the log as an event.
//!
//! # Layout
//! - [`pusher`]: one round: take a window of the pending queue, plan it (pure, in
//!   `domain::plan`), execute it through the Twenty client, record the results.
//! - [`companies`]: the memory tier of the three-tier company lookup (memory → store → Twenty).
//! - [`runner`]: the long-running loop: states (syncing, idle, offline, paused, disabled, needs
//!   attention), offline probing with backoff, waking up on new intents and setting changes.
//!
//! Invariant: a record is created in Twenty only after a lookup by `externalId` found nothing (or
//! through an upsert keyed on `externalId`), so a crash between a push and the recording of its
//! result never creates a second record.

pub mod companies;
pub mod pusher;
pub mod runner;

pub use pusher::{Pusher, RoundOutcome, UpsertSupport};
pub use runner::{run_until_idle, EngineStatus, IdleReport, Runner, RunnerHandle};

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
    /// The `externalId` field is missing and cannot be created with this key: a person must act.
    #[error("{0}")]
    SchemaMissing(String),
    /// The local store failed; see the store error for what to do.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EngineError {
    /// Retrying later without any change may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, EngineError::Unreachable(_))
    }
}

/// How the engine should treat a failed call.
pub(crate) enum Disposition {
    /// The server or the network: retry the whole round later.
    Transient,
    /// The key or the workspace: stop until the settings change.
    Refused,
    /// The record itself (duplicate, invalid, gone): handle or park this record only.
    Record,
}

pub(crate) fn disposition(error: &TwentyError) -> Disposition {
    use crate::twenty::ErrorCode::*;
    match error.code() {
        AuthError | QuotaExhausted => Disposition::Refused,
        Duplicate | ValidationError | NotFound => Disposition::Record,
        RateLimit | Timeout | NetworkError | ServerError | OperationFailed => {
            Disposition::Transient
        }
    }
}

pub(crate) fn classify(error: TwentyError) -> EngineError {
    match disposition(&error) {
        Disposition::Refused => EngineError::Refused(error),
        _ => EngineError::Unreachable(error),
    }
}

#[cfg(test)]
mod tests;
