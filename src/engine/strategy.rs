//! How records not mapped yet reach Twenty, as pure functions with case tables: whether a batch
//! is looked up before it is created or created at once (a unique `externalId` field proves
//! absence: Twenty refuses a duplicate), what a lookup by `externalId`, e-mail or domain means
//! for each record (already there, update, adopt, conflict, create), what follows a refused batch
//! in each of the ways batches are sent, and how a batch is kept free of repeated unique values.

use std::collections::HashSet;

use serde_json::Value;

use super::conflict;
use super::decide::{counts_attempt, disposition, Disposition, UpsertSupport};
use crate::domain::{Conflict, EntityKind};
use crate::twenty::{wire, ErrorCode, RemoteRecord, TwentyError};

/// How the records of a window that are not mapped yet are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewRecords {
    /// Whether the workspace held records of this object before is not known: ask Twenty once
    /// (one request), remember it, then decide.
    LearnWorkspace,
    /// Look each batch up first (by `externalId`, and by e-mail or domain when adopting), then
    /// create what is missing.
    LookUpFirst,
    /// Create each batch at once; only a refused batch is looked up.
    CreateDirectly,
}

/// `unique`: the `externalId` field is unique (Twenty refuses a second record with our id);
/// `adopt`: records found by e-mail or domain are adopted (`match_existing = email_domain`);
/// `populated`: the workspace held records of this object before our first sync of them.
pub fn new_records(unique: bool, adopt: bool, populated: Option<bool>) -> NewRecords {
    match (unique, adopt, populated) {
        (false, _, _) => NewRecords::LookUpFirst,
        (true, false, _) => NewRecords::CreateDirectly,
        (true, true, None) => NewRecords::LearnWorkspace,
        (true, true, Some(true)) => NewRecords::LookUpFirst,
        (true, true, Some(false)) => NewRecords::CreateDirectly,
    }
}

/// The unique value a new record is matched on when adopting: a person's primary e-mail, a
/// company's domain (as sent: Twenty compares the stored text).
pub fn match_key(kind: EntityKind, body: &Value) -> Option<(&'static str, String)> {
    let path = match_path(kind);
    let value = wire::text_at(body, path)?;
    let value = if value.contains('@') {
        value.to_lowercase()
    } else {
        value.to_string()
    };
    Some((path, value))
}

/// The field new records of `kind` are matched on when adopting: a person's primary e-mail, a
/// company's domain.
pub fn match_path(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "emails.primaryEmail",
        EntityKind::Company => "domainName.primaryLinkUrl",
    }
}

/// A Twenty record without an `externalId` that holds a new record's e-mail or domain: it is
/// taken over (its `externalId` set to ours, our fields sent) instead of creating another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub twenty_id: String,
    /// The field matched on (`emails.primaryEmail`, `domainName.primaryLinkUrl`) and its value.
    pub field: String,
    pub value: String,
}

/// What a lookup says about one record that is not mapped yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterMatch {
    /// Our `externalId` is there with these fields (pushed before a crash): record it, send nothing.
    AlreadyThere(String),
    /// Our `externalId` is there with other fields: update that record.
    Update(String),
    /// A record without an `externalId` holds our e-mail or domain: adopt it.
    Adopt(Adoption),
    /// Another record holds our e-mail or domain and cannot be adopted (it has another
    /// `externalId`, or ours is on a third record): park naming it. `ours_exists`: a record with
    /// our `externalId` exists (no link is offered).
    Conflict {
        conflict: Conflict,
        ours_exists: bool,
    },
    /// Nothing holds our `externalId` or our e-mail or domain: create it.
    Create,
}

/// `by_external_id`: the record holding our `externalId`; `by_value`: the record holding our
/// e-mail or domain (when the lookup asked for it), with `key` that value.
pub fn after_match(
    kind: EntityKind,
    body: &Value,
    by_external_id: Option<&RemoteRecord>,
    by_value: Option<&RemoteRecord>,
    key: Option<&(&'static str, String)>,
) -> AfterMatch {
    let other = by_value.filter(|holder| by_external_id.is_none_or(|ours| ours.id != holder.id));
    let conflict = |holder: &RemoteRecord, ours_exists: bool| {
        let (field, value) = key.cloned().unwrap_or_default();
        AfterMatch::Conflict {
            conflict: Conflict {
                field: field.to_string(),
                value,
                holder: Some(conflict::holder(kind, holder)),
            },
            ours_exists,
        }
    };
    match (by_external_id, other) {
        (Some(_), Some(holder)) => conflict(holder, true),
        (Some(ours), None) if super::decide::remote_matches(&ours.raw, body) => {
            AfterMatch::AlreadyThere(ours.id.clone())
        }
        (Some(ours), None) => AfterMatch::Update(ours.id.clone()),
        (None, Some(holder)) if holder.external_id.is_none() => match key {
            Some((field, value)) => AfterMatch::Adopt(Adoption {
                twenty_id: holder.id.clone(),
                field: field.to_string(),
                value: value.clone(),
            }),
            None => conflict(holder, false),
        },
        (None, Some(holder)) => conflict(holder, false),
        (None, None) => AfterMatch::Create,
    }
}

/// How a batch was sent, for what follows its refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    /// New records. `looked_up`: a lookup found none of them (else they were not looked up: a
    /// duplicate refusal is looked up then); `heals`: lookups done after refusals already.
    New { looked_up: bool, heals: u8 },
    /// Known records, upserted on their `externalId`; `verified`: an upsert was just seen to
    /// apply, so a refusal is about a record, not about upserts.
    Upsert { verified: bool },
    /// Records a lookup matched or proved absent (updates, adoptions, creates), upserted
    /// together where upserts apply: nothing else holds their unique values.
    Matched,
}

