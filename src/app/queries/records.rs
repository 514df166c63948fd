//! Records search (by external id, name or Twenty id) and the parked failures (the Records
//! screen), each record's state read from the projections, a failure with what it collides
//! with in Twenty.

use std::collections::HashSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{CHUNK, MAX_PAGE, MAX_SCAN, SCAN_BUDGET};
use crate::clock::format_ms;
use crate::domain::{Conflict, EntityKind, Event, RecordKey};
use crate::store::{Result, Store};

/// One record for the Records screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRow {
    pub kind: String,
    pub external_id: String,
    /// The name of the newest intent seen for it (unknown for a record found by id only).
    pub name: Option<String>,
    pub twenty_id: Option<String>,
    /// The record in Twenty's web app, when the base URL allows building the link.
    pub twenty_url: Option<String>,
    pub last_pushed_at: Option<String>,
    /// `synced`, `pending`, `failed`, `dismissed` (its failure was dismissed; it waits for a
    /// newer intent) or `recorded` (recorded, never pushed, nothing waits).
    pub state: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub failed_at: Option<String>,
    /// For a duplicate (failed or dismissed): the value and the Twenty record it collides with.
    #[serde(default)]
    pub conflict: Option<ConflictRow>,
}

/// What a duplicate collides with, for display and for the Link action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRow {
    /// The field as Twenty's API names it (`emails.primaryEmail`, `domainName.primaryLinkUrl`,
    /// `externalId`, `name`), or the label Twenty's message gives it.
    pub field: String,
    pub value: String,
    /// The Twenty record holding the value; `None` when it was not found.
    pub twenty_id: Option<String>,
    pub name: Option<String>,
    /// Its `externalId` in Twenty (`None`: it has none).
    pub external_id: Option<String>,
    /// It is in Twenty's trash.
    pub in_trash: bool,
    /// The record in Twenty's web app.
    pub twenty_url: Option<String>,
    /// Link can adopt it: found, live, without an `externalId`, and this record is not mapped
    /// to a Twenty record of its own (failed records only).
    pub linkable: bool,
}

impl ConflictRow {
    fn new(kind: EntityKind, conflict: &Conflict, linkable: bool, base_url: Option<&str>) -> Self {
        let holder = conflict.holder.as_ref();
        let twenty_id = holder.map(|h| h.twenty_id.clone());
        ConflictRow {
            field: conflict.field.clone(),
            value: conflict.value.clone(),
            twenty_url: twenty_id
                .as_deref()
                .and_then(|id| record_url(base_url, kind, id)),
            twenty_id,
            name: holder.and_then(|h| h.name.clone()),
            external_id: holder.and_then(|h| h.external_id.clone()),
            in_trash: holder.is_some_and(|h| h.in_trash),
            linkable: linkable && conflict.linkable_holder().is_some(),
        }
    }
}

/// A page of records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordPage {
    pub rows: Vec<RecordRow>,
    /// Pass as `before` to continue the search in older events; `None` when it is complete.
    pub next_before: Option<u64>,
    /// Events read for this page.
    pub scanned: usize,
}

/// The state of one record, read from the projections (four point reads).
pub fn record_row(
    store: &Store,
    key: &RecordKey,
    name: Option<String>,
    base_url: Option<&str>,
) -> Result<RecordRow> {
    let mapping = store.mapping(key)?;
    let failed = store.failed(key)?;
    let pending = if failed.is_none() {
        store.pending(key)?
    } else {
        None
    };
    let detail = if pending.is_none() {
        store.failure_detail(key)?
    } else {
        None
    };
    let dismissed = detail.as_ref().and_then(|d| d.dismissed.as_ref());
    let state = if failed.is_some() {
        "failed"
    } else if pending.is_some() {
        "pending"
    } else if dismissed.is_some() {
        "dismissed"
    } else if mapping.is_some() {
        "synced"
    } else {
        "recorded"
    };
    // What failed: the parked failure, else the dismissed one.
    let failed = failed.or_else(|| dismissed.map(|d| d.failure.clone()));
    let conflict = detail.as_ref().and_then(|d| d.conflict.as_ref()).map(|c| {
        let linkable = state == "failed" && mapping.is_none();
        ConflictRow::new(key.kind, c, linkable, base_url)
    });
    let twenty_id = mapping.as_ref().map(|m| m.twenty_id.clone());
    Ok(RecordRow {
        kind: key.kind.as_str().to_string(),
        external_id: key.external_id.clone(),
        name,
        twenty_url: twenty_id
            .as_deref()
            .and_then(|id| record_url(base_url, key.kind, id)),
        twenty_id,
        last_pushed_at: mapping.as_ref().map(|m| format_ms(m.last_synced_ms)),
        state: state.to_string(),
        error_code: failed.as_ref().map(|f| f.code.as_str().to_string()),
        error: failed
            .as_ref()
            .map(|f| f.message.clone())
            .or_else(|| pending.and_then(|p| p.last_error)),
        failed_at: failed.as_ref().map(|f| format_ms(f.failed_at_ms)),
        conflict,
    })
}

