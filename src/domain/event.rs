//! The events of the log: past-tense facts inside a versioned envelope, and their frozen binary
//! encoding (bincode 2). Changing the encoding of an existing event requires a store migration.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::fields::{DataModel, FieldHashes};
use super::intent::{EntityKind, Intent, RecordKey};

mod upcast;

/// The schema version written into every new envelope. Schema 2 (issue 15): an intent carries
/// any field (`Intent::values`) and a success the hash of each field sent
/// (`PushSucceeded::field_hashes`); schema-1 envelopes are upcast when read ([`upcast`]).
pub const SCHEMA_VERSION: u16 = 2;

/// Decoding refuses any single envelope larger than this: a corrupt or hostile length prefix must
/// not make us allocate gigabytes.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// One entry of the append-only log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub schema_version: u16,
    /// UUIDv7 of the event itself.
    pub id: Uuid,
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// When the event was appended, in milliseconds since the Unix epoch.
    pub recorded_at_ms: i64,
    pub event: Event,
}

/// Everything that ever happens to the store is one of these. Variants are only ever added at the
/// end; existing variants and their fields are frozen (see the golden tests).
// Most events are intents, so boxing the large variant would add an allocation to the common case.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A caller asked to upsert a record.
    IntentRecorded(Intent),
    /// Twenty accepted the intent's fields; the record has this Twenty id.
    PushSucceeded {
        intent_id: Uuid,
        key: RecordKey,
        twenty_id: String,
        outcome: PushOutcome,
        fields_hash: [u8; 16],
        /// The hash of each field's value as Twenty now holds it from us (schema 2; empty when
        /// upcast from schema 1: then every field counts as never sent, and the next update
        /// sends them all, as schema 1 always did).
        field_hashes: FieldHashes,
    },
    /// Nothing was sent: Twenty already holds exactly these fields.
    PushSkipped { intent_id: Uuid, key: RecordKey },
    /// A push failed. Retryable failures stay queued; the others are parked until retried.
    PushFailed {
        intent_id: Uuid,
        key: RecordKey,
        code: FailureCode,
        message: String,
        attempt: u32,
        retryable: bool,
    },
    /// Someone asked to retry a parked record.
    RetryRequested { key: RecordKey },
    /// The Twenty id we had for a record is gone (deleted in Twenty); the mapping is dropped.
    MappingInvalidated { key: RecordKey, twenty_id: String },
    /// A dropped or named file was imported (or recognised as a duplicate of an earlier import).
    ImportCompleted(ImportSummary),
    /// Part of a large file's rows was recorded (in the same append as this event): the durable
    /// resume point of an import that records its rows in several appends.
    ImportProgress(ImportCheckpoint),
    /// The persisted configuration changed (see [`ConfigChange`]). Secret values are never
    /// carried: only which secret settings were set or removed.
    ConfigChanged(ConfigChange),
    /// Platform mode: the upstream relay accepted the intent (or had already accepted it, when
    /// `already_accepted`); the relay pushes it to Twenty from now on. Settles the intent here.
    ForwardedToRelay {
        intent_id: Uuid,
        key: RecordKey,
        already_accepted: bool,
    },
    /// The drop folder holds an entry that is not an import file (another extension, a folder,
    /// a link, a device…): it was left exactly where it is. Recorded once per name.
    DropEntryLeftAlone { name: String, reason: String },
    /// Something was learned about a Twenty server (keyed by its normalised base URL), so that a
    /// new process does not have to ask again.
    ServerLearned { server: String, fact: ServerFact },
    /// What the person should know about an import (its warnings, when it began, whether it
    /// resumed an interrupted one), recorded in the first append of each part of it.
    ImportNoted(ImportNotes),
    /// A parked push of the intent collided with a unique value another Twenty record holds:
    /// which field, which value, which record (recorded in the append of its `PushFailed`).
    ConflictFound {
        intent_id: Uuid,
        key: RecordKey,
        conflict: Conflict,
    },
    /// Someone dismissed the parked failure of the intent: it leaves the failed list and is not
    /// pushed again until a newer intent for the record arrives.
    FailureDismissed {
        intent_id: Uuid,
        key: RecordKey,
        by: String,
    },
    /// Someone linked the record, parked as a duplicate, to the Twenty record it collides with
    /// (one without an `externalId`): it is mapped to it and pushed again, which sets its
    /// `externalId` and our values there.
    RecordLinked {
        intent_id: Uuid,
        key: RecordKey,
        twenty_id: String,
        by: String,
    },
    /// A new record matched a Twenty record without an `externalId` on `field` (a person's
    /// primary e-mail, a company's domain) holding `value`: that record was taken over (its
    /// `externalId` set to ours, our fields sent) instead of creating another. Recorded in the
    /// append of the `PushSucceeded` that maps it.
    RecordAdopted {
        intent_id: Uuid,
        key: RecordKey,
        twenty_id: String,
        field: String,
        value: String,
    },
}

