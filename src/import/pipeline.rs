//! The per-file import pipeline: hash and sniff the file, then stream its rows twice — once to
//! validate and choose the last row of every repeated id, once to build and record the intents —
//! so memory holds a 16-byte key per valid row, never the file. The report of invalid rows is a
//! [`StagedReport`] that removes itself unless the caller places it, so a file refused half-way
//! leaves no temporary file behind.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Instant, SystemTime};

use super::columns::{kind_from_file_name, ColumnSet};
use super::decode::{self, DecodingReader, HashingReader, NotText, Scan};
use super::draft::{check_columns, draft_from_cells, key_hash, validate_row, Repeats};
use super::parse::{self, Row, Rows};
use super::report::{ReportWriter, StagedReport};
use super::{DryRunPlan, ImportError, ImportOptions, ImportOutcome};
use crate::domain::event::{ImportCheckpoint, ImportSummary};
use crate::domain::projection::import_resume_key;
use crate::domain::{fields_hash, EntityKind, Event, Intent, IntentSource, RecordKey};
use crate::store::{Store, StoreError};

/// What one pass over the rows learned besides the rows.
struct PassEnd {
    hash: String,
    replaced: bool,
    columns: ColumnSet,
    format: parse::Format,
}

type TextReader<'p, 'f> = BufReader<DecodingReader<HashingReader<'p, &'f File>>>;

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
    let import = FileImport::begin(store, handle, path, file, options)?;
    let mut outcome = import.blank_outcome();
    if let Some(earlier) = import.store_result(store.import_seq(&import.scan.hash))? {
        import.record_duplicate(&mut outcome, earlier)?;
        return Ok((outcome, None));
    }
    if let Some(line) = import.scan.first_non_utf8_line {
        outcome.warnings.push(format!(
            "the file is not UTF-8 (first at line {line}); it was read as Windows-1252 (Latin-1): check accented letters, or save the file as UTF-8"
        ));
    }

    // Pass 1: validate every row, choose the last row of each id, report the invalid ones.
    let mut report = (!options.dry_run).then(|| ReportWriter::new(staging, file));
    let mut chosen = import.validate(&mut outcome, report.as_mut())?;
    let staged = match report.map(ReportWriter::finish).transpose() {
        Ok(staged) => staged.flatten(),
        Err(error) => {
            outcome.warnings.push(format!(
                "the report of invalid rows could not be written: {error}"
            ));
            None
        }
    };
    if outcome.valid > 0 {
        // Pass 2: build the chosen intents and record them (or compare them, in a dry run).
        import.record(&mut chosen, &mut outcome)?;
    }
    outcome.duration_ms = import.elapsed_ms();
    if outcome.valid > 0 && !options.dry_run {
        import.complete(&mut outcome, chosen)?;
    }
    Ok((outcome, staged))
}

/// One file being imported: what every step needs to know about it.
struct FileImport<'a> {
    store: &'a Store,
    handle: &'a File,
    path: &'a Path,
    file: &'a str,
    options: &'a ImportOptions,
    started: Instant,
    /// Size and modification time when the import began: any change refuses the file.
    initial: FileState,
    scan: Scan,
    /// The kind the file's name implies, if any.
    file_kind: Option<EntityKind>,
}

/// What pass 1 chose, and what pass 2 leaves for the last append.
struct Chosen {
    /// The row number chosen for each dedupe key (the last row of each id).
    rows: HashMap<[u8; 16], u64>,
    /// Intents not yet recorded when pass 2 ends, for the append that completes the import.
    batch: Vec<Event>,
    /// Intents recorded so far, including earlier appends of a resumed import.
    recorded: u64,
}

