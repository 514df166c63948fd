//! Imports: CSV, JSON and NDJSON files of companies and people become intents, validated exactly
//! like `push`, whether a person names them (`twenty-sync import FILE…`) or drops them into the
//! watched drop folder (`twenty-sync run`).
//!
//! # Layout
//! - [`columns`]: the kind a file name implies.
//! - [`mapping`]: a file's headers mapped to the fields in force ([`ImportFields`]: the data
//!   model and the overrides, with one run's `--map`), and the split of each target between the
//!   intent's fixed fields and its typed other values (read with `parse_cell`).
//! - [`decode`]: encoding detection (UTF-8 ± BOM, UTF-16 with BOM, else Windows-1252 with a
//!   warning), binary refusal, content hash, streaming decode.
//! - [`parse`]: streaming CSV (sniffed delimiter, quotes, CRLF), JSON arrays and NDJSON, with a
//!   cap on the size of one record.
//! - [`draft`]: rows → drafts: a row's kind, the column checks, one row's validation, the
//!   dedupe key of "the last row of each id wins".
//! - [`findings`]: the invalid rows' problems listed in an outcome, and the people whose
//!   company row was invalid.
//! - [`pipeline`]: one file: hash, validate, last-wins dedupe, intents recorded durably (with
//!   an `ImportNoted` of its warnings); its report of invalid rows removes itself unless placed.
//! - [`progress`]: how far the reading of a file got, live, and the board of the files an
//!   agent is reading.
//! - [`report`]: the `<file>.errors.csv` report, escaped against spreadsheet formula injection.
//! - [`ledger`]: the reports the agent wrote (the only ones the UI shows and serves).
//! - [`stability`]: when a drop-folder file is quiet (size and modification time unchanged).
//! - [`drop`](mod@drop): what the drop folder takes, leaves alone (noticed once) and moves aside.
//! - [`watch`]: the drop-folder watcher: events, rescans, the loop (the only place `notify`
//!   appears).
//!
//! # Guarantees
//! - A file of at most [`ImportOptions::chunk_rows`] chosen rows is recorded in one
//!   [`Store::append`] together with its `ImportCompleted`: all or nothing.
//! - A larger file is recorded in appends of `chunk_rows` intents, each ending with an
//!   `ImportProgress` checkpoint in the same transaction; after a crash the import resumes after
//!   the last checkpoint, so every row is recorded exactly once. (One append of 100,000 intents
//!   needs about 1.4 GB of memory in sled; chunks keep an import within a few tens of MB.)
//! - What the person should know about a file (its warnings; when its import began; that it
//!   resumed an interrupted one) is recorded as an `ImportNoted` in the import's first append —
//!   every chunked import has one, a file recorded in one append only when it has a warning.
//! - The same content (BLAKE3 hash) is never imported twice: it is recorded as a duplicate
//!   import with no new intents.
//! - Memory is bounded by the number of valid rows (a 16-byte key per row), never by the file's
//!   size; one record longer than [`ImportOptions::max_record_bytes`] refuses the file.

pub mod columns;
pub mod decode;
pub mod draft;
pub mod drop;
pub mod findings;
pub mod ledger;
pub mod mapping;
pub mod parse;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod stability;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub use decode::TextEncoding;

pub use drop::DropOutcome;
pub use findings::RowProblem;
pub use mapping::{ImportFields, MapError};
pub use progress::{FileProgress, ProgressBoard, ReadProgress};
pub use watch::{watch_drop_folder, DropReport, WatchConfig};

/// The environment variable naming the drop folder (default `<data dir>/inbox`).
pub const DROP_DIR_ENV: &str = "TWENTY_SYNC_DROP_DIR";
pub use crate::paths::{FAILED_DIR, PROCESSED_DIR, REPORT_SUFFIX};
/// The endings (any case) of the files the drop folder takes; everything else is left alone.
pub const IMPORT_EXTENSIONS: [&str; 5] = ["csv", "tsv", "json", "ndjson", "jsonl"];

/// Whether the drop folder takes a file of this name: it ends in one of
/// [`IMPORT_EXTENSIONS`] (any case) after a non-empty stem.
pub fn is_import_name(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => IMPORT_EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known)),
        _ => false,
    }
}

