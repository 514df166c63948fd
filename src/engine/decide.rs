//! The replay engine's decisions as pure functions of what Twenty answered and where a record
//! stands: how a failed call is sorted (the record, the server, the key, the schema), how a
//! refused batch is split, how conflicts are resolved (a duplicate on create is looked up again;
//! an update whose target is gone is looked up again, then created), and what the upsert probe
//! teaches. What follows a refused batch, and how new records are sent, is in
//! [`super::strategy`]. The pusher only executes them. Nothing here does I/O.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::EngineError;
use crate::domain::plan::WorkItem;
use crate::domain::PushOutcome;
use crate::twenty::{ErrorCode, TwentyError};

/// Tries of the conflict handling (stale mapping, duplicate on create).
pub const CONFLICT_TRIES: u32 = 3;
/// A record failing with retryable errors this many times in a row is parked.
pub const MAX_RETRYABLE_ATTEMPTS: u32 = 5;

/// How the engine treats a failed call, whatever was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The `externalId` field is gone: re-check the schema, park nothing.
    SchemaLost,
    /// The server or the network: retry the whole round later.
    Transient,
    /// The key or the workspace: stop until the settings change.
    Refused,
    /// The record itself (duplicate, invalid, gone): handle or park this record only.
    Record,
}

pub fn disposition(error: &TwentyError) -> Disposition {
    use ErrorCode::*;
    if names_missing_external_id(error) {
        return Disposition::SchemaLost;
    }
    match error.code() {
        AuthError | QuotaExhausted => Disposition::Refused,
        Duplicate | ValidationError | NotFound => Disposition::Record,
        RateLimit | Timeout | NetworkError | ServerError | OperationFailed => {
            Disposition::Transient
        }
    }
}

/// Twenty's ways of saying a body or filter names a field it does not have, for `externalId`:
/// "field 'externalId' does not exist in 'company' object", "Field metadata for field
/// \"externalId\" is missing …", "Object person doesn't have any \"externalId\" field."
fn names_missing_external_id(error: &TwentyError) -> bool {
    if error.code() != ErrorCode::ValidationError {
        return false;
    }
    let message = error.server_message().unwrap_or_default();
    message.contains("externalId")
        && ["does not exist", "is missing", "doesn't have"]
            .iter()
            .any(|phrase| message.contains(phrase))
}

/// The field Twenty names when it refuses a record because of one of its fields (deleted or
/// renamed, an option removed, a type or its parts changed): `Invalid value 'X' for field
/// "category"…`, `Invalid subfield nope for links field "listingUrl"`, `Object person doesn't
/// have any "nickname" field.`, `Field metadata for field "nickname" is missing in object
/// metadata person`. A subfield (`address.addressCity`) names its field. `None` for any other
/// refusal, and for `externalId` (that is the schema, see [`disposition`]).
pub fn refused_field(error: &TwentyError) -> Option<String> {
    if error.code() != ErrorCode::ValidationError || names_missing_external_id(error) {
        return None;
    }
    let message = error.server_message()?;
    let quoted_after = |phrase: &str| -> Option<&str> {
        let at = message.find(phrase)? + phrase.len();
        let rest = &message[at..];
        rest.find('"').map(|end| &rest[..end])
    };
    let named = if message.starts_with("Invalid ") {
        quoted_after("field \"")
    } else {
        quoted_after("doesn't have any \"").or_else(|| {
            quoted_after("Field metadata for field \"")
                .filter(|_| message.contains("is missing in object metadata"))
        })
    }?;
    // `"tags - Array values need to be string"`, `"address.addressCity"`.
    let field = named.split(" - ").next()?.split('.').next()?.trim();
    (!field.is_empty()).then(|| field.to_string())
}

/// What a record refused because of `field` is parked with: the field, what may have happened,
/// and what to do; then Twenty's own words.
pub fn field_refusal_message(kind: crate::domain::EntityKind, field: &str, said: &str) -> String {
    format!(
        "Twenty refused this {kind}'s field '{field}' (deleted, renamed or changed in Twenty, or \
         the value does not fit it); the data model was read again: see the field with \
         `twenty-sync fields {kind} --refresh`, fix the mapping (`twenty-sync mapping set {kind} \
         COLUMN FIELD`) or the value, then retry (`twenty-sync retry-failed`). Twenty said: {said}"
    )
}

/// The round-stopping error a failed call becomes: only the server and the network mean
/// "unreachable" (go offline, try again); a refusal of the request itself (a 400 to a lookup)
/// needs a person, as a refused key does.
pub fn classify(error: TwentyError) -> EngineError {
    match disposition(&error) {
        Disposition::SchemaLost => EngineError::SchemaLost(error),
        Disposition::Refused => EngineError::Refused(error),
        Disposition::Record => EngineError::Rejected(error),
        Disposition::Transient => EngineError::Unreachable(error),
    }
}

/// A round stopped by `error` counts a failed attempt on the records it was sending: only for
/// server errors (a record that keeps breaking the server is parked in the end), never for the
/// network, rate limits, the key or the schema.
pub fn counts_attempt(error: &TwentyError) -> bool {
    matches!(
        error.code(),
        ErrorCode::ServerError | ErrorCode::OperationFailed
    )
}

