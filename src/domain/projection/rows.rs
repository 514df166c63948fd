//! The rows the projections hold: a record's mapping to Twenty, its pending and failed entries
//! (and what is known of a failure beyond Twenty's message), the counters, the stored
//! configuration and the relay counters.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::event::{ConfigChange, Conflict, FailureCode};
use crate::domain::fields::FieldHashes;
use crate::domain::intent::EntityKind;

/// What we know about a record's counterpart in Twenty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub twenty_id: String,
    /// Hash of the fields last pushed successfully (see [`crate::domain::fields_hash`]).
    pub fields_hash: [u8; 16],
    pub last_synced_ms: i64,
    /// The hash of each field Twenty holds from our last successful push, by field name (store
    /// format 3): an update sends only the fields whose hash differs. Empty when not known (a
    /// record linked by hand, or pushed before format 3): the next update sends every field.
    pub field_hashes: FieldHashes,
}

/// The latest unsynced intent of a record. Older intents of the same record were coalesced away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEntry {
    /// Sequence number of the `IntentRecorded` event; also the record's place in the queue.
    pub seq: u64,
    pub intent_id: Uuid,
    /// Retryable failures so far for this intent.
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// A record parked after a permanent failure; it no longer blocks the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub seq: u64,
    pub intent_id: Uuid,
    pub code: FailureCode,
    pub message: String,
    pub attempt: u32,
    pub failed_at_ms: i64,
}

/// What is known of a record's parked (or dismissed) failure beyond Twenty's message. Kept only
/// while it is about the record's newest intent: a newer intent, a retry, a success or a link
/// drops it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// The intent whose push failed.
    pub intent_id: Uuid,
    /// For a duplicate: the value and the Twenty record it collides with.
    pub conflict: Option<Conflict>,
    /// Set when someone dismissed the failure (it no longer counts as failed).
    pub dismissed: Option<Dismissal>,
}

/// A dismissed failure: what it was, when and by whom it was dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dismissal {
    pub failure: FailedEntry,
    pub at_ms: i64,
    pub by: String,
}

/// Running totals, maintained by the fold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub events: u64,
    pub intents: u64,
    pub pending: u64,
    pub failed: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped_unchanged: u64,
    pub mapped_companies: u64,
    pub mapped_people: u64,
    pub imports: u64,
    /// Time of the last successful push, if any.
    pub last_push_ms: Option<i64>,
}

impl Counters {
    /// Successful pushes, created or updated.
    pub fn synced(&self) -> u64 {
        self.created + self.updated
    }

    pub(super) fn mapped_mut(&mut self, kind: EntityKind) -> &mut u64 {
        match kind {
            EntityKind::Company => &mut self.mapped_companies,
            EntityKind::Person => &mut self.mapped_people,
        }
    }
}

/// The persisted configuration: one row, folded from every [`Event::ConfigChanged`]. Holds no
/// secret value, only the names of the secrets kept in the secret store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConfig {
    /// Setting key → value as text, for the non-secret settings that were set.
    pub values: std::collections::BTreeMap<String, String>,
    /// Secret settings whose value is in the secret store.
    pub secrets: std::collections::BTreeSet<String>,
    pub created_by: String,
    pub updated_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl StoredConfig {
    /// The row after `change`: `created_*` stay those of the first change.
    pub fn changed(current: Option<StoredConfig>, change: &ConfigChange) -> StoredConfig {
        let mut row = current.unwrap_or_else(|| StoredConfig {
            created_by: change.created_by.clone(),
            created_at_ms: change.created_at_ms,
            ..StoredConfig::default()
        });
        for (key, value) in &change.values {
            match value {
                Some(value) => row.values.insert(key.clone(), value.clone()),
                None => row.values.remove(key),
            };
        }
        for (name, stored) in &change.secrets {
            if *stored {
                row.secrets.insert(name.clone());
            } else {
                row.secrets.remove(name);
            }
        }
        row.updated_by = change.updated_by.clone();
        row.updated_at_ms = change.updated_at_ms;
        row
    }
}

/// What the upstream relay accepted from this agent (platform mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardCounters {
    /// Intents the relay accepted as new.
    pub accepted: u64,
    /// Intents the relay already had (a re-send after a lost answer).
    pub already_accepted: u64,
    pub last_forward_ms: Option<i64>,
}