impl CreateMode {
    /// New records a lookup found none of, after `heals` lookups that followed refusals.
    pub fn looked_up(heals: u8) -> CreateMode {
        CreateMode::New {
            looked_up: true,
            heals,
        }
    }

    /// Lookups that followed refusals of these records so far.
    pub fn heals(self) -> u8 {
        match self {
            CreateMode::New { heals, .. } => heals,
            CreateMode::Upsert { .. } | CreateMode::Matched => 0,
        }
    }
}

/// How the records a lookup matched or proved absent are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedRecords {
    /// All in upsert batches: nothing else holds their unique values, and upserts apply.
    UpsertAll,
    /// Upserts are not known yet: adopt the first adoption alone as an upsert (which teaches
    /// it), then send the rest as that says.
    ProbeWithAdoption,
    /// Creates in plain batches, updates and adoptions patched one by one.
    Plainly,
}

/// `unique`: the `externalId` field is unique (so an upsert keyed on it cannot make a second
/// record); `proven`: the lookup asked for the records' e-mails and domains too, so nothing else
/// holds them (else an upsert could take over a record holding one); `adoptions`: some record
/// adopts a match.
pub fn send_matched(
    upsert: UpsertSupport,
    unique: bool,
    proven: bool,
    adoptions: bool,
) -> MatchedRecords {
    match (upsert, unique && proven, adoptions) {
        (_, false, _) => MatchedRecords::Plainly,
        (UpsertSupport::Supported, true, _) => MatchedRecords::UpsertAll,
        (UpsertSupport::Unknown, true, true) => MatchedRecords::ProbeWithAdoption,
        (UpsertSupport::Unknown | UpsertSupport::Unsupported, true, _) => MatchedRecords::Plainly,
    }
}

/// Lookups after refused batches, at most, for one batch and its halves.
pub const MAX_HEALS: u8 = 2;

/// What follows a refused batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRefusedBatch {
    /// Too many records for the server: send them in batches of this many (and remember it).
    Shrink(usize),
    /// Records that were not looked up were refused (or, refused as duplicates, an earlier
    /// attempt may have been applied): look the batch up in one request, map what is found,
    /// create the rest.
    LookUp,
    /// Some record is refused: send each half on its own ([`super::decide::bisect`]).
    Bisect,
    /// One looked-up record collided anyway: look it up again (it may be ours, or in the trash).
    FindCollision,
    /// One record refused in an upsert of matched records: send it the plain way (create,
    /// update, adopting update).
    FallBack,
    /// Known records refused as duplicates of themselves: upserts may not apply (any more):
    /// learn it again with one of them.
    Reprobe,
    /// The record itself is refused and retrying will not help.
    Park,
    /// Stop the round; count a failed attempt on each record first when `count_attempt`.
    StopRound { count_attempt: bool },
}

/// `records`: how many were sent; `accepted`: the batch size the refusal names, if it is about
/// size ([`super::batching::accepted_size`]).
pub fn after_refused_batch(
    error: &TwentyError,
    records: usize,
    mode: CreateMode,
    accepted: Option<usize>,
) -> AfterRefusedBatch {
    use AfterRefusedBatch::*;
    match disposition(error) {
        Disposition::Record => {}
        Disposition::SchemaLost | Disposition::Transient | Disposition::Refused => {
            return StopRound {
                count_attempt: counts_attempt(error),
            }
        }
    }
    if let Some(size) = accepted.filter(|size| *size < records) {
        return Shrink(size.max(1));
    }
    let duplicate = error.code() == ErrorCode::Duplicate;
    let several = records > 1;
    match mode {
        // Never looked up: whatever the refusal, one lookup first (it maps our own records, and
        // a server refusing every request is told by the lookup's refusal, not by parking).
        CreateMode::New {
            looked_up: false,
            heals,
        } if heals < MAX_HEALS => LookUp,
        CreateMode::New { heals, .. }
            if duplicate && error.follows_unknown_outcome() && heals < MAX_HEALS =>
        {
            LookUp
        }
        CreateMode::New { .. } if duplicate && !several => FindCollision,
        CreateMode::Upsert { verified: false } if duplicate => Reprobe,
        CreateMode::Matched if !several => FallBack,
        _ if several => Bisect,
        _ => Park,
    }
}

/// `records` in batches of at most `size`, no two records of a batch sharing a unique value
/// (`key`): Twenty refuses a whole batch holding the same new value twice, so a repeat waits for
/// a later batch. Order is kept otherwise.
pub fn batches_without_repeats<T>(
    records: Vec<T>,
    size: usize,
    key: impl Fn(&T) -> Option<String>,
) -> Vec<Vec<T>> {
    let size = size.max(1);
    let mut batches = Vec::new();
    let mut waiting = records;
    while !waiting.is_empty() {
        let mut batch = Vec::new();
        let mut later = Vec::new();
        let mut seen = HashSet::new();
        for record in waiting {
            let fits = batch.len() < size && key(&record).is_none_or(|value| seen.insert(value));
            if fits {
                batch.push(record);
            } else {
                later.push(record);
            }
        }
        batches.push(batch);
        waiting = later;
    }
    batches
}

#[cfg(test)]
mod tests;
