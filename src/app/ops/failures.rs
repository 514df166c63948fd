//! The operations on parked failures: the list, each with what it collides with in Twenty; dismiss
//! one (it leaves the list and waits for a newer intent); link one, parked as a duplicate of a
//! Twenty record without an `externalId`, to that record (adopted: mapped, then updated by the
//! engine). Plain functions over the store do the work, so the CLI runs the same code when no
//! agent holds the store.

use serde::{Deserialize, Deserializer, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::queries::{record_row, RecordRow};
use crate::app::Live;
use crate::domain::{EntityKind, Event, FailedEntry, RecordKey};
use crate::store::Store;

/// The most failures one list holds.
pub const MAX_FAILURES: usize = 1_000;

/// The parked failures (`twenty-sync failures`), with what each duplicate collides with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListFailures {
    /// At most this many (default 200, at most [`MAX_FAILURES`]).
    pub limit: Option<usize>,
}

/// The parked failures: how many there are, and the first `limit` (by kind, then external id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureList {
    pub total: u64,
    pub rows: Vec<RecordRow>,
}

/// Dismisses one parked failure (recorded as `FailureDismissed`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DismissFailure {
    /// `company` or `person`.
    #[serde(deserialize_with = "kind_name", serialize_with = "kind_as_name")]
    pub kind: EntityKind,
    pub external_id: String,
}

/// Links one record parked as a duplicate to the Twenty record it collides with (recorded as
/// `RecordLinked`); the engine then sets that record's `externalId` and our values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRecord {
    /// `company` or `person`.
    #[serde(deserialize_with = "kind_name", serialize_with = "kind_as_name")]
    pub kind: EntityKind,
    pub external_id: String,
    /// The Twenty record to adopt: the one the failure names (its `conflict.twenty_id`).
    pub twenty_id: String,
}

impl Operation for ListFailures {
    type Reply = FailureList;

    async fn run(self, live: &Live) -> Result<FailureList, OpError> {
        let handle = live.handle().clone();
        let limit = self.limit.unwrap_or(200).min(MAX_FAILURES);
        blocking(move || {
            let base_url = handle.settings().base_url;
            Ok(list_failures(handle.store(), limit, base_url.as_deref())?)
        })
        .await
    }
}

impl Operation for DismissFailure {
    type Reply = RecordRow;

    async fn run(self, live: &Live) -> Result<RecordRow, OpError> {
        let handle = live.handle().clone();
        let by = live.caller();
        let key = RecordKey::new(self.kind, self.external_id);
        blocking(move || {
            let base_url = handle.settings().base_url;
            dismiss_failure(handle.store(), &key, by, base_url.as_deref())
        })
        .await
    }
}

impl Operation for LinkRecord {
    type Reply = RecordRow;

    async fn run(self, live: &Live) -> Result<RecordRow, OpError> {
        let handle = live.handle().clone();
        let by = live.caller();
        let key = RecordKey::new(self.kind, self.external_id);
        blocking(move || {
            let base_url = handle.settings().base_url;
            link_record(
                handle.store(),
                &key,
                &self.twenty_id,
                by,
                base_url.as_deref(),
            )
        })
        .await
    }
}

/// Up to `limit` parked failures with their names and conflicts; `base_url` makes the links.
pub fn list_failures(
    store: &Store,
    limit: usize,
    base_url: Option<&str>,
) -> crate::store::Result<FailureList> {
    let total = store.counters()?.failed;
    let mut rows = Vec::new();
    for (key, failed) in store.failures()?.into_iter().take(limit) {
        let name = store
            .intent_at(failed.seq)?
            .and_then(|intent| intent.fields.name);
        rows.push(record_row(store, &key, name, base_url)?);
    }
    Ok(FailureList { total, rows })
}

