//! Records search (external id, Twenty id, name, e-mail: a read of the search index) and the
//! parked failures (the Records screen), each record's state read from the projections, a
//! failure with what it collides with in Twenty.

use std::collections::HashSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{CHUNK, MAX_PAGE, MAX_SCAN, SCAN_BUDGET};
use crate::clock::format_ms;
use crate::domain::projection::search::{normalise, MatchRank};
use crate::domain::{Conflict, EntityKind, Event, RecordKey};
use crate::store::{IndexProgress, Result, SearchCursor, Store};

/// The most index entries one page of a search reads before it returns a cursor.
pub const MAX_INDEX_READS: usize = 2_000;

/// One record for the Records screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRow {
    pub kind: String,
    pub external_id: String,
    /// The name of the newest intent seen for it.
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
    /// How a search found it: `exact` (its external or Twenty id is the query), `prefix` (an
    /// id, the name or the e-mail address starts with it) or `other` (a later word of the name
    /// does). Absent outside a search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<MatchRank>,
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
    /// The listing of every record (an empty query): pass as `before` to go on in older events;
    /// `None` when it is complete. A search answers `next_after` instead.
    pub next_before: Option<u64>,
    /// Events (listing) or index entries (search) read for this page.
    pub scanned: usize,
    /// A search: pass as `after` (with the same `q`) for more matches; `None` when there are no
    /// more.
    #[serde(default)]
    pub next_after: Option<String>,
    /// What to tell the person when the first page is empty ("No record matches 'x'…") or the
    /// search index is still being built ("Search is still indexing…").
    #[serde(default)]
    pub message: Option<String>,
}

/// What the Records screen asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordSearch<'a> {
    /// Searched in external ids, Twenty ids, names and e-mail addresses (case and accents
    /// aside); empty lists every record, the most recently changed first.
    pub text: &'a str,
    /// The listing's cursor (`next_before` of the previous page).
    pub before: Option<u64>,
    /// The search's cursor (`next_after` of the previous page).
    pub after: Option<&'a SearchCursor>,
    pub limit: usize,
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
        matched: None,
    })
}

/// Records matching `text` (see [`find_records`]), first page or further back in the listing.
pub fn search_records(
    store: &Store,
    text: &str,
    before: Option<u64>,
    limit: usize,
    base_url: Option<&str>,
) -> Result<RecordPage> {
    let search = RecordSearch {
        text,
        before,
        after: None,
        limit,
    };
    find_records(store, &search, base_url)
}

/// A search is a bounded read of the search index (exact ids first, then values that start with
/// the text, then later words of names; [`MAX_INDEX_READS`] entries at most, with a cursor). An
/// empty text lists every record instead, the most recently changed first.
pub fn find_records(
    store: &Store,
    search: &RecordSearch<'_>,
    base_url: Option<&str>,
) -> Result<RecordPage> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    if normalise(search.text).is_empty() {
        return list_records(store, search.before, limit, base_url);
    }
    let found = store.search(search.text, search.after, limit, MAX_INDEX_READS)?;
    let mut rows = Vec::with_capacity(found.hits.len());
    for hit in found.hits {
        let name = hit.doc.and_then(|doc| doc.name);
        rows.push(RecordRow {
            matched: Some(hit.rank),
            ..record_row(store, &hit.key, name, base_url)?
        });
    }
    let message = match found.behind {
        Some(progress) => Some(still_indexing(progress)),
        None => (rows.is_empty() && search.after.is_none() && found.next.is_none()).then(|| {
            format!(
                "No record matches '{}'; try an external id, a Twenty id, an e-mail address or the start of a name.",
                search.text.trim()
            )
        }),
    };
    Ok(RecordPage {
        rows,
        next_before: None,
        scanned: found.read,
        next_after: found.next.map(|cursor| cursor.encode()),
        message,
    })
}

/// What a search says while the index is far behind the log (just after an upgrade or a rebuild,
/// during a large import): how far it got.
fn still_indexing(progress: IndexProgress) -> String {
    let done = (progress.watermark as f64 / progress.head.max(1) as f64 * 100.0).floor();
    format!(
        "Search is still indexing the records ({:.0} % done), so some may be missing here; search again in a moment.",
        done.min(99.0)
    )
}

/// Every record, the most recently changed first: a scan of the log's intents, newest first,
/// bounded by [`MAX_SCAN`] events and [`SCAN_BUDGET`], that returns a cursor to go further back.
fn list_records(
    store: &Store,
    before: Option<u64>,
    limit: usize,
    base_url: Option<&str>,
) -> Result<RecordPage> {
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
                let key = intent.key();
                if !seen.contains(&key) {
                    rows.push(record_row(store, &key, intent.fields.name, base_url)?);
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
    let message = (rows.is_empty() && before.is_none() && next_before.is_none()).then(|| {
        "No record has been recorded yet; import a file or push a record, and it is listed here."
            .to_string()
    });
    Ok(RecordPage {
        rows,
        next_before,
        scanned,
        next_after: None,
        message,
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
