//! The import pipeline: hash and sniff the file, then stream its rows twice — once to validate
//! and choose the last row of every repeated id, once to build and record the intents — so
//! memory holds a 16-byte key per valid row, never the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Instant, SystemTime};

use super::columns::{kind_from_file_name, Column, ColumnSet};
use super::decode::{self, DecodingReader, HashingReader, NotText, Scan};
use super::parse::{self, Row, Rows};
use super::report::{ReportWriter, StagedReport};
use super::{DryRunPlan, ImportError, ImportOptions, ImportOutcome};
use crate::app::record::build_intent;
use crate::domain::event::{ImportCheckpoint, ImportSummary};
use crate::domain::projection::import_resume_key;
use crate::domain::{fields_hash, EntityKind, Event, IntentDraft, IntentSource, RecordKey};
use crate::store::Store;

/// One problem for the error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub message: String,
}

/// Turns a row's recognised cells into a draft and its kind. `fallback` is the kind the file
/// name implies; a `type` cell overrides it.
pub fn draft_from_cells(
    cells: &[(Column, String)],
    fallback: Option<EntityKind>,
    columns: &ColumnSet,
) -> Result<(EntityKind, IntentDraft), Vec<Problem>> {
    let mut draft = IntentDraft::default();
    let mut kind_cell: Option<&str> = None;
    for (column, value) in cells {
        if value.trim().is_empty() {
            continue;
        }
        let fields = &mut draft.fields;
        let slot = match column {
            Column::Type => {
                kind_cell.get_or_insert(value.as_str());
                continue;
            }
            Column::ExternalId => &mut draft.external_id,
            Column::Name => &mut fields.name,
            Column::FirstName => &mut fields.first_name,
            Column::LastName => &mut fields.last_name,
            Column::Email => &mut fields.email,
            Column::Website => &mut fields.website,
            Column::Phone => &mut fields.phone,
            Column::JobTitle => &mut fields.job_title,
            Column::City => &mut fields.city,
            Column::CompanyExternalId => &mut fields.company_external_id,
            Column::CompanyName => &mut fields.company_name,
        };
        if slot.is_none() {
            *slot = Some(value.clone());
        }
    }
    let kind = match kind_cell {
        Some(text) => EntityKind::parse(text).ok_or_else(|| {
            vec![Problem {
                column: columns.header_of(Column::Type).to_string(),
                value: parse::truncate(text),
                message: "must be company or person".to_string(),
            }]
        })?,
        None => fallback.ok_or_else(|| {
            vec![Problem {
                column: columns.header_of(Column::Type).to_string(),
                value: String::new(),
                message: "is empty; write company or person".to_string(),
            }]
        })?,
    };
    // A companies file whose names are in a `company` column: that column is the name.
    if kind == EntityKind::Company && draft.fields.name.is_none() && !columns.has(Column::Name) {
        draft.fields.name = draft.fields.company_name.take();
    }
    Ok((kind, draft))
}