impl<'a> FileImport<'a> {
    fn begin(
        store: &'a Store,
        handle: &'a File,
        path: &'a Path,
        file: &'a str,
        options: &'a ImportOptions,
    ) -> Result<FileImport<'a>, ImportError> {
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
        Ok(FileImport {
            store,
            handle,
            path,
            file,
            options,
            started,
            initial,
            scan,
            file_kind: kind_from_file_name(file),
        })
    }

    fn blank_outcome(&self) -> ImportOutcome {
        ImportOutcome {
            file: self.file.to_string(),
            path: self.path.to_path_buf(),
            content_hash: self.scan.hash.clone(),
            format: String::new(),
            encoding: self.scan.encoding,
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
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A store call's result, its error naming this file.
    fn store_result<T>(&self, result: Result<T, StoreError>) -> Result<T, ImportError> {
        result.map_err(|source| ImportError::Store {
            file: self.file.to_string(),
            source,
        })
    }

    fn changed(&self) -> ImportError {
        ImportError::Changed {
            file: self.file.to_string(),
        }
    }

    /// The same content was imported before: record that (outside a dry run), nothing else.
    fn record_duplicate(
        &self,
        outcome: &mut ImportOutcome,
        earlier: u64,
    ) -> Result<(), ImportError> {
        outcome.duplicate_of_seq = Some(earlier);
        outcome.warnings.push(format!(
            "the same content was imported before (event #{earlier}); nothing new was recorded"
        ));
        if !self.options.dry_run {
            outcome.duration_ms = self.elapsed_ms();
            let envelopes = self.store_result(
                self.store
                    .append(vec![Event::ImportCompleted(summary(outcome, true))]),
            )?;
            outcome.import_seq = envelopes.first().map(|e| e.seq);
        }
        Ok(())
    }

    /// Pass 1: counts and validates every row, chooses the last row of each id, reports the
    /// invalid rows, and notes what the person should know about the file in `outcome`.
    fn validate(
        &self,
        outcome: &mut ImportOutcome,
        mut report: Option<&mut ReportWriter>,
    ) -> Result<Chosen, ImportError> {
        let mut rows: HashMap<[u8; 16], u64> = HashMap::new();
        let mut repeats = Repeats::default();
        let end = self.pass(|row, columns| {
            outcome.rows_read += 1;
            match validate_row(&row, self.file_kind, columns) {
                Ok((kind, external_id)) => {
                    let key = key_hash(kind, &external_id);
                    if let Some(earlier) = rows.insert(key, row.number) {
                        outcome.duplicate_rows += 1;
                        repeats.note(key, || format!("{kind} {external_id}"), earlier, row.number);
                    } else if rows.len() as u64 > self.options.max_rows {
                        return Err(ImportError::TooManyRows {
                            file: self.file.to_string(),
                            limit: self.options.max_rows,
                        });
                    }
                }
                Err(problems) => {
                    outcome.invalid += 1;
                    if let Some(report) = report.as_deref_mut() {
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
            }
            Ok(())
        })?;
        if end.hash != self.scan.hash {
            return Err(self.changed());
        }
        if outcome.rows_read == 0 {
            return Err(ImportError::NoRows {
                file: self.file.to_string(),
            });
        }
        outcome.format = end.format.describe();
        outcome.valid = rows.len() as u64;
        outcome.warnings.extend(end.warnings());
        outcome.warnings.extend(repeats.warnings());
        Ok(Chosen {
            rows,
            batch: Vec::new(),
            recorded: 0,
        })
    }

    /// Where an interrupted import of the same content stopped: (last row, intents recorded).
    fn resume_point(&self, outcome: &mut ImportOutcome) -> Result<(u64, u64), ImportError> {
        let Some(seq) =
            self.store_result(self.store.import_seq(&import_resume_key(&self.scan.hash)))?
        else {
            return Ok((0, 0));
        };
        let Some(Event::ImportProgress(checkpoint)) =
            self.store_result(self.store.event(seq))?.map(|e| e.event)
        else {
            return Ok((0, 0));
        };
        let (resume_after, recorded) = (checkpoint.through_row, checkpoint.recorded);
        outcome.resumed_after_row = Some(resume_after);
        outcome.warnings.push(format!(
            "an earlier import of this file stopped after row {resume_after} ({recorded} rows recorded); it was resumed there"
        ));
        Ok((resume_after, recorded))
    }

    /// Pass 2: builds the chosen intents (after the resume point) and records them in appends of
    /// `chunk_rows`, each with its checkpoint; in a dry run compares them with the mappings. The
    /// intents of the last, partial chunk stay in `chosen.batch`.
    fn record(&self, chosen: &mut Chosen, outcome: &mut ImportOutcome) -> Result<(), ImportError> {
        let (resume_after, mut recorded) = if self.options.dry_run {
            (0, 0)
        } else {
            self.resume_point(outcome)?
        };
        let now_ms = self.store.clock().now_ms();
        let mut plan = DryRunPlan::default();
        let mut batch: Vec<Event> = Vec::new();
        let chunk = self.options.chunk_rows.max(1);
        let end = self.pass(|row, columns| {
            let Some((kind, intent)) = self.chosen_intent(&row, columns, &chosen.rows, now_ms)
            else {
                return Ok(());
            };
            if row.number <= resume_after {
                return Ok(());
            }
            if self.options.dry_run {
                let key = RecordKey::new(kind, intent.external_id.clone());
                match self.store_result(self.store.mapping(&key))? {
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
                if !self.unchanged()? {
                    return Err(self.changed());
                }
                recorded += batch.len() as u64;
                batch.push(Event::ImportProgress(ImportCheckpoint {
                    file_name: self.file.to_string(),
                    content_hash: self.scan.hash.clone(),
                    through_row: row.number,
                    recorded,
                }));
                self.store_result(self.store.append(std::mem::take(&mut batch)))?;
            }
            Ok(())
        })?;
        if end.hash != self.scan.hash || !self.unchanged()? {
            return Err(self.changed());
        }
        if self.options.dry_run {
            outcome.dry_run = Some(plan);
        }
        chosen.batch = batch;
        chosen.recorded = recorded;
        Ok(())
    }

    /// The intent a row builds, when it is the chosen row of its id.
    fn chosen_intent(
        &self,
        row: &Row,
        columns: &ColumnSet,
        chosen: &HashMap<[u8; 16], u64>,
        now_ms: i64,
    ) -> Option<(EntityKind, Intent)> {
        let cells = row.cells.as_ref().ok()?;
        let (kind, draft) = draft_from_cells(cells, self.file_kind, columns).ok()?;
        let source = IntentSource::Import {
            file: self.file.to_string(),
            row: row.number,
        };
        let intent = draft
            .into_intent(kind, uuid::Uuid::now_v7(), source, now_ms)
            .ok()?;
        (chosen.get(&key_hash(kind, &intent.external_id)) == Some(&row.number))
            .then_some((kind, intent))
    }

    /// Records the last intents with the `ImportCompleted` that closes the import.
    fn complete(&self, outcome: &mut ImportOutcome, chosen: Chosen) -> Result<(), ImportError> {
        let mut batch = chosen.batch;
        outcome.recorded = chosen.recorded + batch.len() as u64;
        batch.push(Event::ImportCompleted(summary(outcome, false)));
        let envelopes = self.store_result(self.store.append(batch))?;
        outcome.import_seq = envelopes.last().map(|e| e.seq);
        Ok(())
    }

    /// Streams the file's rows through `on_row`, checking the columns first (CSV) or last (JSON).
    fn pass(
        &self,
        mut on_row: impl FnMut(Row, &ColumnSet) -> Result<(), ImportError>,
    ) -> Result<PassEnd, ImportError> {
        let (handle, file) = (self.handle, self.file);
        let mut rewind = handle;
        rewind
            .seek(SeekFrom::Start(0))
            .map_err(|e| ImportError::io(file, &e))?;
        let progress = self.options.progress.as_deref();
        let hashing = HashingReader::new(handle, progress);
        let text: TextReader<'_, 'a> =
            BufReader::with_capacity(64 * 1024, decode::text_reader(hashing, self.scan.encoding));
        let mut rows: Rows<TextReader<'_, 'a>> =
            parse::open(text, file, self.options.max_record_bytes)?;
        let csv = matches!(rows, Rows::Csv(_));
        if csv {
            check_columns(file, rows.columns(), self.file_kind)?;
        }
        let mut any = false;
        while let Some(row) = rows.next_row()? {
            any = true;
            on_row(row, rows.columns())?;
        }
        let columns = rows.columns().clone();
        if !csv && any {
            check_columns(file, &columns, self.file_kind)?;
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

    /// True while the file keeps the size and modification time it had when the import began.
    fn unchanged(&self) -> Result<bool, ImportError> {
        Ok(file_state(self.handle, self.file)? == self.initial)
    }
}

impl PassEnd {
    /// What the person should know about the columns and the decoding.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = self.columns.warnings();
        if self.replaced {
            warnings.push(
                "some characters could not be decoded and were replaced with �; check the file's encoding"
                    .to_string(),
            );
        }
        warnings
    }
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