/// The unique value a push collided with in Twenty, and the record that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The field as Twenty's API names it (`emails.primaryEmail`, `domainName.primaryLinkUrl`,
    /// `externalId`, `name`), or as its message labels a field it has no API name for.
    pub field: String,
    pub value: String,
    /// The record holding the value, when it was found.
    pub holder: Option<ConflictHolder>,
}

impl Conflict {
    /// The holder, when a record could adopt it by a link: found, live, without an `externalId`.
    pub fn linkable_holder(&self) -> Option<&ConflictHolder> {
        self.holder
            .as_ref()
            .filter(|holder| holder.external_id.is_none() && !holder.in_trash)
    }
}

/// The Twenty record a push collided with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictHolder {
    pub twenty_id: String,
    /// Its name in Twenty (a person's first and last name).
    pub name: Option<String>,
    /// Its `externalId`; `None` when it has none (it can then be linked).
    pub external_id: Option<String>,
    /// It is in Twenty's trash (soft-deleted), where it still holds its unique values.
    pub in_trash: bool,
}

/// One thing learned about a Twenty server. Variants are only ever added at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFact {
    /// The `externalId` field of `kind` exists, with this metadata id, type and uniqueness.
    ExternalIdField {
        kind: EntityKind,
        field_id: String,
        field_type: String,
        is_unique: bool,
    },
    /// What we knew of the `externalId` field of `kind` no longer holds (a push said it is
    /// gone): it is read again before the next push.
    ExternalIdFieldForgotten { kind: EntityKind },
    /// Which metadata API answers on this server.
    MetadataRoute(MetadataRoute),
    /// Whether `?upsert=true` is applied (newer builds) or ignored (the August 2025 build).
    UpsertApplies(bool),
    /// The largest batch the server accepts in one create or upsert request.
    MaxBatch(u32),
    /// Whether the workspace held records of `kind` before our first sync of them (`true`): new
    /// records are then looked up by `externalId`, e-mail or domain before they are created,
    /// until that first sync is done (`false`: created at once, a refused batch looked up).
    WorkspacePopulated { kind: EntityKind, populated: bool },
    /// Every field of the workspace's companies and people, read from the metadata API (on
    /// demand, `twenty-sync fields --refresh`, and when a push fails because a field changed).
    DataModelRead(DataModel),
}

/// The metadata API that answers on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataRoute {
    /// `POST /metadata` (GraphQL), paged per object.
    Graphql,
    /// `GET /rest/metadata/objects` (REST).
    Rest,
}

/// Whether a successful push created the record in Twenty or updated an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    Created,
    Updated,
}

