//! The fold from events to projections: mappings (record → Twenty id), the pending queue (latest
//! unsynced intent per record, in log order), parked failures (with what is known of them beyond
//! Twenty's message: the conflict of a duplicate, a dismissal) and counters.
//!
//! The fold is pure: it reads the current projections through [`ProjectionView`] and returns a
//! [`ProjectionDelta`] that the store writes in the same atomic batch as the append. Rebuilding
//! from the log runs the very same fold, so rebuilt and live projections cannot disagree.

//!
//! - `rows`: the projected rows (mapping, pending, failed, counters, stored config, relay counters).
//! - `servers`: what is known of each Twenty server.
//! - `search`: the search index (external id, name, e-mail, Twenty id): not folded here, but
//!   derived from the log and the mappings by the store's indexer, behind the appends.
//! - `memory`: [`MemoryProjections`], the fold's reference model.

mod memory;
mod rows;
pub mod search;
mod servers;

pub use memory::MemoryProjections;
pub use rows::*;
pub use servers::*;

use uuid::Uuid;

use super::event::{Envelope, Event, PushOutcome};
use super::fields::FieldHashes;
use super::intent::RecordKey;

/// Read access to the current projections, as of just before the event being folded.
pub trait ProjectionView {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping>;
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry>;
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry>;
    fn failure_detail(&self, key: &RecordKey) -> Option<FailureDetail>;
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
    /// What is known of a record's failure beyond Twenty's message.
    pub details: Vec<(RecordKey, Option<FailureDetail>)>,
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

/// The fields hash of a mapping made by linking a record to an existing Twenty record: it matches
/// no intent's fields, so the record is pushed (updated there) once.
pub const LINKED_FIELDS_HASH: [u8; 16] = [0; 16];

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
            forget_detail(view, &key, None, &mut delta);
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
            field_hashes,
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
                    field_hashes: field_hashes.clone(),
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
                    forget_detail(view, key, None, &mut delta);
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
                forget_detail(view, key, None, &mut delta);
                requeue(view, key, &failed, &mut delta, &mut counters);
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
        Event::ImportNoted(notes) => {
            delta
                .imports
                .push((import_notes_key(&notes.content_hash), Some(envelope.seq)));
        }
        Event::ConflictFound {
            intent_id,
            key,
            conflict,
        } => {
            if view.failed(key).is_some_and(|f| f.intent_id == *intent_id) {
                delta.details.push((
                    key.clone(),
                    Some(FailureDetail {
                        intent_id: *intent_id,
                        conflict: Some(conflict.clone()),
                        dismissed: None,
                    }),
                ));
            }
        }
        Event::FailureDismissed { intent_id, key, by } => {
            if let Some(failed) = view.failed(key).filter(|f| f.intent_id == *intent_id) {
                delta.failed.push((key.clone(), None));
                counters.failed = counters.failed.saturating_sub(1);
                let conflict = view
                    .failure_detail(key)
                    .filter(|detail| detail.intent_id == *intent_id)
                    .and_then(|detail| detail.conflict);
                delta.details.push((
                    key.clone(),
                    Some(FailureDetail {
                        intent_id: *intent_id,
                        conflict,
                        dismissed: Some(Dismissal {
                            failure: failed,
                            at_ms: envelope.recorded_at_ms,
                            by: by.clone(),
                        }),
                    }),
                ));
            }
        }
        Event::RecordLinked {
            intent_id,
            key,
            twenty_id,
            by: _,
        } => {
            if let Some(failed) = view.failed(key).filter(|f| f.intent_id == *intent_id) {
                delta.failed.push((key.clone(), None));
                counters.failed = counters.failed.saturating_sub(1);
                forget_detail(view, key, None, &mut delta);
                if view.mapping(key).is_none() {
                    *counters.mapped_mut(key.kind) += 1;
                }
                delta.mappings.push((
                    key.clone(),
                    Some(Mapping {
                        twenty_id: twenty_id.clone(),
                        fields_hash: LINKED_FIELDS_HASH,
                        last_synced_ms: envelope.recorded_at_ms,
                        field_hashes: FieldHashes::new(),
                    }),
                ));
                requeue(view, key, &failed, &mut delta, &mut counters);
            }
        }
        // Said for the audit trail; the `PushSucceeded` of the same append maps the record.
        Event::RecordAdopted { .. } => {}
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

/// The key of the `imports` index that holds the sequence number of the latest
/// [`Event::ImportNoted`] of an import (kept after it completes: the imports history reads it).
pub fn import_notes_key(content_hash: &str) -> String {
    format!("notes:{content_hash}")
}

/// Puts a parked record's intent back in the queue (unless a newer one waits already).
fn requeue(
    view: &impl ProjectionView,
    key: &RecordKey,
    failed: &FailedEntry,
    delta: &mut ProjectionDelta,
    counters: &mut Counters,
) {
    if view.pending(key).is_some() {
        return;
    }
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
    forget_detail(view, key, Some(intent_id), delta);
}

/// Drops what is known of the record's failure (only when it is about `intent_id`, if given).
fn forget_detail(
    view: &impl ProjectionView,
    key: &RecordKey,
    intent_id: Option<Uuid>,
    delta: &mut ProjectionDelta,
) {
    if view
        .failure_detail(key)
        .is_some_and(|detail| intent_id.is_none_or(|id| detail.intent_id == id))
    {
        delta.details.push((key.clone(), None));
    }
}

#[cfg(test)]
mod tests;
