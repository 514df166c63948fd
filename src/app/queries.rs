//! Read models the UI shows, shared by the local web API and the desktop shell: a page of the
//! event log with filters, records search, parked failures and the imports history.
//!
//! Every query is bounded, whatever the size of the log: pages are read newest first from a
//! cursor (a sequence number) and a filtered scan stops after [`MAX_SCAN`] events, returning a
//! cursor to continue from. Nothing here writes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::app::report::EventRow;
use crate::clock::format_ms;
use crate::domain::{EntityKind, Envelope, Event, RecordKey};
use crate::store::{Result, Store};

/// The most rows one page may hold.
pub const MAX_PAGE: usize = 200;
/// The most events one filtered page or one search reads before it returns a cursor.
pub const MAX_SCAN: usize = 20_000;
/// The longest a search may scan before it returns a cursor.
pub const SCAN_BUDGET: Duration = Duration::from_millis(150);
/// How many of the newest events the imports history reads to find repeated imports (first
/// imports come from the store's import index).
const RECENT_IMPORT_SCAN: usize = 5_000;
/// Events decoded per read while scanning.
const CHUNK: usize = 256;

/// The filters of the Activity screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCategory {
    Intents,
    Pushes,
    Failures,
    Imports,
    Config,
}

impl EventCategory {
    pub const ALL: [EventCategory; 5] = [
        EventCategory::Intents,
        EventCategory::Pushes,
        EventCategory::Failures,
        EventCategory::Imports,
        EventCategory::Config,
    ];

    pub fn parse(text: &str) -> Option<EventCategory> {
        EventCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventCategory::Intents => "intents",
            EventCategory::Pushes => "pushes",
            EventCategory::Failures => "failures",
            EventCategory::Imports => "imports",
            EventCategory::Config => "config",
        }
    }

    /// The category of an event, by its kind name (so variants added later still land in one).
    pub fn of(kind_name: &str) -> EventCategory {
        match kind_name {
            "IntentRecorded" => EventCategory::Intents,
            "PushSucceeded" | "PushSkipped" | "MappingInvalidated" => EventCategory::Pushes,
            "PushFailed" | "RetryRequested" => EventCategory::Failures,
            "ImportCompleted" | "ImportProgress" | "DropEntryLeftAlone" => EventCategory::Imports,
            _ => EventCategory::Config,
        }
    }
}

/// Which events a page shows.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events with a lower sequence number (the cursor); `None` = from the newest.
    pub before: Option<u64>,
    pub limit: usize,
    /// Empty = every category.
    pub categories: Vec<EventCategory>,
    /// Only events about records whose external id contains this text (case-insensitive).
    pub record: Option<String>,
}

/// One page of the event log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    /// Pass as `before` for the next page; `None` when the log has no older events.
    pub next_before: Option<u64>,
    /// Events read to fill this page (a filtered page may stop early and say so here).
    pub scanned: usize,
    /// The newest sequence number in the log when the page was read.
    pub newest_seq: u64,
}

/// A page of the event log, newest first, with filters; reads at most [`MAX_SCAN`] events.
pub fn events_page(store: &Store, query: &EventQuery) -> Result<EventPage> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let needle = query
        .record
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_lowercase);
    let filtered = !query.categories.is_empty() || needle.is_some();
    let mut before = query.before.unwrap_or(u64::MAX);
    let mut rows = Vec::new();
    let mut scanned = 0;
    let next_before = 'scan: loop {
        let chunk = store.events_before(before, if filtered { CHUNK } else { limit })?;
        if chunk.is_empty() {
            break None;
        }
        for envelope in &chunk {
            scanned += 1;
            before = envelope.seq;
            if matches_event(envelope, &query.categories, needle.as_deref()) {
                rows.push(EventRow::from(envelope));
                if rows.len() == limit {
                    break 'scan (envelope.seq > 1).then_some(envelope.seq);
                }
            }
            if scanned >= MAX_SCAN {
                break 'scan (envelope.seq > 1).then_some(envelope.seq);
            }
        }
    };
    Ok(EventPage {
        rows,
        next_before,
        scanned,
        newest_seq: store.last_seq(),
    })
}