/// How to import.
#[derive(Clone)]
pub struct ImportOptions {
    /// Validate and compare with the local mappings; record nothing (the report of invalid rows
    /// is still written).
    pub dry_run: bool,
    /// The longest single record (CSV line, JSON object) accepted, in bytes.
    pub max_record_bytes: usize,
    /// The most valid rows one file may hold.
    pub max_rows: u64,
    /// Intents per append for large files (smaller files are recorded in a single append).
    pub chunk_rows: usize,
    /// Where the pipeline shows how far it got (rows and bytes).
    pub progress: Option<Arc<ReadProgress>>,
    /// What the file's columns are mapped against (Twenty's standard fields by default).
    pub fields: Arc<ImportFields>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dry_run: false,
            max_record_bytes: 1024 * 1024,
            max_rows: 2_000_000,
            chunk_rows: 1_000,
            progress: None,
            fields: Arc::new(ImportFields::default()),
        }
    }
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("dry_run", &self.dry_run)
            .field("max_record_bytes", &self.max_record_bytes)
            .field("max_rows", &self.max_rows)
            .field("chunk_rows", &self.chunk_rows)
            .field("progress", &self.progress.is_some())
            .field("overrides", &self.fields.overrides)
            .finish()
    }
}

/// What `--dry-run` found, according to the local mappings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunPlan {
    /// No mapping yet: the record would be created in Twenty.
    pub create: u64,
    /// Mapped with different fields: the record would be updated.
    pub update: u64,
    /// Mapped with exactly these fields: nothing would be sent.
    pub unchanged: u64,
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    /// The file's name (what intents name as their source).
    pub file: String,
    pub path: PathBuf,
    pub content_hash: String,
    /// `csv (,)`, `csv (;)`, `csv (tab)`, `json` or `ndjson`; empty for a duplicate.
    pub format: String,
    pub encoding: TextEncoding,
    pub rows_read: u64,
    /// Valid rows that were chosen (the last of each repeated id).
    pub valid: u64,
    /// Intents recorded for this file (0 in a dry run), including earlier appends of a resumed
    /// import.
    pub recorded: u64,
    pub invalid: u64,
    /// Valid rows replaced by a later row with the same id.
    pub duplicate_rows: u64,
    /// The same content was imported before (sequence number of that import's event).
    pub duplicate_of_seq: Option<u64>,
    /// The import continued after this row of an earlier, interrupted import.
    pub resumed_after_row: Option<u64>,
    pub dry_run: Option<DryRunPlan>,
    pub warnings: Vec<String>,
    /// The invalid rows' problems, in file order (at most
    /// [`findings::MAX_LISTED_PROBLEMS`]; the error report has them all).
    #[serde(default)]
    pub problems: Vec<RowProblem>,
    /// Problems beyond the listed ones.
    #[serde(default)]
    pub unlisted_problems: u64,
    /// Where the report of invalid rows went, if any row was invalid.
    pub error_report: Option<PathBuf>,
    /// Sequence number of the `ImportCompleted` event, when one was recorded.
    pub import_seq: Option<u64>,
    pub duration_ms: u64,
}

impl ImportOutcome {
    /// True when nothing in the file could be used (every row invalid).
    pub fn nothing_usable(&self) -> bool {
        self.duplicate_of_seq.is_none() && self.valid == 0
    }

    /// The command-line exit code for this file alone: 0 all used, 3 some invalid, 2 none.
    pub fn exit_code(&self) -> u8 {
        if self.nothing_usable() {
            2
        } else if self.invalid > 0 {
            3
        } else {
            0
        }
    }
}

/// One named file's result, as `twenty-sync import` prints it (`--json`) and a running agent
/// answers it: the outcome, or the one-sentence error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    pub path: PathBuf,
    /// 0 all used, 3 some rows invalid, 2 nothing usable or the file refused, 1 the store failed.
    pub exit_code: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ImportOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ImportResult {
    pub fn new(path: &Path, result: Result<ImportOutcome, ImportError>) -> ImportResult {
        match result {
            Ok(outcome) => ImportResult {
                path: path.to_path_buf(),
                exit_code: outcome.exit_code(),
                outcome: Some(outcome),
                error: None,
            },
            Err(error) => ImportResult {
                path: path.to_path_buf(),
                exit_code: error.exit_code(),
                outcome: None,
                error: Some(error.to_string()),
            },
        }
    }
}

/// What to do with a file an import refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Leave it in the drop folder and try again later (it changed, or the store failed).
    Retry,
    /// Move it to `failed/` with a report: a person must fix it.
    Fail,
    /// Leave it alone (gone, a directory, a link pointing outside the folder).
    Ignore,
}

