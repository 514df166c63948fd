//! The domain: intents, events, validation and the fold that builds projections. No I/O lives here.
//!
//! # Layout
//! - [`intent`]: what a caller asks for (upsert a company or a person) and its validation.
//! - [`event`]: the past-tense events of the log and their versioned, frozen binary envelope.
//! - [`projection`]: the fold from events to projections (mappings, pending queue, parked failures, counters).
//! - [`plan`]: what a window of pending records costs: skip, update, or resolve in Twenty.
//! - [`fields`]: every field of the workspace: data model, column mapping, typed cells, wire values.
//! - [`fields_hash`]: the stable hash of the fields last pushed, used to skip unchanged records.
//!
//! Invariant: nothing in this module touches sled, the network, files or the system clock; time and
//! identifiers are passed in by the caller.

pub mod event;
pub mod fields;
pub mod intent;
pub mod plan;
pub mod projection;

pub use event::{
    ConfigChange, Conflict, ConflictHolder, Envelope, Event, FailureCode, MetadataRoute,
    PushOutcome, ServerFact, SCHEMA_VERSION,
};
pub use intent::{
    EntityKind, FieldError, Intent, IntentDraft, IntentFields, IntentSource, RecordKey,
};
pub use projection::{
    fold, Counters, Dismissal, FailedEntry, FailureDetail, ForwardCounters, Mapping, PendingEntry,
    ProjectionDelta, ProjectionView, StoredConfig,
};

/// A stable 128-bit hash of an intent's kind and fields: equal hashes mean "nothing to push".
///
/// The encoding is explicit (length-prefixed, field by field) so it never changes with a
/// serde or bincode upgrade; a change here would make every record look changed once. An intent
/// without other `values` hashes exactly as before they existed, so upgrading re-sends nothing;
/// the values are then hashed field by field in their normalised form (what Twenty is sent).
pub fn fields_hash(
    kind: EntityKind,
    fields: &IntentFields,
    values: &fields::FieldValues,
) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[kind.as_byte()]);
    let text = |hasher: &mut blake3::Hasher, text: &str| {
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    for value in fields.in_hash_order() {
        match value {
            None => {
                hasher.update(&[0]);
            }
            Some(value) => {
                hasher.update(&[1]);
                text(&mut hasher, value);
            }
        }
    }
    if !values.is_empty() {
        hasher.update(b"values v1\0");
        for (field, normalised) in values.normalised() {
            text(&mut hasher, &field);
            text(&mut hasher, &normalised);
        }
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}