fn matches_event(envelope: &Envelope, categories: &[EventCategory], needle: Option<&str>) -> bool {
    if !categories.is_empty()
        && !categories.contains(&EventCategory::of(envelope.event.kind_name()))
    {
        return false;
    }
    match needle {
        None => true,
        Some(needle) => match &envelope.event {
            Event::ImportCompleted(summary) => summary.file_name.to_lowercase().contains(needle),
            Event::ImportProgress(checkpoint) => {
                checkpoint.file_name.to_lowercase().contains(needle)
            }
            event => event
                .record_key()
                .is_some_and(|key| key.external_id.to_lowercase().contains(needle)),
        },
    }
}

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
    /// `synced`, `pending`, `failed` or `recorded` (recorded, never pushed, nothing waits).
    pub state: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub failed_at: Option<String>,
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

/// The state of one record, read from the projections (three point reads).
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
    let state = if failed.is_some() {
        "failed"
    } else if pending.is_some() {
        "pending"
    } else if mapping.is_some() {
        "synced"
    } else {
        "recorded"
    };
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

/// One file of the imports history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// Sequence number of its `ImportCompleted` event (`None` for a file refused whole).
    pub seq: Option<u64>,
    pub at: String,
    pub file_name: String,
    /// `imported`, `duplicate` (same content as an earlier import) or `failed`.
    pub status: String,
    pub rows_read: u64,
    pub recorded: u64,
    pub invalid: u64,
    pub duplicate_rows: u64,
    pub duration_ms: u64,
    /// The error report, relative to the drop folder (`processed/…` or `failed/…`).
    pub report: Option<String>,
    /// Why a refused file was refused.
    pub message: Option<String>,
}

/// The folders of the drop folder that hold reports.
const REPORT_DIRS: [&str; 2] = [crate::import::PROCESSED_DIR, crate::import::FAILED_DIR];

/// The history of imports, newest first: every first import (from the import index), the
/// repeated imports among the newest events, and the files the drop folder refused whole
/// (from `failed/`), each with its error report when there is one.
pub fn imports_history(store: &Store, drop_dir: &Path, limit: usize) -> Result<Vec<ImportRow>> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut seqs = store.import_seqs()?;
    seqs.reverse();
    seqs.truncate(limit);
    let mut found: Vec<Envelope> = Vec::new();
    for seq in seqs {
        found.extend(store.event(seq)?);
    }
    let mut cursor = u64::MAX;
    let mut scanned = 0;
    while scanned < RECENT_IMPORT_SCAN {
        let chunk = store.events_before(cursor, CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        for envelope in chunk {
            scanned += 1;
            cursor = envelope.seq;
            if matches!(&envelope.event, Event::ImportCompleted(s) if s.duplicate_of_earlier_import)
            {
                found.push(envelope);
            }
        }
    }
    let known = crate::import::ledger::known(&crate::import::ledger::ledger_of(store));
    let reports = list_reports(drop_dir, &known);
    let mut used: HashSet<PathBuf> = HashSet::new();
    let mut rows: Vec<(i64, ImportRow)> = Vec::new();
    for envelope in found {
        let Event::ImportCompleted(summary) = &envelope.event else {
            continue;
        };
        let report = (summary.invalid > 0)
            .then(|| best_report(&reports, &summary.file_name, envelope.recorded_at_ms))
            .flatten();
        if let Some(report) = &report {
            used.insert(report.path.clone());
        }
        rows.push((
            envelope.recorded_at_ms,
            ImportRow {
                seq: Some(envelope.seq),
                at: format_ms(envelope.recorded_at_ms),
                file_name: summary.file_name.clone(),
                status: if summary.duplicate_of_earlier_import {
                    "duplicate"
                } else {
                    "imported"
                }
                .to_string(),
                rows_read: summary.rows_read,
                recorded: summary.recorded,
                invalid: summary.invalid,
                duplicate_rows: summary.duplicate_rows,
                duration_ms: summary.duration_ms,
                report: report.map(|r| r.relative.clone()),
                message: None,
            },
        ));
    }
    for report in reports
        .iter()
        .filter(|r| r.dir == crate::import::FAILED_DIR && !used.contains(&r.path))
    {
        rows.push((
            report.modified_ms,
            ImportRow {
                seq: None,
                at: format_ms(report.modified_ms),
                file_name: report.original_name.clone(),
                status: "failed".to_string(),
                rows_read: 0,
                recorded: 0,
                invalid: 0,
                duplicate_rows: 0,
                duration_ms: 0,
                report: Some(report.relative.clone()),
                message: first_report_message(drop_dir, &known, report),
            },
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.seq.cmp(&a.1.seq)));
    rows.dedup_by(|a, b| a.1.seq.is_some() && a.1.seq == b.1.seq);
    Ok(rows.into_iter().take(limit).map(|(_, row)| row).collect())
}

#[derive(Debug, Clone)]
struct ReportFile {
    path: PathBuf,
    dir: &'static str,
    /// `processed/name.errors.csv`.
    relative: String,
    /// Its name inside `dir`.
    name: String,
    /// The name of the file the report is about (without a timestamp the mover added).
    original_name: String,
    modified_ms: i64,
}

/// The reports in `processed/` and `failed/` that the agent wrote (its ledger names them and
/// they are still that file); anything else there is never listed nor read.
fn list_reports(drop_dir: &Path, known: &KnownReports) -> Vec<ReportFile> {
    let mut reports = Vec::new();
    for dir in REPORT_DIRS {
        let Ok(entries) = std::fs::read_dir(drop_dir.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(about) = name.strip_suffix(crate::import::REPORT_SUFFIX) else {
                continue;
            };
            let Some(file) = crate::import::ledger::open_known(known, drop_dir, dir, &name) else {
                continue;
            };
            let modified_ms = file
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            reports.push(ReportFile {
                path: entry.path(),
                dir,
                relative: format!("{dir}/{name}"),
                original_name: strip_stamp(about),
                name,
                modified_ms,
            });
        }
    }
    reports
}

type KnownReports = std::collections::HashMap<PathBuf, crate::safe_fs::FileId>;

/// `people-20250101T120000000Z-2.csv` → `people.csv` (the mover's timestamp suffix).
fn strip_stamp(name: &str) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext)),
        _ => (name, None),
    };
    let base = match stem.find("-20") {
        Some(at)
            if stem[at + 1..].chars().take(8).all(|c| c.is_ascii_digit())
                && stem[at + 1..].contains('T') =>
        {
            &stem[..at]
        }
        _ => stem,
    };
    match ext {
        Some(ext) => format!("{base}.{ext}"),
        None => base.to_string(),
    }
}