/// Why a push failed, in the vocabulary of the original integration's typed errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureCode {
    AuthError,
    RateLimit,
    Timeout,
    NetworkError,
    NotFound,
    ServerError,
    Duplicate,
    ValidationError,
    QuotaExhausted,
    OperationFailed,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::AuthError => "AUTH_ERROR",
            FailureCode::RateLimit => "RATE_LIMIT",
            FailureCode::Timeout => "TIMEOUT",
            FailureCode::NetworkError => "NETWORK_ERROR",
            FailureCode::NotFound => "NOT_FOUND",
            FailureCode::ServerError => "SERVER_ERROR",
            FailureCode::Duplicate => "DUPLICATE",
            FailureCode::ValidationError => "VALIDATION_ERROR",
            FailureCode::QuotaExhausted => "QUOTA_EXHAUSTED",
            FailureCode::OperationFailed => "OPERATION_FAILED",
        }
    }
}

/// What an import did, recorded atomically with the intents it produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub file_name: String,
    /// BLAKE3 of the file's bytes, hex.
    pub content_hash: String,
    pub rows_read: u64,
    pub recorded: u64,
    pub invalid: u64,
    /// Rows whose external id repeated later in the same file (the last row won).
    pub duplicate_rows: u64,
    /// The same content had been imported before: nothing new was recorded.
    pub duplicate_of_earlier_import: bool,
    pub duration_ms: u64,
}

/// What an import's reading found worth telling, and when it began. Recorded with the first
/// intents of each part of an import (a file recorded in one append has one part); the imports
/// history shows the latest one with the file's `ImportCompleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportNotes {
    pub file_name: String,
    /// BLAKE3 of the file's bytes, hex (the same hash its `ImportCompleted` carries).
    pub content_hash: String,
    /// When the import began, in milliseconds since the Unix epoch; for a resumed import, when
    /// its first part began.
    pub started_at_ms: i64,
    /// This part continued an interrupted import after this data row (`None`: a first part).
    pub resumed_after_row: Option<u64>,
    /// The file's warnings, one sentence each (ignored columns, the encoding guessed, repeated
    /// ids, people whose company row was invalid).
    pub warnings: Vec<String>,
}

/// How far a large import got: every chosen row up to `through_row` is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCheckpoint {
    pub file_name: String,
    /// BLAKE3 of the file's bytes, hex (the same hash the final `ImportCompleted` carries).
    pub content_hash: String,
    /// Data rows (from 1) settled so far: a restart resumes after this row.
    pub through_row: u64,
    /// Intents recorded for this file so far, across all of its appends.
    pub recorded: u64,
}

/// One change of the persisted configuration, with the single-row audit columns of the
/// original `twenty_crm_config` table: the fold keeps `created_*` of the first change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChange {
    /// Setting key → new value as text (as `config set` takes it); `None` puts the setting back
    /// to its default. Never a secret.
    pub values: Vec<(String, Option<String>)>,
    /// Secret settings that were stored (`true`) or removed (`false`) in the secret store.
    pub secrets: Vec<(String, bool)>,
    pub created_by: String,
    pub updated_by: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Event {
    /// A short, stable name for filtering and display.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Event::IntentRecorded(_) => "IntentRecorded",
            Event::PushSucceeded { .. } => "PushSucceeded",
            Event::PushSkipped { .. } => "PushSkipped",
            Event::PushFailed { .. } => "PushFailed",
            Event::RetryRequested { .. } => "RetryRequested",
            Event::MappingInvalidated { .. } => "MappingInvalidated",
            Event::ImportCompleted(_) => "ImportCompleted",
            Event::ImportProgress(_) => "ImportProgress",
            Event::ConfigChanged(_) => "ConfigChanged",
            Event::ForwardedToRelay { .. } => "ForwardedToRelay",
            Event::DropEntryLeftAlone { .. } => "DropEntryLeftAlone",
            Event::ServerLearned { .. } => "ServerLearned",
            Event::ImportNoted(_) => "ImportNoted",
            Event::ConflictFound { .. } => "ConflictFound",
            Event::FailureDismissed { .. } => "FailureDismissed",
            Event::RecordLinked { .. } => "RecordLinked",
            Event::RecordAdopted { .. } => "RecordAdopted",
        }
    }

    /// The record the event is about, if it is about one.
    pub fn record_key(&self) -> Option<RecordKey> {
        match self {
            Event::IntentRecorded(intent) => Some(intent.key()),
            Event::PushSucceeded { key, .. }
            | Event::PushSkipped { key, .. }
            | Event::PushFailed { key, .. }
            | Event::RetryRequested { key }
            | Event::MappingInvalidated { key, .. }
            | Event::ForwardedToRelay { key, .. }
            | Event::ConflictFound { key, .. }
            | Event::FailureDismissed { key, .. }
            | Event::RecordLinked { key, .. }
            | Event::RecordAdopted { key, .. } => Some(key.clone()),
            Event::ImportCompleted(_)
            | Event::ImportProgress(_)
            | Event::ConfigChanged(_)
            | Event::DropEntryLeftAlone { .. }
            | Event::ServerLearned { .. }
            | Event::ImportNoted(_) => None,
        }
    }

    pub fn entity_kind(&self) -> Option<EntityKind> {
        self.record_key().map(|key| key.kind)
    }
}

