//! Schema-1 envelopes read as schema 2. Only two events changed: `IntentRecorded` (the intent
//! gained `values`, its last field) and `PushSucceeded` (gained `field_hashes`, its last field).
//! Their schema-1 bytes are decoded with frozen copies of the old shapes and given empty values;
//! every other event's bytes are the same in both schemas and are read as they are.

use serde::Deserialize;
use uuid::Uuid;

use super::{decode_exact, DecodeError, Envelope, Event, PushOutcome};
use crate::domain::fields::{FieldHashes, FieldValues};
use crate::domain::intent::{EntityKind, Intent, IntentFields, IntentSource, RecordKey};
use crate::domain::SCHEMA_VERSION;

/// The `Event` variant indexes of the two events whose bytes changed.
const INTENT_RECORDED: u32 = 0;
const PUSH_SUCCEEDED: u32 = 1;

/// The envelope header and the event's variant index, as every schema writes them.
#[derive(Deserialize)]
struct Head {
    _schema_version: u16,
    _id: Uuid,
    _seq: u64,
    _recorded_at_ms: i64,
    variant: u32,
}

/// A schema-1 envelope of `IntentRecorded`: the header, the variant, the schema-1 intent.
#[derive(Deserialize)]
struct IntentRecordedV1 {
    _schema_version: u16,
    id: Uuid,
    seq: u64,
    recorded_at_ms: i64,
    _variant: u32,
    intent_id: Uuid,
    kind: EntityKind,
    external_id: String,
    fields: IntentFields,
    source: IntentSource,
    requested_at_ms: i64,
}

/// A schema-1 envelope of `PushSucceeded`.
#[derive(Deserialize)]
struct PushSucceededV1 {
    _schema_version: u16,
    id: Uuid,
    seq: u64,
    recorded_at_ms: i64,
    _variant: u32,
    intent_id: Uuid,
    key: RecordKey,
    twenty_id: String,
    outcome: PushOutcome,
    fields_hash: [u8; 16],
}

/// The schema-2 envelope of schema-1 `bytes` when its event is one whose bytes changed; `None`
/// when the bytes are read as they are.
pub(super) fn from_schema_1(bytes: &[u8]) -> Result<Option<Envelope>, DecodeError> {
    let (head, _) = bincode::serde::decode_from_slice::<Head, _>(bytes, super::bincode_config())
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let envelope = |id, seq, recorded_at_ms, event| Envelope {
        schema_version: SCHEMA_VERSION,
        id,
        seq,
        recorded_at_ms,
        event,
    };
    Ok(match head.variant {
        INTENT_RECORDED => {
            let old: IntentRecordedV1 = decode_exact(bytes)?;
            Some(envelope(
                old.id,
                old.seq,
                old.recorded_at_ms,
                Event::IntentRecorded(Intent {
                    id: old.intent_id,
                    kind: old.kind,
                    external_id: old.external_id,
                    fields: old.fields,
                    source: old.source,
                    requested_at_ms: old.requested_at_ms,
                    values: FieldValues::new(),
                }),
            ))
        }
        PUSH_SUCCEEDED => {
            let old: PushSucceededV1 = decode_exact(bytes)?;
            Some(envelope(
                old.id,
                old.seq,
                old.recorded_at_ms,
                Event::PushSucceeded {
                    intent_id: old.intent_id,
                    key: old.key,
                    twenty_id: old.twenty_id,
                    outcome: old.outcome,
                    fields_hash: old.fields_hash,
                    field_hashes: FieldHashes::new(),
                },
            ))
        }
        _ => None,
    })
}