/// Whether a record that already failed `attempts` times is parked at this failure.
pub fn parks_at_this_attempt(attempts: u32) -> bool {
    attempts + 1 >= MAX_RETRYABLE_ATTEMPTS
}

/// A refused batch split in two, the first half first (each half is sent on its own, so a bad
/// record ends up alone and the others go through).
pub fn bisect<T>(mut batch: Vec<T>) -> (Vec<T>, Vec<T>) {
    let right = batch.split_off(batch.len() / 2);
    (batch, right)
}

/// What follows a refused update of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRefusedUpdate {
    /// The record is gone from Twenty (deleted there): drop the mapping, look it up again.
    LookUpAgain,
    /// The record itself is refused and retrying will not help.
    Park,
    /// Stop the round; count a failed attempt on the record first when `count_attempt`.
    StopRound { count_attempt: bool },
}

pub fn after_refused_update(error: &TwentyError) -> AfterRefusedUpdate {
    match disposition(error) {
        Disposition::Record if error.code() == ErrorCode::NotFound => {
            AfterRefusedUpdate::LookUpAgain
        }
        Disposition::Record => AfterRefusedUpdate::Park,
        Disposition::SchemaLost | Disposition::Transient | Disposition::Refused => {
            AfterRefusedUpdate::StopRound {
                count_attempt: counts_attempt(error),
            }
        }
    }
}

/// The pause before conflict lookup number `tries` (0-based): 100 ms × 2^tries, so that a record
/// being moved by someone else settles.
pub fn conflict_pause(tries: u32) -> Duration {
    Duration::from_millis(100u64 << tries.min(16))
}

/// What follows the lookup after an update hit a record gone from Twenty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterUpdateLookup {
    /// Found under another id: update that one.
    UpdateAt(String),
    /// Not in Twenty any more: create it (with no mapping).
    Create,
    /// It keeps moving: park it after [`CONFLICT_TRIES`] updates.
    GiveUp,
}

/// `found`: the Twenty id of the record with our `externalId`, if any; `tries`: the number of the
/// refused update, from 0.
pub fn after_update_lookup(found: Option<String>, tries: u32) -> AfterUpdateLookup {
    match found {
        None => AfterUpdateLookup::Create,
        Some(id) if tries + 1 < CONFLICT_TRIES => AfterUpdateLookup::UpdateAt(id),
        Some(_) => AfterUpdateLookup::GiveUp,
    }
}

/// What follows a lookup after a create collided with a unique value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCollisionLookup {
    /// Our own `externalId` (created meanwhile, e.g. by a crashed earlier run): update it.
    UpdateFound(String),
    /// Not visible yet: look again after a longer pause.
    LookAgain,
    /// Not found after [`CONFLICT_TRIES`] lookups: it may be in Twenty's trash.
    CheckTrash,
}

/// `found`: the Twenty id of the record with our `externalId`, if any; `tries`: the number of this
/// lookup, from 0.
pub fn after_collision_lookup(found: Option<String>, tries: u32) -> AfterCollisionLookup {
    match found {
        Some(id) => AfterCollisionLookup::UpdateFound(id),
        None if tries + 1 < CONFLICT_TRIES => AfterCollisionLookup::LookAgain,
        None => AfterCollisionLookup::CheckTrash,
    }
}

/// After the trash check of a collision: on newer Twenty a record in the trash still holds its
/// `externalId`, and an upsert restores and updates it there. Where upserts are known to be
/// ignored, or nothing is in the trash, another unique field (email, domain) collides: park.
pub fn restores_from_trash(in_trash: bool, upsert: UpsertSupport) -> bool {
    in_trash && upsert != UpsertSupport::Unsupported
}

/// What follows a refused restore (the upsert of a record in the trash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRefusedRestore {
    /// The record itself: park it with this refusal.
    Park,
    /// The server, the network, the key or the schema: stop the round (nothing counted).
    StopRound,
}

pub fn after_refused_restore(error: &TwentyError) -> AfterRefusedRestore {
    match disposition(error) {
        Disposition::Record => AfterRefusedRestore::Park,
        Disposition::SchemaLost | Disposition::Transient | Disposition::Refused => {
            AfterRefusedRestore::StopRound
        }
    }
}

/// Whether the server applies `?upsert=true` on batch creates; learned once per server and
/// remembered in the store (`ServerLearned`), so a new process sends no probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertSupport {
    Unknown,
    Supported,
    Unsupported,
}

impl UpsertSupport {
    /// What the store remembers of the server (`upsert_applies`).
    pub fn remembered(applies: Option<bool>) -> UpsertSupport {
        match applies {
            Some(true) => UpsertSupport::Supported,
            Some(false) => UpsertSupport::Unsupported,
            None => UpsertSupport::Unknown,
        }
    }
}

/// How the known (mapped, changed) records of a window are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownRecords {
    /// Not known yet: upsert the first one alone to learn it ([`upsert_probe`]).
    ProbeWithFirst,
    /// Upserted in batches (keyed on `externalId`, which they hold).
    InBatches,
    /// Patched one by one.
    OneByOne,
}

