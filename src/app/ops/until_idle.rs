//! `sync --until-idle` through a running agent ([`SyncUntilIdle`]): nudge the engine, then wait
//! (asynchronously: every other request is served meanwhile) until nothing is pending, or until
//! pushing stopped: Twenty unreachable, or a problem a person must fix. [`IdleOutcome::of`] turns
//! what `engine::run_until_idle` returns in a process that opened the store itself into the
//! same answer.

use serde::{Deserialize, Serialize};

use super::{OpError, Operation};
use crate::app::agent::AgentHandle;
use crate::app::Live;
use crate::config::Settings;
use crate::domain::Counters;
use crate::engine::{EngineError, IdleReport, SyncState};

/// Pushes now and answers once nothing is pending or pushing stopped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncUntilIdle {}

/// How `sync --until-idle` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IdleOutcome {
    /// Nothing is pending. `settled` records were settled meanwhile; `parked` records wait
    /// for a person (see the failures).
    Idle { settled: u64, parked: u64 },
    /// Twenty could not be reached; the intents stay queued.
    Unreachable { message: String },
    /// Pushing stopped on something a person must fix (a refused key, a missing field).
    Stopped { message: String },
}

impl IdleOutcome {
    /// The outcome of `engine::run_until_idle` (a process that holds the store itself).
    pub fn of(result: Result<IdleReport, EngineError>) -> Result<IdleOutcome, OpError> {
        match result {
            Ok(report) => Ok(IdleOutcome::Idle {
                settled: report.settled as u64,
                parked: report.parked,
            }),
            Err(EngineError::Unreachable(error)) => Ok(IdleOutcome::Unreachable {
                message: error.to_string(),
            }),
            Err(EngineError::Store(error)) => Err(OpError::Store(error)),
            Err(other) => Ok(IdleOutcome::Stopped {
                message: other.to_string(),
            }),
        }
    }
}

/// Refused when these settings do not push to Twenty (sync off, paused, or platform mode).
pub fn check_pushes(settings: &Settings) -> Result<(), OpError> {
    if settings.pushes_directly() {
        return Ok(());
    }
    Err(OpError::bad_request(format!(
        "syncing is off (sync mode {}, enabled {}); set TWENTY_CRM_SYNC_MODE=direct_crm and TWENTY_CRM_ENABLED=true",
        settings.sync_mode.as_str(),
        settings.enabled
    )))
}

impl Operation for SyncUntilIdle {
    type Reply = IdleOutcome;

    async fn run(self, live: &Live) -> Result<IdleOutcome, OpError> {
        wait_until_idle(live.handle()).await
    }
}

/// Records that left the queue: pushed, left unchanged or parked.
fn settled(counters: &Counters) -> u64 {
    counters.created + counters.updated + counters.skipped_unchanged + counters.failed
}

async fn wait_until_idle(handle: &AgentHandle) -> Result<IdleOutcome, OpError> {
    check_pushes(&handle.settings())?;
    let mut status = handle.engine_changes();
    let mut waits = handle.engine_waits();
    let mut log = handle.log_changes();
    status.borrow_and_update();
    let nudged_at = *waits.borrow_and_update();
    log.borrow_and_update();
    let store = handle.store().clone();
    let before = settled(&store.counters()?);
    handle.sync_now();
    // Offline is sent again at every probe, so it is trusted once sent after the nudge; any
    // other state is sent only when it changes, so it is trusted once the engine stopped to
    // wait after the nudge (the pass before decided it).
    let mut status_since_nudge = false;
    loop {
        let counters = store.counters()?;
        if counters.pending == 0 {
            return Ok(IdleOutcome::Idle {
                settled: settled(&counters).saturating_sub(before),
                parked: counters.failed,
            });
        }
        let fresh = *waits.borrow() > nudged_at;
        let now = status.borrow().clone();
        match now.state {
            SyncState::Offline if status_since_nudge => {
                return Ok(IdleOutcome::Unreachable {
                    message: now.last_error.unwrap_or_default(),
                })
            }
            SyncState::NeedsAttention if fresh => {
                return Ok(IdleOutcome::Stopped {
                    message: now
                        .last_error
                        .unwrap_or_else(|| "pushing stopped; see the agent's log".into()),
                })
            }
            SyncState::Paused | SyncState::Disabled if fresh => {
                check_pushes(&handle.settings())?;
            }
            _ => {}
        }
        let agent_gone = || {
            OpError::Unavailable("the agent stopped before the queue was pushed; the intents stay queued: run the command again".into())
        };
        tokio::select! {
            changed = status.changed() => {
                changed.map_err(|_| agent_gone())?;
                status_since_nudge = true;
            }
            changed = waits.changed() => changed.map_err(|_| agent_gone())?,
            changed = log.changed() => changed.map_err(|_| agent_gone())?,
        }
    }
}