/// Refuses files whose columns cannot describe a valid row.
pub fn check_columns(
    file: &str,
    columns: &ColumnSet,
    file_kind: Option<EntityKind>,
) -> Result<(), ImportError> {
    if !columns.any_recognised() {
        let mut found = columns.all_headers().join(", ");
        if found.chars().count() > 200 {
            found = parse::truncate(&found);
        }
        if found.is_empty() {
            found = "no column names".to_string();
        }
        return Err(ImportError::NoRecognisableColumns {
            file: file.to_string(),
            found,
        });
    }
    let missing = |column, hint| {
        Err(ImportError::MissingColumn {
            file: file.to_string(),
            column,
            hint,
        })
    };
    if !columns.has(Column::ExternalId) {
        return missing(
            "external_id",
            "every row needs your own stable id for the record: add an external_id (or id) column",
        );
    }
    let typed = columns.has(Column::Type);
    if !typed && file_kind.is_none() {
        return Err(ImportError::UnknownKind {
            file: file.to_string(),
        });
    }
    let person_names = columns.has(Column::FirstName) || columns.has(Column::LastName);
    let has_name = columns.has(Column::Name);
    match (typed, file_kind) {
        (false, Some(EntityKind::Company)) if !has_name && !columns.has(Column::CompanyName) => {
            return missing("name", "every company needs a name: add a name column")
        }
        (false, Some(EntityKind::Person)) if !has_name && !person_names => {
            return missing(
                "name",
                "every person needs a name: add a name column (or first_name and last_name)",
            )
        }
        (false, Some(EntityKind::Person)) if !columns.has(Column::Email) => {
            return missing(
                "email",
                "every person needs an email address: add an email column",
            )
        }
        (true, _) if !has_name && !person_names && !columns.has(Column::CompanyName) => {
            return missing(
                "name",
                "every record needs a name: add a name column (people may use first_name and last_name)",
            )
        }
        _ => {}
    }
    Ok(())
}

/// The dedupe key of a record: 16 bytes of BLAKE3 over its kind and external id.
fn key_hash(kind: EntityKind, external_id: &str) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[kind.as_byte()]);
    hasher.update(external_id.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// Repeated ids, for the warning that names their rows (the first few in detail).
#[derive(Default)]
struct Repeats {
    detailed: Vec<(String, Vec<u64>)>,
    index: HashMap<[u8; 16], usize>,
    others: u64,
}

impl Repeats {
    const DETAILED: usize = 20;

    fn note(&mut self, key: [u8; 16], label: impl FnOnce() -> String, earlier: u64, later: u64) {
        if let Some(&slot) = self.index.get(&key) {
            self.detailed[slot].1.push(later);
        } else if self.detailed.len() < Self::DETAILED {
            self.index.insert(key, self.detailed.len());
            self.detailed.push((label(), vec![earlier, later]));
        } else {
            self.others += 1;
        }
    }

    fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .detailed
            .iter()
            .map(|(label, rows)| {
                let last = rows.last().copied().unwrap_or_default();
                let list = rows
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{label} appears in rows {list}; the last one (row {last}) was used")
            })
            .collect();
        if self.others > 0 {
            out.push(format!(
                "{} more rows repeat an id met earlier in the file; the last row of each id was used",
                self.others
            ));
        }
        out
    }
}

/// What one pass over the rows learned besides the rows.
struct PassEnd {
    hash: String,
    replaced: bool,
    columns: ColumnSet,
    format: parse::Format,
}

type TextReader<'p, 'f> = BufReader<DecodingReader<HashingReader<'p, &'f File>>>;