/// The report about `file_name` written closest after `at_ms` (within ten minutes).
fn best_report<'a>(
    reports: &'a [ReportFile],
    file_name: &str,
    at_ms: i64,
) -> Option<&'a ReportFile> {
    reports
        .iter()
        .filter(|r| r.original_name == file_name)
        .filter(|r| r.modified_ms >= at_ms - 60_000 && r.modified_ms <= at_ms + 600_000)
        .min_by_key(|r| (r.modified_ms - at_ms).abs())
}

/// The message column of a report's first line.
fn first_report_message(
    drop_dir: &Path,
    known: &KnownReports,
    report: &ReportFile,
) -> Option<String> {
    let file = crate::import::ledger::open_known(known, drop_dir, report.dir, &report.name)?;
    let mut reader = csv::Reader::from_reader(std::io::Read::take(file, 64 * 1024));
    let record = reader.records().next()?.ok()?;
    record
        .get(3)
        .map(|m| m.trim_start_matches('\'').to_string())
}

/// The path of a report named in [`ImportRow::report`], refusing anything that is not a
/// report name directly inside `processed/` or `failed/` of the drop folder. Names only: use
/// [`read_report`] to read one.
pub fn report_path(drop_dir: &Path, relative: &str) -> Option<PathBuf> {
    let (dir, name) = split_report_path(relative)?;
    Some(drop_dir.join(dir).join(name))
}

fn split_report_path(relative: &str) -> Option<(&'static str, &str)> {
    let (dir, name) = relative.split_once('/')?;
    let dir = REPORT_DIRS.into_iter().find(|known| *known == dir)?;
    if name.is_empty()
        || name.contains(['/', '\\', '\0', ':'])
        || name.starts_with('.')
        || !name.ends_with(crate::import::REPORT_SUFFIX)
    {
        return None;
    }
    Some((dir, name))
}

/// The largest report served (a report of 2,000,000 invalid rows is about 200 MB; the UI shows
/// its start).
pub const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The bytes of an error report named in [`ImportRow::report`], only if the agent wrote it (its
/// ledger knows it), opened without following links and still the same file; `None` for
/// anything else (the API answers 404).
pub fn read_report(store: &Store, drop_dir: &Path, relative: &str) -> Option<Vec<u8>> {
    let (dir, name) = split_report_path(relative)?;
    let known = crate::import::ledger::known(&crate::import::ledger::ledger_of(store));
    let file = crate::import::ledger::open_known(&known, drop_dir, dir, name)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_REPORT_BYTES), &mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests;