/// Why a file could not be imported. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file} does not exist; check the file's name and folder")]
    NotFound { file: String },
    #[error("{file} disappeared before it could be read; nothing was recorded from it")]
    Vanished { file: String },
    #[error("{file} cannot be read: permission denied; allow twenty-sync to read it (for example `chmod a+r`) and drop it again")]
    PermissionDenied { file: String },
    #[error("{file} cannot be read ({detail}); check the file and the disk, then drop it again")]
    Unreadable { file: String, detail: String },
    #[error("{file} is a directory, not a file; drop the files inside it instead")]
    NotAFile { file: String },
    #[error("left {file} alone: a link (links in the drop folder are never followed; copy the file in instead)")]
    Link { file: String },
    #[error("left {file} alone: not a regular file (a folder, pipe, socket or device)")]
    NotRegular { file: String },
    #[error("{file} is empty; export the data again and drop the new file")]
    Empty { file: String },
    #[error("{file} is not a text file: it looks like {what}; export CSV (UTF-8) or JSON instead")]
    Binary { file: String, what: String },
    #[error(
        "{file} has no data rows (a header or an empty list only); export it again with its rows"
    )]
    NoRows { file: String },
    #[error("{file}: line {line} holds a record longer than {limit} bytes; this is not a directory export (one row is at most a few KB) — check the file")]
    RecordTooLong {
        file: String,
        line: u64,
        limit: usize,
    },
    #[error("{file}: the quoted value that starts on line {line} is never closed, so the rest of the file cannot be read; add the missing \" and drop it again")]
    UnclosedQuote { file: String, line: u64 },
    #[error("{file} is not valid JSON near line {line}: {detail}; fix it (or export again) and drop it again")]
    MalformedJson {
        file: String,
        line: u64,
        detail: String,
    },
    #[error("{file} has no column twenty-sync recognises (found: {found}); name the columns external_id, name, email, … — if this looks like several names in one column, separate them with commas, semicolons or tabs")]
    NoRecognisableColumns { file: String, found: String },
    #[error("{file} has no {column} column; {hint}")]
    MissingColumn {
        file: String,
        column: &'static str,
        hint: &'static str,
    },
    #[error("{file}: cannot tell whether its rows are companies or people; add a `type` column (company or person) or name the file companies….csv or people….csv")]
    UnknownKind { file: String },
    #[error("{file} has more than {limit} valid rows; split it into smaller files")]
    TooManyRows { file: String, limit: u64 },
    #[error(
        "{file} changed while it was being read; it will be read again once it stops changing"
    )]
    Changed { file: String },
    #[error("the rows of {file} could not be recorded: {source}")]
    Store {
        file: String,
        #[source]
        source: StoreError,
    },
    #[error("the drop folder {path} cannot be used ({detail}); check that it exists and that twenty-sync may write to it")]
    DropFolder { path: PathBuf, detail: String },
}

impl ImportError {
    /// What the drop folder does with a file that met this error.
    pub fn disposition(&self) -> Disposition {
        match self {
            ImportError::Vanished { .. }
            | ImportError::NotFound { .. }
            | ImportError::NotAFile { .. }
            | ImportError::Link { .. }
            | ImportError::NotRegular { .. } => Disposition::Ignore,
            ImportError::Changed { .. }
            | ImportError::Store { .. }
            | ImportError::DropFolder { .. } => Disposition::Retry,
            _ => Disposition::Fail,
        }
    }

    /// The command-line exit code: a store failure is the program's problem (1); anything
    /// about the file is the input's (2).
    pub fn exit_code(&self) -> u8 {
        match self {
            ImportError::Store { .. } => 1,
            _ => 2,
        }
    }

    /// The error of a file that could not be read: `Vanished` when it is gone (it existed when
    /// it was found), `PermissionDenied`, else `Unreadable`.
    pub fn io(file: &str, error: &std::io::Error) -> ImportError {
        match error.kind() {
            std::io::ErrorKind::NotFound => ImportError::Vanished {
                file: file.to_string(),
            },
            std::io::ErrorKind::PermissionDenied => ImportError::PermissionDenied {
                file: file.to_string(),
            },
            _ => ImportError::Unreadable {
                file: file.to_string(),
                detail: error.to_string(),
            },
        }
    }
}

/// The name intents record as their source: the file's name without its folder.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Imports one named file (the `import` command): the file stays where it is; a report of
/// invalid rows is written beside it as `<file>.errors.csv` (with a timestamp when taken).
pub fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let file = display_name(path);
    let staging = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (mut outcome, staged) = pipeline::run(store, path, &file, options, &staging)?;
    if let Some(staged) = staged {
        let name = format!("{file}{REPORT_SUFFIX}");
        match staged.place(&staging, &name, store.clock().now_ms()) {
            Ok(placed) => outcome.error_report = Some(placed),
            Err(error) => outcome.warnings.push(format!(
                "the report of invalid rows could not be written beside the file: {error}"
            )),
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests;