/// Dismisses the parked failure of `key`; the record's row afterwards.
pub fn dismiss_failure(
    store: &Store,
    key: &RecordKey,
    by: &str,
    base_url: Option<&str>,
) -> Result<RecordRow, OpError> {
    let failed = parked(store, key)?;
    store.append(vec![Event::FailureDismissed {
        intent_id: failed.intent_id,
        key: key.clone(),
        by: by.to_string(),
    }])?;
    row_after(store, key, &failed, base_url)
}

/// Links `key`, parked as a duplicate, to `twenty_id`, the Twenty record it collides with, when
/// that record has no `externalId` and `key` is not mapped to one of its own; the record's row
/// afterwards (pending: the engine updates the Twenty record next).
pub fn link_record(
    store: &Store,
    key: &RecordKey,
    twenty_id: &str,
    by: &str,
    base_url: Option<&str>,
) -> Result<RecordRow, OpError> {
    let twenty_id = twenty_id.trim();
    if twenty_id.is_empty() {
        return Err(wrong_id("name the Twenty record to link to".into()));
    }
    let failed = parked(store, key)?;
    if let Some(mapping) = store.mapping(key)? {
        return Err(refused(format!(
            "{key} is already linked to the Twenty record {}; change the value that collides, or \
             dismiss the failure",
            mapping.twenty_id
        )));
    }
    let conflict = store
        .failure_detail(key)?
        .filter(|detail| detail.intent_id == failed.intent_id)
        .and_then(|detail| detail.conflict)
        .ok_or_else(|| {
            refused(format!(
                "{key} is not parked as a duplicate of a known Twenty record; only such a \
                 failure can be linked (retry it, and a duplicate names the record)"
            ))
        })?;
    let Some(holder) = &conflict.holder else {
        return Err(refused(format!(
            "the Twenty record holding {} \"{}\" was not found; retry {key} to look for it again",
            conflict.field, conflict.value
        )));
    };
    if holder.twenty_id != twenty_id {
        return Err(wrong_id(format!(
            "{key} collides with the Twenty record {}, not {twenty_id}; link it to that one",
            holder.twenty_id
        )));
    }
    if holder.in_trash {
        return Err(refused(format!(
            "the Twenty record {twenty_id} is in Twenty's trash; restore it there, then retry {key}"
        )));
    }
    if let Some(external_id) = &holder.external_id {
        return Err(refused(format!(
            "the Twenty record {twenty_id} already has the externalId {external_id}; change the \
             value that collides, or dismiss the failure"
        )));
    }
    store.append(vec![Event::RecordLinked {
        intent_id: failed.intent_id,
        key: key.clone(),
        twenty_id: twenty_id.to_string(),
        by: by.to_string(),
    }])?;
    row_after(store, key, &failed, base_url)
}

/// The parked failure of `key`, or why there is none.
fn parked(store: &Store, key: &RecordKey) -> Result<FailedEntry, OpError> {
    store.failed(key)?.ok_or_else(|| {
        OpError::NotFound(format!(
            "{key} is not parked as failed (it may have been retried, dismissed or linked already)"
        ))
    })
}

/// The record cannot be linked; nothing was recorded.
fn refused(message: String) -> OpError {
    OpError::bad_request(message)
}

/// The Twenty id given is not the one to link to.
fn wrong_id(message: String) -> OpError {
    OpError::BadRequest {
        message,
        field: Some("twenty_id".into()),
    }
}

fn row_after(
    store: &Store,
    key: &RecordKey,
    failed: &FailedEntry,
    base_url: Option<&str>,
) -> Result<RecordRow, OpError> {
    let name = store
        .intent_at(failed.seq)?
        .and_then(|intent| intent.fields.name);
    Ok(record_row(store, key, name, base_url)?)
}

fn kind_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<EntityKind, D::Error> {
    let name = String::deserialize(deserializer)?;
    EntityKind::parse(&name).ok_or_else(|| {
        serde::de::Error::custom(format!("unknown kind '{name}'; use company or person"))
    })
}

fn kind_as_name<S: serde::Serializer>(kind: &EntityKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.as_str())
}

#[cfg(test)]
mod tests;
