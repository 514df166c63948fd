//! Report types for display and JSON output (`status`, `events`, `mappings`). These are the
//! shapes other tools rely on; the stored types stay free to be what storage needs.

use serde::{Deserialize, Serialize};

use crate::clock::format_ms;
use crate::domain::{Counters, FailedEntry, Mapping, RecordKey};
pub use crate::engine::SyncState;
pub use event_rows::{count, plural, EventRow};

mod event_rows;
use crate::store::{Result, Store};

/// Counts of mapped records per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingCounts {
    pub companies: u64,
    pub people: u64,
}

/// What `status --json` and `GET /api/status` print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub state: SyncState,
    pub pending: u64,
    pub failed: u64,
    pub synced: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped_unchanged: u64,
    pub intents: u64,
    pub events: u64,
    pub imports: u64,
    pub mappings: MappingCounts,
    pub last_push_at: Option<String>,
    pub last_error: Option<String>,
    /// When the current state began (e.g. offline since), when an agent is running.
    pub since: Option<String>,
    /// When the next attempt is due while offline.
    pub next_retry_at: Option<String>,
    /// Requests sent to Twenty in the last minute, and the budget per minute.
    pub requests_last_minute: Option<u32>,
    pub rate_limit: Option<u32>,
    /// Platform mode: what the upstream relay accepted from this agent (absent when nothing
    /// was ever forwarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<ForwardedReport>,
}

/// What the upstream relay accepted (platform mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedReport {
    /// Intents the relay accepted as new.
    pub accepted: u64,
    /// Intents the relay already had (re-sent after a lost answer).
    pub already_accepted: u64,
    pub last_forward_at: Option<String>,
}

impl StatusReport {
    /// The status as the store alone knows it (no engine running in this process).
    pub fn from_store(store: &Store) -> Result<StatusReport> {
        let counters = store.counters()?;
        let state = if counters.failed > 0 {
            SyncState::NeedsAttention
        } else if counters.pending > 0 {
            SyncState::Pending
        } else {
            SyncState::Idle
        };
        Ok(StatusReport::new(counters, state, None))
    }

    pub fn new(counters: Counters, state: SyncState, last_error: Option<String>) -> StatusReport {
        StatusReport {
            state,
            pending: counters.pending,
            failed: counters.failed,
            synced: counters.synced(),
            created: counters.created,
            updated: counters.updated,
            skipped_unchanged: counters.skipped_unchanged,
            intents: counters.intents,
            events: counters.events,
            imports: counters.imports,
            mappings: MappingCounts {
                companies: counters.mapped_companies,
                people: counters.mapped_people,
            },
            last_push_at: counters.last_push_ms.map(format_ms),
            last_error,
            since: None,
            next_retry_at: None,
            requests_last_minute: None,
            rate_limit: None,
            forwarded: None,
        }
    }

    /// Adds what the upstream relay accepted, when anything was ever forwarded.
    pub fn with_forwarded(mut self, forwarded: crate::domain::ForwardCounters) -> StatusReport {
        if forwarded.accepted + forwarded.already_accepted > 0 {
            self.forwarded = Some(ForwardedReport {
                accepted: forwarded.accepted,
                already_accepted: forwarded.already_accepted,
                last_forward_at: forwarded.last_forward_ms.map(format_ms),
            });
        }
        self
    }

    /// The status of a running agent: the store's counts with the engine's live state. Parked
    /// records turn an idle engine into "needs attention"; waiting intents into "pending".
    pub fn live(
        counters: Counters,
        engine: &crate::engine::EngineStatus,
        requests_last_minute: u32,
        rate_limit: u32,
    ) -> StatusReport {
        let state = match engine.state {
            SyncState::Idle if counters.failed > 0 => SyncState::NeedsAttention,
            SyncState::Idle if counters.pending > 0 => SyncState::Pending,
            other => other,
        };
        StatusReport {
            since: engine.since_ms.map(format_ms),
            next_retry_at: engine.next_retry_ms.map(format_ms),
            requests_last_minute: Some(requests_last_minute),
            rate_limit: Some(rate_limit),
            ..StatusReport::new(counters, state, engine.last_error.clone())
        }
    }
}

/// One mapping (or parked failure) for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRow {
    pub kind: String,
    pub external_id: String,
    pub twenty_id: Option<String>,
    pub last_synced_at: Option<String>,
    pub state: String,
    pub error: Option<String>,
}

impl MappingRow {
    pub fn synced(key: &RecordKey, mapping: &Mapping, pending: bool) -> MappingRow {
        MappingRow {
            kind: key.kind.as_str().to_string(),
            external_id: key.external_id.clone(),
            twenty_id: Some(mapping.twenty_id.clone()),
            last_synced_at: Some(format_ms(mapping.last_synced_ms)),
            state: if pending { "pending" } else { "synced" }.to_string(),
            error: None,
        }
    }

    pub fn failed(key: &RecordKey, failed: &FailedEntry, mapping: Option<&Mapping>) -> MappingRow {
        MappingRow {
            kind: key.kind.as_str().to_string(),
            external_id: key.external_id.clone(),
            twenty_id: mapping.map(|m| m.twenty_id.clone()),
            last_synced_at: mapping.map(|m| format_ms(m.last_synced_ms)),
            state: "failed".to_string(),
            error: Some(format!("{}: {}", failed.code.as_str(), failed.message)),
        }
    }
}

/// Every mapping plus every parked failure, for `twenty-sync mappings`.
pub fn mapping_rows(store: &Store) -> Result<Vec<MappingRow>> {
    let mut rows = Vec::new();
    let failures: std::collections::BTreeMap<RecordKey, FailedEntry> =
        store.failures()?.into_iter().collect();
    for (key, mapping) in store.mappings()? {
        match failures.get(&key) {
            Some(failed) => rows.push(MappingRow::failed(&key, failed, Some(&mapping))),
            None => {
                let pending = store.pending(&key)?.is_some();
                rows.push(MappingRow::synced(&key, &mapping, pending));
            }
        }
    }
    for (key, failed) in &failures {
        if store.mapping(key)?.is_none() {
            rows.push(MappingRow::failed(key, failed, None));
        }
    }
    Ok(rows)
}
