//! The record calls of [`TwentyClient`]: lookup by external id (in the trash too) or by another
//! unique value, batch create (and upsert), update.

use std::collections::{HashMap, HashSet, VecDeque};

use reqwest::Method;
use serde_json::Value;

use super::client::{Call, TwentyClient};
use super::error::{ErrorKind, TwentyError};
use super::wire;
use super::RemoteRecord;
use crate::domain::EntityKind;

/// Ids per `externalId[in]` lookup request, at most (Twenty's documented page size).
pub const MAX_LOOKUP_IDS: usize = 60;
/// Pages followed for one lookup query before giving up on the rest.
const MAX_LOOKUP_PAGES: usize = 50;
/// Page size of the one-id `like` lookups (their pattern can match other ids too).
const LIKE_LOOKUP_LIMIT: usize = 60;

impl TwentyClient {
    /// Finds a record with this `externalId` among the soft-deleted ones (Twenty's trash), where
    /// it still holds its unique values.
    pub async fn find_in_trash(
        &self,
        kind: EntityKind,
        external_id: &str,
    ) -> Result<Option<RemoteRecord>, TwentyError> {
        if external_id.is_empty() {
            return Ok(None);
        }
        let filter = format!(
            "and({},deletedAt[is]:NOT_NULL)",
            wire::single_external_id_filter(external_id)
        );
        let mut found = Vec::new();
        let wanted = [external_id];
        self.lookup_pages(kind, &filter, 1, &wanted, &mut found)
            .await?;
        Ok(found.into_iter().next())
    }

    /// Finds a live record whose field at `path` (`emails.primaryEmail`, `name`) holds `value`:
    /// the record a refused create collided with. One request, one page; values are compared
    /// exactly (e-mail addresses in any case), whatever the filter matched.
    pub async fn find_by_value(
        &self,
        kind: EntityKind,
        path: &str,
        value: &str,
    ) -> Result<Option<RemoteRecord>, TwentyError> {
        if value.is_empty() {
            return Ok(None);
        }
        let filter = wire::single_value_filter(path, value);
        let limit = LIKE_LOOKUP_LIMIT.to_string();
        let pairs = [
            ("filter", filter.as_str()),
            ("limit", limit.as_str()),
            ("depth", "0"),
        ];
        let query = format!(
            "/rest/{}?{}",
            wire::plural(kind),
            wire::query_string(&pairs)
        );
        let (status, body) = self.execute(Call::get(query, self.retry)).await?;
        let page = wire::parse_list(kind, &body).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                &format!("the list has no data.{}", wire::plural(kind)),
                &self.redactor,
            )
        })?;
        let holds = |record: &RemoteRecord| {
            wire::text_at(&record.raw, path).is_some_and(|held| {
                held == value || (value.contains('@') && held.eq_ignore_ascii_case(value))
            })
        };
        Ok(page
            .records
            .into_iter()
            .filter_map(RemoteRecord::from_value)
            .find(holds))
    }

    /// Finds the records whose `externalId` is one of `external_ids` (callers pass ≤ 60; more
    /// are split into several requests). Only records whose `externalId` exactly equals an id
    /// that was asked for are returned, in the order of `external_ids`.
    ///
    /// Ids are sent as `filter=externalId[in]:["a","b"]&limit=<n>&depth=0`. Twenty's filter
    /// parser has no escaping and gives `( ) , " ' [ ]` a meaning even inside quotes (it counts
    /// parentheses over the raw string and splits `in` lists on every comma), so ids holding
    /// any of them are looked up one at a time, see [`wire::single_external_id_filter`].
    /// Further pages (`pageInfo.hasNextPage`) are followed until every id of a request is found.
    pub async fn find_by_external_ids(
        &self,
        kind: EntityKind,
        external_ids: &[String],
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        let mut order: HashMap<&str, usize> = HashMap::new();
        let mut wanted: Vec<&str> = Vec::new();
        for id in external_ids.iter().map(String::as_str) {
            if !id.is_empty() && !order.contains_key(id) {
                order.insert(id, wanted.len());
                wanted.push(id);
            }
        }
        let (listable, single): (Vec<&str>, Vec<&str>) =
            wanted.iter().partition(|id| wire::fits_in_list(id));

        let mut found: Vec<RemoteRecord> = Vec::new();
        for chunk in listable.chunks(MAX_LOOKUP_IDS) {
            let filter = wire::external_id_in_filter(chunk);
            self.lookup_pages(kind, &filter, chunk.len(), chunk, &mut found)
                .await?;
        }
        for id in single {
            let filter = wire::single_external_id_filter(id);
            self.lookup_pages(kind, &filter, LIKE_LOOKUP_LIMIT, &[id], &mut found)
                .await?;
        }

        let mut seen = HashSet::new();
        found.retain(|record| seen.insert(record.id.clone()));
        found.sort_by_key(|record| {
            record
                .external_id
                .as_deref()
                .and_then(|id| order.get(id).copied())
                .unwrap_or(usize::MAX)
        });
        Ok(found)
    }

    /// Runs one lookup query, following pages until all of `asked` are found or none are left.
    async fn lookup_pages(
        &self,
        kind: EntityKind,
        filter: &str,
        limit: usize,
        asked: &[&str],
        found: &mut Vec<RemoteRecord>,
    ) -> Result<(), TwentyError> {
        let asked_set: HashSet<&str> = asked.iter().copied().collect();
        let mut matched: HashSet<String> = HashSet::new();
        let mut cursor: Option<String> = None;
        let limit = limit.max(1).to_string();
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut pairs = vec![
                ("filter", filter),
                ("limit", limit.as_str()),
                ("depth", "0"),
            ];
            if let Some(cursor) = cursor.as_deref() {
                pairs.push(("starting_after", cursor));
            }
            let path = format!(
                "/rest/{}?{}",
                wire::plural(kind),
                wire::query_string(&pairs)
            );
            let (status, body) = self
                .execute(Call::get(path, self.retry))
                .await
                .map_err(|e| missing_field_hint(kind, e))?;
            let page = wire::parse_list(kind, &body).ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    &format!("the list has no data.{}", wire::plural(kind)),
                    &self.redactor,
                )
            })?;
            for raw in page.records {
                let record = RemoteRecord::from_value(raw).ok_or_else(|| {
                    TwentyError::unexpected(status, "a listed record has no id", &self.redactor)
                })?;
                match record.external_id.as_deref() {
                    Some(id) if asked_set.contains(id) => {
                        matched.insert(id.to_string());
                        found.push(record);
                    }
                    // Never trust the filter alone: a record that was not asked for is dropped.
                    _ => tracing::debug!(
                        twenty_id = record.id.as_str(),
                        "ignoring a looked-up record whose externalId was not asked for"
                    ),
                }
            }
            if matched.len() >= asked_set.len() {
                return Ok(());
            }
            match page.next_cursor {
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                _ => return Ok(()),
            }
        }
        tracing::warn!(
            object = wire::plural(kind),
            pages = MAX_LOOKUP_PAGES,
            "stopped following pages of an externalId lookup"
        );
        Ok(())
    }

    /// `POST /rest/batch/{plural}` (with `?upsert=true` when `upsert`): creates the records in
    /// one all-or-nothing request and returns them in input order. Callers keep batches at ≤ 60
    /// records and without repeated external ids. The Aug-2025 build ignores `upsert`.
    pub async fn create_batch(
        &self,
        kind: EntityKind,
        records: &[Value],
        idempotency_key: &str,
        upsert: bool,
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut path = format!("/rest/batch/{}", wire::plural(kind));
        if upsert {
            path.push_str("?upsert=true");
        }
        let body = Value::Array(records.to_vec());
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::POST, path, &body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        let created = wire::parse_batch(kind, &response).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                &format!(
                    "the answer has neither data.{} nor data.{}",
                    wire::batch_create_key(kind),
                    wire::plural(kind)
                ),
                &self.redactor,
            )
        })?;
        if created.len() != records.len() {
            return Err(TwentyError::unexpected(
                status,
                &format!(
                    "{} records came back for {} sent",
                    created.len(),
                    records.len()
                ),
                &self.redactor,
            ));
        }
        let created = created
            .into_iter()
            .map(RemoteRecord::from_value)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                TwentyError::unexpected(status, "a created record has no id", &self.redactor)
            })?;
        in_input_order(records, created).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                "the created records do not match the external ids sent",
                &self.redactor,
            )
        })
    }

    /// `PATCH /rest/{plural}/{id}` with `body`; returns the updated record.
    pub async fn update(
        &self,
        kind: EntityKind,
        twenty_id: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> Result<RemoteRecord, TwentyError> {
        let twenty_id = twenty_id.trim();
        if twenty_id.is_empty() {
            return Err(TwentyError::invalid(
                "cannot update a Twenty record without its id",
            ));
        }
        let path = format!(
            "/rest/{}/{}",
            wire::plural(kind),
            wire::encode_query_value(twenty_id)
        );
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::PATCH, path, body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        wire::parse_update(kind, &response)
            .and_then(RemoteRecord::from_value)
            .ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    &format!(
                        "the answer has no data.{} with an id",
                        wire::update_key(kind)
                    ),
                    &self.redactor,
                )
            })
    }
}

