//! The fold from events to projections: mappings (record → Twenty id), the pending queue (latest
//! unsynced intent per record, in log order), parked failures and counters.
//!
//! The fold is pure: it reads the current projections through [`ProjectionView`] and returns a
//! [`ProjectionDelta`] that the store writes in the same atomic batch as the append. Rebuilding
//! from the log runs the very same fold, so rebuilt and live projections cannot disagree.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::{
    ConfigChange, Envelope, Event, FailureCode, MetadataRoute, PushOutcome, ServerFact,
};
use super::intent::{EntityKind, RecordKey};

/// What we know about a record's counterpart in Twenty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub twenty_id: String,
    /// Hash of the fields last pushed successfully (see [`crate::domain::fields_hash`]).
    pub fields_hash: [u8; 16],
    pub last_synced_ms: i64,
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

    fn mapped_mut(&mut self, kind: EntityKind) -> &mut u64 {
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

/// What is known of every Twenty server this store has talked to, by normalised base URL: one
/// row, folded from every [`Event::ServerLearned`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownServers {
    pub servers: std::collections::BTreeMap<String, ServerKnowledge>,
}

/// What is known of one Twenty server; `None` means "not learned yet".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerKnowledge {
    pub company_external_id: Option<ExternalIdFieldFact>,
    pub person_external_id: Option<ExternalIdFieldFact>,
    pub metadata_route: Option<MetadataRoute>,
    pub upsert_applies: Option<bool>,
    pub max_batch: Option<u32>,
}

/// The `externalId` field of one object as the metadata described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalIdFieldFact {
    pub field_id: String,
    pub field_type: String,
    pub is_unique: bool,
}

impl ServerKnowledge {
    /// The `externalId` field of `kind`, if known.
    pub fn external_id(&self, kind: EntityKind) -> Option<&ExternalIdFieldFact> {
        match kind {
            EntityKind::Company => self.company_external_id.as_ref(),
            EntityKind::Person => self.person_external_id.as_ref(),
        }
    }

    fn external_id_mut(&mut self, kind: EntityKind) -> &mut Option<ExternalIdFieldFact> {
        match kind {
            EntityKind::Company => &mut self.company_external_id,
            EntityKind::Person => &mut self.person_external_id,
        }
    }

    /// The facts among `facts` that would change this knowledge (what is worth recording).
    pub fn news(&self, facts: Vec<ServerFact>) -> Vec<ServerFact> {
        let mut known = self.clone();
        facts
            .into_iter()
            .filter(|fact| {
                let before = known.clone();
                known.learn(fact);
                known != before
            })
            .collect()
    }

    /// The knowledge after learning `fact`.
    pub fn learn(&mut self, fact: &ServerFact) {
        match fact {
            ServerFact::ExternalIdField {
                kind,
                field_id,
                field_type,
                is_unique,
            } => {
                *self.external_id_mut(*kind) = Some(ExternalIdFieldFact {
                    field_id: field_id.clone(),
                    field_type: field_type.clone(),
                    is_unique: *is_unique,
                })
            }
            ServerFact::ExternalIdFieldForgotten { kind } => *self.external_id_mut(*kind) = None,
            ServerFact::MetadataRoute(route) => self.metadata_route = Some(*route),
            ServerFact::UpsertApplies(applies) => self.upsert_applies = Some(*applies),
            ServerFact::MaxBatch(size) => self.max_batch = Some(*size),
        }
    }
}

/// Read access to the current projections, as of just before the event being folded.
pub trait ProjectionView {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping>;
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry>;
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry>;
    fn counters(&self) -> Counters;
    /// The sequence number of the first import of a file with this content hash.
    fn import_seq(&self, content_hash: &str) -> Option<u64>;
    /// The persisted configuration, if it was ever changed.
    fn config(&self) -> Option<StoredConfig>;
    fn forwarded(&self) -> ForwardCounters;
    /// The sequence number of the intent a relay recorded with this id (relay index).
    fn relayed_seq(&self, intent_id: &Uuid) -> Option<u64>;
    fn servers(&self) -> KnownServers;
}

/// The changes one event makes to the projections. `None` means "remove".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectionDelta {
    pub mappings: Vec<(RecordKey, Option<Mapping>)>,
    pub pending: Vec<(RecordKey, Option<PendingEntry>)>,
    /// The queue index: intent sequence number → record, in log order.
    pub queue: Vec<(u64, Option<RecordKey>)>,
    pub failed: Vec<(RecordKey, Option<FailedEntry>)>,
    /// Content hash of an imported file → sequence number of its `ImportCompleted`.
    pub imports: Vec<(String, Option<u64>)>,
    pub counters: Counters,
    /// The new persisted configuration, when it changed.
    pub config: Option<StoredConfig>,
    /// The new relay counters, when they changed.
    pub forwarded: Option<ForwardCounters>,
    /// Relay index: id of an intent received from another agent → its sequence number.
    pub relayed: Vec<(Uuid, Option<u64>)>,
    /// The new knowledge of Twenty servers, when it changed.
    pub servers: Option<KnownServers>,
}

