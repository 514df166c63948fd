//! The lookups of [`TwentyClient`]: records by `externalId`, or by `externalId` or a unique value
//! (a person's e-mail, a company's domain) in one `or(…)` request, each request kept within a
//! safe URL length; a record in the trash; the holder of one value; whether the workspace holds
//! any record of an object at all.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::client::{Call, TwentyClient};
use super::error::{ErrorKind, TwentyError};
use super::wire;
use super::RemoteRecord;
use crate::domain::EntityKind;

/// Pages followed for one lookup query before giving up on the rest.
const MAX_LOOKUP_PAGES: usize = 50;
/// Page size of the one-value lookups (a `like` pattern can match other values too).
const SINGLE_LOOKUP_LIMIT: usize = 60;
/// The largest page Twenty serves (2.4.0 caps `limit` at 200 without saying so).
const MAX_PAGE: usize = 200;

/// What one lookup asks for: external ids, and values of one unique field.
struct Wanted<'a> {
    ids: HashSet<&'a str>,
    path: Option<&'a str>,
    values: HashSet<String>,
}

impl Wanted<'_> {
    /// The id or value of `record` that was asked for, if any.
    fn answers(&self, record: &RemoteRecord) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(id) = record
            .external_id
            .as_deref()
            .filter(|id| self.ids.contains(id))
        {
            keys.push(format!("id:{id}"));
        }
        if let Some(held) = self.path.and_then(|path| wire::text_at(&record.raw, path)) {
            let held = comparable(held);
            if self.values.contains(&held) {
                keys.push(format!("value:{held}"));
            }
        }
        keys
    }

    fn len(&self) -> usize {
        self.ids.len() + self.values.len()
    }
}