/// `unique`: the `externalId` field is unique, so an upsert keyed on it cannot make a second
/// record (on a build that ignores upserts, or for a record holding no other unique value).
pub fn send_known(upsert: UpsertSupport, unique: bool) -> KnownRecords {
    match (upsert, unique) {
        (_, false) => KnownRecords::OneByOne,
        (UpsertSupport::Unknown, true) => KnownRecords::ProbeWithFirst,
        (UpsertSupport::Supported, true) => KnownRecords::InBatches,
        (UpsertSupport::Unsupported, true) => KnownRecords::OneByOne,
    }
}

/// What the upsert of a known record (one that exists in Twenty and has to be updated anyway)
/// teaches: it either updates the record (upserts apply) or fails as a duplicate of itself
/// (ignored, as on the August 2025 build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeVerdict {
    /// The upsert updated our record: recorded as an update; upserts apply here.
    Applies,
    /// The upsert came back with another record: recorded as created; nothing learned.
    CreatedAnother,
    /// Refused as a duplicate of itself: upserts are ignored here; patch the record.
    Ignored,
    /// The record itself was refused: patch it, without upserts for the rest of this run (not
    /// remembered: the record, not the server, may be at fault).
    AvoidForNow,
    /// The server, the network, the key or the schema: stop the round (nothing counted).
    StopRound,
}

impl ProbeVerdict {
    /// The upsert support to use from now on, and whether to remember it for later runs.
    pub fn lesson(self) -> Option<(UpsertSupport, bool)> {
        match self {
            ProbeVerdict::Applies => Some((UpsertSupport::Supported, true)),
            ProbeVerdict::Ignored => Some((UpsertSupport::Unsupported, true)),
            ProbeVerdict::AvoidForNow => Some((UpsertSupport::Unsupported, false)),
            ProbeVerdict::CreatedAnother | ProbeVerdict::StopRound => None,
        }
    }
}

/// `answer`: the id of the record the probe's upsert returned, or its refusal; `mapped_id`: the
/// Twenty id our mapping holds.
pub fn upsert_probe(answer: Result<&str, &TwentyError>, mapped_id: &str) -> ProbeVerdict {
    match answer {
        Ok(id) if id == mapped_id => ProbeVerdict::Applies,
        Ok(_) => ProbeVerdict::CreatedAnother,
        Err(error) if error.code() == ErrorCode::Duplicate => ProbeVerdict::Ignored,
        Err(error) => match disposition(error) {
            Disposition::Record => ProbeVerdict::AvoidForNow,
            Disposition::SchemaLost | Disposition::Transient | Disposition::Refused => {
                ProbeVerdict::StopRound
            }
        },
    }
}

/// A company to create because a person names it (with a name) and neither the store nor Twenty
/// knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanyToCreate<'a> {
    pub external_id: &'a str,
    pub name: &'a str,
    /// The first person naming it (the company's intent takes its source).
    pub named_by: &'a WorkItem,
}

/// The companies to create for `people`: each one a person names with an id and a name that is
/// not in `resolved`, once, in the order people name them.
pub fn companies_to_create<'a>(
    people: &'a [WorkItem],
    resolved: &HashMap<String, String>,
) -> Vec<CompanyToCreate<'a>> {
    let mut chosen: Vec<CompanyToCreate<'a>> = Vec::new();
    for person in people {
        let fields = &person.intent.fields;
        let (Some(external_id), Some(name)) = (&fields.company_external_id, &fields.company_name)
        else {
            continue;
        };
        if resolved.contains_key(external_id) || chosen.iter().any(|c| c.external_id == external_id)
        {
            continue;
        }
        chosen.push(CompanyToCreate {
            external_id,
            name,
            named_by: person,
        });
    }
    chosen
}

/// How a successful batch records each record: an upsert of a mapped record updated it;
/// everything else was created.
pub fn created_outcome(upsert: bool, mapped: bool) -> PushOutcome {
    if upsert && mapped {
        PushOutcome::Updated
    } else {
        PushOutcome::Created
    }
}

/// True when the record in Twenty already holds every value of the body (so nothing needs to be
/// sent). Empty strings, nulls and empty lists count as equal, as Twenty versions differ there.
pub fn remote_matches(remote: &Value, body: &Value) -> bool {
    fn blank(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            _ => false,
        }
    }
    fn matches(remote: Option<&Value>, wanted: &Value) -> bool {
        match (remote, wanted) {
            (remote, Value::Object(fields)) => fields
                .iter()
                .all(|(name, value)| matches(remote.and_then(|r| r.get(name)), value)),
            (None, wanted) => blank(wanted),
            (Some(remote), wanted) if blank(remote) && blank(wanted) => true,
            (Some(Value::String(remote)), Value::String(wanted)) => {
                remote == wanted || remote.eq_ignore_ascii_case(wanted) && wanted.contains('@')
            }
            (Some(remote), wanted) => remote == wanted,
        }
    }
    matches(Some(remote), body)
}

#[cfg(test)]
mod tests;