/// Folds one event into the projections seen through `view`.
pub fn fold(view: &impl ProjectionView, envelope: &Envelope) -> ProjectionDelta {
    let mut counters = view.counters();
    counters.events += 1;
    let mut delta = ProjectionDelta::default();

    match &envelope.event {
        Event::IntentRecorded(intent) => {
            let key = intent.key();
            counters.intents += 1;
            if matches!(intent.source, super::intent::IntentSource::Relay { .. })
                && view.relayed_seq(&intent.id).is_none()
            {
                delta.relayed.push((intent.id, Some(envelope.seq)));
            }
            match view.pending(&key) {
                Some(old) => delta.queue.push((old.seq, None)),
                None => counters.pending += 1,
            }
            if view.failed(&key).is_some() {
                // A newer intent supersedes the parked one: it may well fix the problem.
                delta.failed.push((key.clone(), None));
                counters.failed = counters.failed.saturating_sub(1);
            }
            delta.queue.push((envelope.seq, Some(key.clone())));
            delta.pending.push((
                key,
                Some(PendingEntry {
                    seq: envelope.seq,
                    intent_id: intent.id,
                    attempts: 0,
                    last_error: None,
                }),
            ));
        }
        Event::PushSucceeded {
            intent_id,
            key,
            twenty_id,
            outcome,
            fields_hash,
        } => {
            if view.mapping(key).is_none() {
                *counters.mapped_mut(key.kind) += 1;
            }
            delta.mappings.push((
                key.clone(),
                Some(Mapping {
                    twenty_id: twenty_id.clone(),
                    fields_hash: *fields_hash,
                    last_synced_ms: envelope.recorded_at_ms,
                }),
            ));
            match outcome {
                PushOutcome::Created => counters.created += 1,
                PushOutcome::Updated => counters.updated += 1,
            }
            counters.last_push_ms = Some(envelope.recorded_at_ms);
            settle(view, key, *intent_id, &mut delta, &mut counters);
        }
        Event::PushSkipped { intent_id, key } => {
            counters.skipped_unchanged += 1;
            settle(view, key, *intent_id, &mut delta, &mut counters);
        }
        Event::PushFailed {
            intent_id,
            key,
            code,
            message,
            attempt,
            retryable,
        } => {
            if let Some(pending) = view.pending(key).filter(|p| p.intent_id == *intent_id) {
                if *retryable {
                    delta.pending.push((
                        key.clone(),
                        Some(PendingEntry {
                            attempts: pending.attempts + 1,
                            last_error: Some(message.clone()),
                            ..pending
                        }),
                    ));
                } else {
                    delta.pending.push((key.clone(), None));
                    delta.queue.push((pending.seq, None));
                    counters.pending = counters.pending.saturating_sub(1);
                    delta.failed.push((
                        key.clone(),
                        Some(FailedEntry {
                            seq: pending.seq,
                            intent_id: *intent_id,
                            code: *code,
                            message: message.clone(),
                            attempt: *attempt,
                            failed_at_ms: envelope.recorded_at_ms,
                        }),
                    ));
                    counters.failed += 1;
                }
            }
        }
        Event::RetryRequested { key } => {
            if let Some(failed) = view.failed(key) {
                delta.failed.push((key.clone(), None));
                counters.failed = counters.failed.saturating_sub(1);
                if view.pending(key).is_none() {
                    delta.queue.push((failed.seq, Some(key.clone())));
                    delta.pending.push((
                        key.clone(),
                        Some(PendingEntry {
                            seq: failed.seq,
                            intent_id: failed.intent_id,
                            attempts: 0,
                            last_error: None,
                        }),
                    ));
                    counters.pending += 1;
                }
            }
        }
        Event::MappingInvalidated { key, twenty_id } => {
            if view
                .mapping(key)
                .is_some_and(|mapping| &mapping.twenty_id == twenty_id)
            {
                delta.mappings.push((key.clone(), None));
                let mapped = counters.mapped_mut(key.kind);
                *mapped = mapped.saturating_sub(1);
            }
        }
        Event::ImportCompleted(summary) => {
            counters.imports += 1;
            if !summary.duplicate_of_earlier_import
                && view.import_seq(&summary.content_hash).is_none()
            {
                delta
                    .imports
                    .push((summary.content_hash.clone(), Some(envelope.seq)));
            }
            let resume = import_resume_key(&summary.content_hash);
            if view.import_seq(&resume).is_some() {
                delta.imports.push((resume, None));
            }
        }
        Event::ConfigChanged(change) => {
            delta.config = Some(StoredConfig::changed(view.config(), change));
        }
        Event::ForwardedToRelay {
            intent_id,
            key,
            already_accepted,
        } => {
            let mut forwarded = view.forwarded();
            if *already_accepted {
                forwarded.already_accepted += 1;
            } else {
                forwarded.accepted += 1;
            }
            forwarded.last_forward_ms = Some(envelope.recorded_at_ms);
            delta.forwarded = Some(forwarded);
            settle(view, key, *intent_id, &mut delta, &mut counters);
        }
        Event::DropEntryLeftAlone { .. } => {}
        Event::ServerLearned { server, fact } => {
            let mut servers = view.servers();
            servers
                .servers
                .entry(server.clone())
                .or_default()
                .learn(fact);
            delta.servers = Some(servers);
        }
        Event::ImportProgress(checkpoint) => {
            if view.import_seq(&checkpoint.content_hash).is_none() {
                delta.imports.push((
                    import_resume_key(&checkpoint.content_hash),
                    Some(envelope.seq),
                ));
            }
        }
    }

    delta.counters = counters;
    delta
}