/// Why stored bytes could not be turned back into an envelope.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the event bytes are corrupt or truncated: {0}")]
    Corrupt(String),
    #[error("the event was written by a newer version (schema {found}, this binary knows up to {known}); upgrade twenty-sync")]
    TooNew { found: u16, known: u16 },
    #[error("{trailing} unexpected bytes follow the event")]
    TrailingBytes { trailing: usize },
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_ENVELOPE_BYTES>()
}

/// What an envelope is written as: its fields, by reference, under the schema this binary
/// writes (an envelope read from an older schema was upcast, so it is written as the newest).
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema_version: u16,
    id: &'a Uuid,
    seq: u64,
    recorded_at_ms: i64,
    event: &'a Event,
}

impl Envelope {
    /// The frozen binary form stored in the log (always of [`SCHEMA_VERSION`]).
    pub fn encode(&self) -> Vec<u8> {
        let out = EnvelopeOut {
            schema_version: SCHEMA_VERSION,
            id: &self.id,
            seq: self.seq,
            recorded_at_ms: self.recorded_at_ms,
            event: &self.event,
        };
        // Sized for a typical intent up front: growing the buffer was a tenth of an import.
        let mut bytes = Vec::with_capacity(512);
        bincode::serde::encode_into_std_write(&out, &mut bytes, bincode_config())
            .expect("encoding an in-memory envelope into a Vec cannot fail");
        bytes
    }

    /// Decodes stored bytes, refusing anything malformed, truncated, oversized or from the future;
    /// an envelope of an older schema is upcast to the newest (its `schema_version` then says
    /// [`SCHEMA_VERSION`]).
    pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        let (version, _) = bincode::serde::decode_from_slice::<u16, _>(bytes, bincode_config())
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        if version > SCHEMA_VERSION {
            return Err(DecodeError::TooNew {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            if let Some(envelope) = upcast::from_schema_1(bytes)? {
                return Ok(envelope);
            }
        }
        let mut envelope: Envelope = decode_exact(bytes)?;
        envelope.schema_version = SCHEMA_VERSION;
        Ok(envelope)
    }

    /// Decodes as [`Envelope::decode`] does, but an intent's values are checked and left out
    /// (empty): for readers that never look at them (the fold of the log, the search index), at
    /// a fraction of the cost.
    pub fn decode_without_values(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        super::fields::values_skipped(|| Envelope::decode(bytes))
    }
}

/// Decodes exactly `bytes` as one `T`.
/// Decoded borrowing from `bytes`: short texts read into inline strings make no heap value.
fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, read) = bincode::serde::borrow_decode_from_slice::<T, _>(bytes, bincode_config())
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if read != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            trailing: bytes.len() - read,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