/// Streams the file's rows through `on_row`, checking the columns first (CSV) or last (JSON).
fn pass<'f>(
    handle: &'f File,
    scan: &Scan,
    file: &str,
    options: &ImportOptions,
    file_kind: Option<EntityKind>,
    mut on_row: impl FnMut(Row, &ColumnSet) -> Result<(), ImportError>,
) -> Result<PassEnd, ImportError> {
    let mut rewind = handle;
    rewind
        .seek(SeekFrom::Start(0))
        .map_err(|e| ImportError::io(file, &e))?;
    let progress = options.progress.as_deref();
    let hashing = HashingReader::new(handle, progress);
    let text: TextReader<'_, 'f> =
        BufReader::with_capacity(64 * 1024, decode::text_reader(hashing, scan.encoding));
    let mut rows: Rows<TextReader<'_, 'f>> = parse::open(text, file, options.max_record_bytes)?;
    let csv = matches!(rows, Rows::Csv(_));
    if csv {
        check_columns(file, rows.columns(), file_kind)?;
    }
    let mut any = false;
    while let Some(row) = rows.next_row()? {
        any = true;
        on_row(row, rows.columns())?;
    }
    let columns = rows.columns().clone();
    if !csv && any {
        check_columns(file, &columns, file_kind)?;
    }
    let format = rows.format();
    let mut decoding = rows.into_reader().into_inner();
    // Drain what the parser did not need (text after the last record) so the hash covers it.
    let mut sink = [0u8; 8192];
    while decoding
        .read(&mut sink)
        .map_err(|e| ImportError::io(file, &e))?
        > 0
    {}
    Ok(PassEnd {
        hash: decoding.get_ref().hash_hex(),
        replaced: decoding.had_replacements(),
        columns,
        format,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileState {
    len: u64,
    modified: Option<SystemTime>,
}

fn file_state(handle: &File, file: &str) -> Result<FileState, ImportError> {
    let meta = handle.metadata().map_err(|e| ImportError::io(file, &e))?;
    Ok(FileState {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// Imports `path` (named `file` in intents and messages). The report of invalid rows, if any,
/// is staged in `staging` for the caller to place. Nothing is recorded in a dry run.
pub fn run(
    store: &Store,
    path: &Path,
    file: &str,
    options: &ImportOptions,
    staging: &Path,
) -> Result<(ImportOutcome, Option<StagedReport>), ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::io(file, &e))?;
    if meta.is_dir() {
        return Err(ImportError::NotAFile {
            file: file.to_string(),
        });
    }
    let handle = File::open(path).map_err(|e| ImportError::io(file, &e))?;
    run_opened(store, &handle, path, file, options, staging)
}

/// [`run`] on a file already opened (the drop folder opens without following links and checks
/// that it is a regular file first).
pub fn run_opened(
    store: &Store,
    handle: &File,
    path: &Path,
    file: &str,
    options: &ImportOptions,
    staging: &Path,
) -> Result<(ImportOutcome, Option<StagedReport>), ImportError> {
    let started = Instant::now();
    let initial = file_state(handle, file)?;
    let progress = options.progress.as_deref();
    let scan = match decode::scan(handle, progress).map_err(|e| ImportError::io(file, &e))? {
        Ok(scan) => scan,
        Err(NotText::Empty) => {
            return Err(ImportError::Empty {
                file: file.to_string(),
            })
        }
        Err(NotText::Binary(what)) => {
            return Err(ImportError::Binary {
                file: file.to_string(),
                what,
            })
        }
    };
    let store_error = |source| ImportError::Store {
        file: file.to_string(),
        source,
    };
    let mut outcome = ImportOutcome {
        file: file.to_string(),
        path: path.to_path_buf(),
        content_hash: scan.hash.clone(),
        format: String::new(),
        encoding: scan.encoding,
        rows_read: 0,
        valid: 0,
        recorded: 0,
        invalid: 0,
        duplicate_rows: 0,
        duplicate_of_seq: None,
        resumed_after_row: None,
        dry_run: None,
        warnings: Vec::new(),
        error_report: None,
        import_seq: None,
        duration_ms: 0,
    };

    if let Some(earlier) = store.import_seq(&scan.hash).map_err(store_error)? {
        outcome.duplicate_of_seq = Some(earlier);
        outcome.warnings.push(format!(
            "the same content was imported before (event #{earlier}); nothing new was recorded"
        ));
        if !options.dry_run {
            outcome.duration_ms = started.elapsed().as_millis() as u64;
            let envelopes = store
                .append(vec![Event::ImportCompleted(summary(&outcome, true))])
                .map_err(store_error)?;
            outcome.import_seq = envelopes.first().map(|e| e.seq);
        }
        return Ok((outcome, None));
    }

    if let Some(line) = scan.first_non_utf8_line {
        outcome.warnings.push(format!(
            "the file is not UTF-8 (first at line {line}); it was read as Windows-1252 (Latin-1): check accented letters, or save the file as UTF-8"
        ));
    }
    let file_kind = kind_from_file_name(file);

    // Pass 1: validate every row, choose the last row of each id, report the invalid ones.
    let mut report = (!options.dry_run).then(|| ReportWriter::new(staging, file));
    let mut chosen: HashMap<[u8; 16], u64> = HashMap::new();
    let mut repeats = Repeats::default();
    let validated = pass(handle, &scan, file, options, file_kind, |row, columns| {
        outcome.rows_read += 1;
        let problems = match &row.cells {
            Err(issue) => vec![Problem {
                column: issue.column.clone(),
                value: issue.value.clone(),
                message: issue.message.clone(),
            }],
            Ok(cells) => match draft_from_cells(cells, file_kind, columns) {
                Err(problems) => problems,
                Ok((kind, draft)) => match draft.validate(kind) {
                    Err(errors) => errors
                        .into_iter()
                        .map(|e| Problem {
                            column: columns.header_of_field(e.field).to_string(),
                            value: e.value,
                            message: e.message,
                        })
                        .collect(),
                    Ok((external_id, _)) => {
                        let key = key_hash(kind, &external_id);
                        if let Some(earlier) = chosen.insert(key, row.number) {
                            outcome.duplicate_rows += 1;
                            repeats.note(
                                key,
                                || format!("{kind} {external_id}"),
                                earlier,
                                row.number,
                            );
                        } else if chosen.len() as u64 > options.max_rows {
                            return Err(ImportError::TooManyRows {
                                file: file.to_string(),
                                limit: options.max_rows,
                            });
                        }
                        Vec::new()
                    }
                },
            },
        };
        if !problems.is_empty() {
            outcome.invalid += 1;
            if let Some(report) = report.as_mut() {
                for problem in &problems {
                    report.add(
                        Some(row.number),
                        &problem.column,
                        &problem.value,
                        &problem.message,
                    );
                }
            }
        }
        Ok(())
    });
    let validated = match validated {
        Ok(end) => end,
        Err(error) => {
            if let Some(report) = report {
                report.discard();
            }
            return Err(error);
        }
    };
    let discard = |report: Option<ReportWriter>| {
        if let Some(report) = report {
            report.discard();
        }
    };
    if validated.hash != scan.hash {
        discard(report);
        return Err(ImportError::Changed {
            file: file.to_string(),
        });
    }
    if outcome.rows_read == 0 {
        discard(report);
        return Err(ImportError::NoRows {
            file: file.to_string(),
        });
    }
    outcome.format = validated.format.describe();
    outcome.valid = chosen.len() as u64;
    if !validated.columns.unknown.is_empty() {
        outcome.warnings.push(format!(
            "ignored column{} not used by twenty-sync: {}",
            if validated.columns.unknown.len() == 1 {
                ""
            } else {
                "s"
            },
            parse::truncate(&validated.columns.unknown.join(", "))
        ));
    }
    for (header, column) in &validated.columns.repeated {
        outcome.warnings.push(format!(
            "column '{header}' repeats {column} ('{}'); the first non-empty value was used",
            validated.columns.header_of(*column)
        ));
    }
    if validated.replaced {
        outcome.warnings.push(
            "some characters could not be decoded and were replaced with �; check the file's encoding"
                .to_string(),
        );
    }
    outcome.warnings.extend(repeats.warnings());

    let staged = match report.map(ReportWriter::finish).transpose() {
        Ok(staged) => staged.flatten(),
        Err(error) => {
            outcome.warnings.push(format!(
                "the report of invalid rows could not be written: {error}"
            ));
            None
        }
    };
    if outcome.valid == 0 {
        outcome.duration_ms = started.elapsed().as_millis() as u64;
        return Ok((outcome, staged));
    }

    // Resume after the last checkpoint of an interrupted import of the same content.
    let mut recorded = 0u64;
    let mut resume_after = 0u64;
    if !options.dry_run {
        if let Some(seq) = store
            .import_seq(&import_resume_key(&scan.hash))
            .map_err(store_error)?
        {
            if let Some(Event::ImportProgress(checkpoint)) =
                store.event(seq).map_err(store_error)?.map(|e| e.event)
            {
                resume_after = checkpoint.through_row;
                recorded = checkpoint.recorded;
                outcome.resumed_after_row = Some(resume_after);
                outcome.warnings.push(format!(
                    "an earlier import of this file stopped after row {resume_after} ({recorded} rows recorded); it was resumed there"
                ));
            }
        }
    }

    // Pass 2: build the chosen intents and record them (or compare them, in a dry run).
    let now_ms = store.clock().now_ms();
    let mut plan = DryRunPlan::default();
    let mut batch: Vec<Event> = Vec::new();
    let chunk = options.chunk_rows.max(1);
    let recorded_pass = pass(handle, &scan, file, options, file_kind, |row, columns| {
        let Ok(cells) = &row.cells else {
            return Ok(());
        };
        let Ok((kind, draft)) = draft_from_cells(cells, file_kind, columns) else {
            return Ok(());
        };
        let source = IntentSource::Import {
            file: file.to_string(),
            row: row.number,
        };
        let Ok(intent) = build_intent(kind, &draft, source, now_ms) else {
            return Ok(());
        };
        if chosen.get(&key_hash(kind, &intent.external_id)) != Some(&row.number)
            || row.number <= resume_after
        {
            return Ok(());
        }
        if options.dry_run {
            let key = RecordKey::new(kind, intent.external_id.clone());
            match store.mapping(&key).map_err(store_error)? {
                None => plan.create += 1,
                Some(mapping) if mapping.fields_hash == fields_hash(kind, &intent.fields) => {
                    plan.unchanged += 1
                }
                Some(_) => plan.update += 1,
            }
            return Ok(());
        }
        batch.push(Event::IntentRecorded(intent));
        if batch.len() >= chunk {
            if file_state(handle, file)? != initial {
                return Err(ImportError::Changed {
                    file: file.to_string(),
                });
            }
            recorded += batch.len() as u64;
            batch.push(Event::ImportProgress(ImportCheckpoint {
                file_name: file.to_string(),
                content_hash: scan.hash.clone(),
                through_row: row.number,
                recorded,
            }));
            store
                .append(std::mem::take(&mut batch))
                .map_err(store_error)?;
        }
        Ok(())
    });
    let recorded_pass = match recorded_pass {
        Ok(end) => end,
        Err(error) => {
            if let Some(staged) = staged {
                staged.discard();
            }
            return Err(error);
        }
    };
    if recorded_pass.hash != scan.hash || file_state(handle, file)? != initial {
        if let Some(staged) = staged {
            staged.discard();
        }
        return Err(ImportError::Changed {
            file: file.to_string(),
        });
    }
    if options.dry_run {
        outcome.dry_run = Some(plan);
        outcome.duration_ms = started.elapsed().as_millis() as u64;
        return Ok((outcome, staged));
    }
    recorded += batch.len() as u64;
    outcome.recorded = recorded;
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    batch.push(Event::ImportCompleted(summary(&outcome, false)));
    let envelopes = match store.append(batch) {
        Ok(envelopes) => envelopes,
        Err(source) => {
            if let Some(staged) = staged {
                staged.discard();
            }
            return Err(store_error(source));
        }
    };
    outcome.import_seq = envelopes.last().map(|e| e.seq);
    Ok((outcome, staged))
}

fn summary(outcome: &ImportOutcome, duplicate: bool) -> ImportSummary {
    ImportSummary {
        file_name: outcome.file.clone(),
        content_hash: outcome.content_hash.clone(),
        rows_read: outcome.rows_read,
        recorded: outcome.recorded,
        invalid: outcome.invalid,
        duplicate_rows: outcome.duplicate_rows,
        duplicate_of_earlier_import: duplicate,
        duration_ms: outcome.duration_ms,
    }
}

#[cfg(test)]
mod tests;
