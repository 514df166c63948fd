//! The imports history (the Imports screen): each imported file with its counts, its warnings,
//! its whole duration (a resumed import counts from its first part), its outcome in Twenty
//! (`outcome`), the files refused whole, and the error reports the agent wrote (only those are
//! listed and served).

mod outcome;

pub use outcome::{FailedRecord, ImportOutcomes, TwentyOutcome};

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CHUNK, MAX_PAGE};
use crate::clock::format_ms;
use crate::domain::event::ImportNotes;
use crate::domain::projection::import_notes_key;
use crate::domain::{Envelope, Event};
use crate::store::{Result, Store};

/// How many of the newest events the imports history reads to find repeated imports (first
/// imports come from the store's import index).
const RECENT_IMPORT_SCAN: usize = 5_000;

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
    /// The whole import, from when it began to its end (for a resumed import, from when its
    /// first part began: the time it stood still in between included).
    pub duration_ms: u64,
    /// The error report, relative to the drop folder (`processed/…` or `failed/…`).
    pub report: Option<String>,
    /// Why a refused file was refused.
    pub message: Option<String>,
    /// The file's warnings (ignored columns, the encoding guessed, repeated ids, people whose
    /// company row was invalid).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// True when the import continued an interrupted one (after `resumed_after_row`).
    #[serde(default)]
    pub resumed: bool,
    #[serde(default)]
    pub resumed_after_row: Option<u64>,
    /// What became of the file's records in Twenty (absent for a duplicate or a refused file).
    #[serde(default)]
    pub outcome: Option<TwentyOutcome>,
}

/// The folders of the drop folder that hold reports.
const REPORT_DIRS: [&str; 2] = [crate::import::PROCESSED_DIR, crate::import::FAILED_DIR];

/// The history of imports, newest first: every first import (from the import index), the
/// repeated imports among the newest events, and the files the drop folder refused whole
/// (from `failed/`), each with its error report when there is one, its notes (warnings,
/// resumed) and its outcome in Twenty (kept by `outcomes`).
pub fn imports_history(
    store: &Store,
    outcomes: &ImportOutcomes,
    drop_dir: &Path,
    limit: usize,
) -> Result<Vec<ImportRow>> {
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
    let completed: Vec<(u64, &crate::domain::event::ImportSummary)> = found
        .iter()
        .filter_map(|envelope| match &envelope.event {
            Event::ImportCompleted(summary) => Some((envelope.seq, summary)),
            _ => None,
        })
        .collect();
    let mut in_twenty = outcomes.read(store, &completed)?;
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
        let notes = (!summary.duplicate_of_earlier_import)
            .then(|| notes_of(store, &summary.content_hash))
            .transpose()?
            .flatten();
        let resumed_after_row = notes.as_ref().and_then(|n| n.resumed_after_row);
        let duration_ms = match (&notes, resumed_after_row) {
            (Some(notes), Some(_)) => u64::try_from(envelope.recorded_at_ms - notes.started_at_ms)
                .unwrap_or(summary.duration_ms)
                .max(summary.duration_ms),
            _ => summary.duration_ms,
        };
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
                duration_ms,
                report: report.map(|r| r.relative.clone()),
                message: None,
                warnings: notes.map(|n| n.warnings).unwrap_or_default(),
                resumed: resumed_after_row.is_some(),
                resumed_after_row,
                outcome: in_twenty.remove(&envelope.seq),
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
                warnings: Vec::new(),
                resumed: false,
                resumed_after_row: None,
                outcome: None,
            },
        ));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.seq.cmp(&a.1.seq)));
    rows.dedup_by(|a, b| a.1.seq.is_some() && a.1.seq == b.1.seq);
    Ok(rows.into_iter().take(limit).map(|(_, row)| row).collect())
}

/// The latest `ImportNoted` of the import of this content, if it has one.
fn notes_of(store: &Store, content_hash: &str) -> Result<Option<ImportNotes>> {
    let Some(seq) = store.import_seq(&import_notes_key(content_hash))? else {
        return Ok(None);
    };
    Ok(match store.event(seq)?.map(|e| e.event) {
        Some(Event::ImportNoted(notes)) => Some(notes),
        _ => None,
    })
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
pub(super) fn strip_stamp(name: &str) -> String {
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