/// A unique value as lookups compare it: e-mail addresses in any case, anything else exactly.
fn comparable(value: &str) -> String {
    if value.contains('@') {
        value.to_lowercase()
    } else {
        value.to_string()
    }
}

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
        let wanted = Wanted {
            ids: HashSet::from([external_id]),
            path: None,
            values: HashSet::new(),
        };
        let mut found = Vec::new();
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
        let (status, body) = self
            .execute(Call::get(
                wire::lookup_path(kind, &filter, SINGLE_LOOKUP_LIMIT, None),
                self.retry,
            ))
            .await?;
        let page = self.list_page(kind, status, &body)?;
        let wanted = comparable(value);
        Ok(page
            .records
            .into_iter()
            .filter_map(RemoteRecord::from_value)
            .find(|record| {
                wire::text_at(&record.raw, path).is_some_and(|held| comparable(held) == wanted)
            }))
    }

    /// Whether the workspace holds any live record of `kind` (`GET /rest/{plural}?limit=1`).
    pub async fn holds_records(&self, kind: EntityKind) -> Result<bool, TwentyError> {
        let path = format!("/rest/{}?limit=1&depth=0", wire::plural(kind));
        let (status, body) = self.execute(Call::get(path, self.retry)).await?;
        let page = self.list_page(kind, status, &body)?;
        let counted = body.get("totalCount").and_then(Value::as_u64);
        Ok(!page.records.is_empty() || counted.is_some_and(|n| n > 0))
    }

    /// Finds the records whose `externalId` is one of `external_ids`, in their order. Only
    /// records whose `externalId` exactly equals an id that was asked for are returned.
    pub async fn find_by_external_ids(
        &self,
        kind: EntityKind,
        external_ids: &[String],
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        self.find_matching(kind, external_ids, None).await
    }

    /// Finds the records whose `externalId` is one of `external_ids` or whose field at `path`
    /// holds one of `values` (`by_value`): `or(externalId[in]:[…],<path>[in]:[…])`, as few
    /// requests as fit in [`wire::MAX_LOOKUP_URL_BYTES`] each (callers sizing their batches to
    /// fit send one). Values with characters Twenty's filter parser gives a meaning to (see
    /// [`wire::fits_in_list`]) are looked up one at a time. Further pages are followed until
    /// everything asked for is found. Every record returned holds an id or a value asked for
    /// (the filter alone is never trusted); those found by id come first, in the order asked.
    pub async fn find_matching(
        &self,
        kind: EntityKind,
        external_ids: &[String],
        by_value: Option<(&str, &[String])>,
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        let mut order: HashMap<&str, usize> = HashMap::new();
        let mut ids: Vec<&str> = Vec::new();
        for id in external_ids.iter().map(String::as_str) {
            if !id.is_empty() && !order.contains_key(id) {
                order.insert(id, ids.len());
                ids.push(id);
            }
        }
        let path = by_value.map(|(path, _)| path);
        let mut values: Vec<&str> = Vec::new();
        for value in by_value.map(|(_, values)| values).unwrap_or_default() {
            if !value.is_empty() && !values.contains(&value.as_str()) {
                values.push(value);
            }
        }
        let (listed_ids, single_ids): (Vec<&str>, Vec<&str>) =
            ids.iter().partition(|id| wire::fits_in_list(id));
        let (listed_values, single_values): (Vec<&str>, Vec<&str>) =
            values.iter().partition(|value| wire::fits_in_list(value));

        let mut found: Vec<RemoteRecord> = Vec::new();
        for (ids, values) in within_url(kind, &listed_ids, path, &listed_values) {
            let mut filters = Vec::new();
            if !ids.is_empty() {
                filters.push(wire::in_list_filter(wire::EXTERNAL_ID_FIELD, &ids));
            }
            if let Some(path) = path.filter(|_| !values.is_empty()) {
                filters.push(wire::in_list_filter(path, &values));
            }
            let wanted = Wanted {
                ids: ids.iter().copied().collect(),
                path,
                values: values.iter().map(|v| comparable(v)).collect(),
            };
            let limit = wanted.len().clamp(1, MAX_PAGE);
            self.lookup_pages(kind, &wire::any_of(filters), limit, &wanted, &mut found)
                .await?;
        }
        for id in single_ids {
            let wanted = Wanted {
                ids: HashSet::from([id]),
                path: None,
                values: HashSet::new(),
            };
            let filter = wire::single_external_id_filter(id);
            self.lookup_pages(kind, &filter, SINGLE_LOOKUP_LIMIT, &wanted, &mut found)
                .await?;
        }
        if let Some(path) = path {
            for value in single_values {
                found.extend(self.find_by_value(kind, path, value).await?);
            }
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

    /// Runs one lookup query, following pages until all of `wanted` is found or none are left.
    async fn lookup_pages(
        &self,
        kind: EntityKind,
        filter: &str,
        limit: usize,
        wanted: &Wanted<'_>,
        found: &mut Vec<RemoteRecord>,
    ) -> Result<(), TwentyError> {
        let mut answered: HashSet<String> = HashSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let path = wire::lookup_path(kind, filter, limit.max(1), cursor.as_deref());
            let (status, body) = self
                .execute(Call::get(path, self.retry))
                .await
                .map_err(|e| missing_field_hint(kind, e))?;
            let page = self.list_page(kind, status, &body)?;
            for raw in page.records {
                let record = RemoteRecord::from_value(raw).ok_or_else(|| {
                    TwentyError::unexpected(status, "a listed record has no id", &self.redactor)
                })?;
                let keys = wanted.answers(&record);
                if keys.is_empty() {
                    // Never trust the filter alone: a record that was not asked for is dropped.
                    tracing::debug!(
                        twenty_id = record.id.as_str(),
                        "ignoring a looked-up record that holds nothing asked for"
                    );
                    continue;
                }
                answered.extend(keys);
                found.push(record);
            }
            if answered.len() >= wanted.len() {
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
            "stopped following pages of a lookup"
        );
        Ok(())
    }

    /// The records of a list answer, or the error that says the server is not Twenty.
    fn list_page(
        &self,
        kind: EntityKind,
        status: u16,
        body: &Value,
    ) -> Result<wire::ListPage, TwentyError> {
        wire::parse_list(kind, body).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                &format!("the list has no data.{}", wire::plural(kind)),
                &self.redactor,
            )
        })
    }
}

/// `ids` and `values` split into lookups whose path and query stay within
/// [`wire::MAX_LOOKUP_URL_BYTES`] (ids first, then values, in order).
fn within_url<'a>(
    kind: EntityKind,
    ids: &[&'a str],
    path: Option<&str>,
    values: &[&'a str],
) -> Vec<(Vec<&'a str>, Vec<&'a str>)> {
    let base = wire::lookup_base_len(kind, path);
    let mut chunks: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    let mut current: (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let mut length = base;
    let items = ids
        .iter()
        .map(|id| (true, *id))
        .chain(values.iter().map(|value| (false, *value)));
    for (is_id, item) in items {
        let cost = wire::listed_len(item);
        let holds_some = !current.0.is_empty() || !current.1.is_empty();
        if holds_some && length + cost > wire::MAX_LOOKUP_URL_BYTES {
            chunks.push(std::mem::take(&mut current));
            length = base;
        }
        length += cost;
        if is_id {
            current.0.push(item);
        } else {
            current.1.push(item);
        }
    }
    if !current.0.is_empty() || !current.1.is_empty() {
        chunks.push(current);
    }
    chunks
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