/// Searches records by external id or name (case-insensitive substring; empty = every record),
/// the most recently changed first: a scan of the log's intents, newest first, bounded by
/// [`MAX_SCAN`] events and [`SCAN_BUDGET`], that returns a cursor to search further back. On the
/// first page, mapped records whose external id starts with `text` are added from the mappings
/// index even when their intents are too old for the scan (their name is then unknown).
pub fn search_records(
    store: &Store,
    text: &str,
    before: Option<u64>,
    limit: usize,
    base_url: Option<&str>,
) -> Result<RecordPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let needle = text.trim().to_lowercase();
    let mut seen: HashSet<RecordKey> = HashSet::new();
    let mut rows = Vec::new();
    let started = Instant::now();
    let mut cursor = before.unwrap_or(u64::MAX);
    let mut scanned = 0;
    let next_before = 'scan: loop {
        if rows.len() >= limit {
            break (cursor > 1).then_some(cursor);
        }
        let chunk = store.events_before(cursor, CHUNK)?;
        if chunk.is_empty() {
            break None;
        }
        for envelope in chunk {
            scanned += 1;
            cursor = envelope.seq;
            if let Event::IntentRecorded(intent) = envelope.event {
                let name = intent.fields.name.clone();
                let hit = needle.is_empty()
                    || intent.external_id.to_lowercase().contains(&needle)
                    || name
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(&needle))
                    || intent
                        .fields
                        .email
                        .as_deref()
                        .is_some_and(|e| e.contains(&needle));
                let key = intent.key();
                if hit && !seen.contains(&key) {
                    rows.push(record_row(store, &key, name, base_url)?);
                    seen.insert(key);
                    if rows.len() >= limit {
                        break 'scan (cursor > 1).then_some(cursor);
                    }
                }
            }
            if scanned >= MAX_SCAN || started.elapsed() >= SCAN_BUDGET {
                break 'scan (cursor > 1).then_some(cursor);
            }
        }
    };
    if before.is_none() && !needle.is_empty() {
        for kind in [EntityKind::Company, EntityKind::Person] {
            let mut prefix = vec![kind.as_byte()];
            prefix.extend_from_slice(text.trim().as_bytes());
            for (key, _) in store.mappings_page(&prefix, None, limit)? {
                if rows.len() < limit && seen.insert(key.clone()) {
                    rows.push(record_row(store, &key, None, base_url)?);
                }
            }
        }
    }
    Ok(RecordPage {
        rows,
        next_before,
        scanned,
    })
}

/// Every parked failure (up to `limit`), with Twenty's message and the record's name.
pub fn failed_records(
    store: &Store,
    limit: usize,
    base_url: Option<&str>,
) -> Result<Vec<RecordRow>> {
    let mut rows = Vec::new();
    for (key, failed) in store.failures()?.into_iter().take(limit) {
        let name = store
            .intent_at(failed.seq)?
            .and_then(|intent| intent.fields.name);
        rows.push(record_row(store, &key, name, base_url)?);
    }
    Ok(rows)
}

/// The link to a record in Twenty's web app: `<base URL>/object/<company|person>/<id>`.
/// Twenty Cloud's API host (`api.twenty.com`) is not where the app runs, so it gets no link.
pub fn record_url(base_url: Option<&str>, kind: EntityKind, twenty_id: &str) -> Option<String> {
    let base = url::Url::parse(base_url?).ok()?;
    if base.host_str()? == "api.twenty.com" || twenty_id.contains(['/', '?', '#']) {
        return None;
    }
    let object = match kind {
        EntityKind::Company => "company",
        EntityKind::Person => "person",
    };
    Some(format!(
        "{}/object/{object}/{twenty_id}",
        base.as_str().trim_end_matches('/')
    ))
}