/// The key of the `imports` index that holds the sequence number of the latest
/// [`Event::ImportProgress`] of an unfinished import (content hashes are hex, so the prefix
/// cannot collide with one). Removed when the import completes.
pub fn import_resume_key(content_hash: &str) -> String {
    format!("resume:{content_hash}")
}

/// The intent's push is over: drop it from the queue unless a newer intent replaced it meanwhile.
fn settle(
    view: &impl ProjectionView,
    key: &RecordKey,
    intent_id: Uuid,
    delta: &mut ProjectionDelta,
    counters: &mut Counters,
) {
    if let Some(pending) = view.pending(key).filter(|p| p.intent_id == intent_id) {
        delta.pending.push((key.clone(), None));
        delta.queue.push((pending.seq, None));
        counters.pending = counters.pending.saturating_sub(1);
    }
    if view.failed(key).is_some_and(|f| f.intent_id == intent_id) {
        delta.failed.push((key.clone(), None));
        counters.failed = counters.failed.saturating_sub(1);
    }
}

/// An in-memory set of projections: the reference model used by tests and by anything that needs
/// projections without a store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryProjections {
    pub mappings: std::collections::BTreeMap<RecordKey, Mapping>,
    pub pending: std::collections::BTreeMap<RecordKey, PendingEntry>,
    pub queue: std::collections::BTreeMap<u64, RecordKey>,
    pub failed: std::collections::BTreeMap<RecordKey, FailedEntry>,
    pub imports: std::collections::BTreeMap<String, u64>,
    pub counters: Counters,
    pub config: Option<StoredConfig>,
    pub forwarded: ForwardCounters,
    pub relayed: std::collections::BTreeMap<Uuid, u64>,
    pub servers: KnownServers,
}

impl ProjectionView for MemoryProjections {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping> {
        self.mappings.get(key).cloned()
    }
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry> {
        self.pending.get(key).cloned()
    }
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry> {
        self.failed.get(key).cloned()
    }
    fn counters(&self) -> Counters {
        self.counters
    }
    fn import_seq(&self, content_hash: &str) -> Option<u64> {
        self.imports.get(content_hash).copied()
    }
    fn config(&self) -> Option<StoredConfig> {
        self.config.clone()
    }
    fn forwarded(&self) -> ForwardCounters {
        self.forwarded
    }
    fn relayed_seq(&self, intent_id: &Uuid) -> Option<u64> {
        self.relayed.get(intent_id).copied()
    }
    fn servers(&self) -> KnownServers {
        self.servers.clone()
    }
}

impl MemoryProjections {
    pub fn apply(&mut self, envelope: &Envelope) {
        let delta = fold(self, envelope);
        apply_to_maps(&mut self.mappings, delta.mappings);
        apply_to_maps(&mut self.pending, delta.pending);
        apply_to_maps(&mut self.queue, delta.queue);
        apply_to_maps(&mut self.failed, delta.failed);
        apply_to_maps(&mut self.imports, delta.imports);
        apply_to_maps(&mut self.relayed, delta.relayed);
        if let Some(config) = delta.config {
            self.config = Some(config);
        }
        if let Some(forwarded) = delta.forwarded {
            self.forwarded = forwarded;
        }
        if let Some(servers) = delta.servers {
            self.servers = servers;
        }
        self.counters = delta.counters;
    }
}

fn apply_to_maps<K: Ord, V>(
    map: &mut std::collections::BTreeMap<K, V>,
    changes: Vec<(K, Option<V>)>,
) {
    for (key, value) in changes {
        match value {
            Some(value) => {
                map.insert(key, value);
            }
            None => {
                map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests;