/// Puts the created records in the order of the records sent. Twenty answers in input order;
/// when every record sent and received carries an external id, that order is checked (and
/// restored if needed) by external id.
fn in_input_order(sent: &[Value], created: Vec<RemoteRecord>) -> Option<Vec<RemoteRecord>> {
    let sent_ids: Option<Vec<&str>> = sent.iter().map(wire::record_external_id).collect();
    let Some(sent_ids) = sent_ids else {
        return Some(created);
    };
    if created.iter().any(|r| r.external_id.is_none()) {
        return Some(created);
    }
    if sent_ids
        .iter()
        .zip(&created)
        .all(|(sent, got)| got.external_id.as_deref() == Some(*sent))
    {
        return Some(created);
    }
    let mut by_id: HashMap<String, VecDeque<RemoteRecord>> = HashMap::new();
    for record in created {
        let key = record.external_id.clone().unwrap_or_default();
        by_id.entry(key).or_default().push_back(record);
    }
    sent_ids
        .iter()
        .map(|id| by_id.get_mut(*id).and_then(VecDeque::pop_front))
        .collect()
}

/// A 400 naming the missing `externalId` field becomes an error that says how to fix it.
fn missing_field_hint(kind: EntityKind, error: TwentyError) -> TwentyError {
    let mentions_field = error.server_message().is_some_and(|text| {
        text.contains(wire::EXTERNAL_ID_FIELD) && text.contains("does not exist")
    });
    if error.kind() != ErrorKind::Validation || !mentions_field {
        return error;
    }
    error.with_message(format!(
        "Twenty has no externalId field on {}: let Twenty Sync create it (with an API key whose \
         role has the Data model permission) or add a unique Text field named externalId in \
         Settings → Data model",
        wire::plural(kind)
    ))
}
