//! The per-file import pipeline: hash and sniff the file, then stream its rows twice — once to
//! validate and choose the last row of every repeated id, once to build and record the intents —
//! so memory holds a 16-byte key per valid row, never the file. The report of invalid rows is a
//! [`StagedReport`] that removes itself unless the caller places it, so a file refused half-way
//! leaves no temporary file behind (a dry run writes it too). The second pass (`record`) records
//! the intents in chunks with their checkpoints and the file's `ImportNoted`.

mod record;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Instant, SystemTime};

use super::columns::kind_from_file_name;
use super::decode::{self, DecodingReader, HashingReader, NotText, Scan};
use super::draft::{check_columns, identity_of_invalid, key_hash, validate_row, Repeats};
use super::findings::{CompanyRefs, ProblemList};
use super::mapping::FileMapping;
use super::parse::{self, Row, Rows};
use super::progress::{ImportStep, ReadProgress};
use super::report::{ReportWriter, StagedReport};
use super::{ImportError, ImportOptions, ImportOutcome};
use crate::domain::event::ImportSummary;
use crate::domain::{EntityKind, Event, RecordKey};
use crate::store::{Store, StoreError};

/// What one pass over the rows learned besides the rows.
struct PassEnd {
    hash: String,
    replaced: bool,
    mapping: FileMapping,
    /// JSON keys ignored past the most different keys one file may use.
    ignored_keys: u64,
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
    let meta = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => ImportError::NotFound {
            file: path.display().to_string(),
        },
        _ => ImportError::io(file, &error),
    })?;
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
    let mut report = ReportWriter::new(staging, file);
    let mut chosen = import.validate(&mut outcome, &mut report)?;
    let staged = match report.finish() {
        Ok(staged) => staged,
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
    /// When this import began (the store's clock), for its `ImportNoted`.
    started_at_ms: i64,
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
    /// How many of `batch` are intents (it may also hold the file's `ImportNoted`).
    batch_intents: u64,
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
        if let Some(progress) = progress {
            progress.set_bytes_total(initial.len);
            progress.begin(ImportStep::Checking);
        }
        let add_bytes = |bytes: u64| progress.map_or((), |p| p.add_bytes(bytes));
        let scan =
            match decode::scan(handle, Some(&add_bytes)).map_err(|e| ImportError::io(file, &e))? {
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
            started_at_ms: store.clock().now_ms(),
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
            problems: Vec::new(),
            unlisted_problems: 0,
            error_report: None,
            import_seq: None,
            duration_ms: 0,
        }
    }

    fn progress(&self) -> Option<&ReadProgress> {
        self.options.progress.as_deref()
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
        outcome.warnings.push(if self.options.dry_run {
            format!("the same content was imported before (event #{earlier}); importing it again would change nothing")
        } else {
            format!(
                "the same content was imported before (event #{earlier}); nothing new was recorded"
            )
        });
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
    /// invalid rows (in the report and, listed up to a cap, in `outcome`), and notes what the
    /// person should know about the file in `outcome`.
    fn validate(
        &self,
        outcome: &mut ImportOutcome,
        report: &mut ReportWriter,
    ) -> Result<Chosen, ImportError> {
        let mut rows: HashMap<[u8; 16], u64> = HashMap::new();
        let mut repeats = Repeats::default();
        let mut problems = ProblemList::default();
        let mut companies = CompanyRefs::default();
        let end = self.pass(ImportStep::Validating, |row, mapping| {
            outcome.rows_read += 1;
            match validate_row(&row, self.file_kind, mapping) {
                Ok(valid) => {
                    let (kind, external_id) = (valid.kind, &valid.external_id);
                    if let (Some(company), None) = (
                        &valid.fields.company_external_id,
                        &valid.fields.company_name,
                    ) {
                        companies.person_names(company, row.number);
                    }
                    let key = key_hash(kind, external_id);
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
                Err(found) => {
                    outcome.invalid += 1;
                    if let Some((EntityKind::Company, external_id)) =
                        identity_of_invalid(&row, self.file_kind, mapping)
                    {
                        companies.invalid_company(&external_id, row.number);
                    }
                    for problem in &found {
                        problems.add(row.number, problem);
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
        })?;
        if end.hash != self.scan.hash {
            return Err(self.changed());
        }
        if outcome.rows_read == 0 {
            return Err(ImportError::NoRows {
                file: self.file.to_string(),
            });
        }
        if let Some(progress) = self.progress() {
            progress.set_rows_total(outcome.rows_read);
        }
        outcome.format = end.format.describe();
        outcome.valid = rows.len() as u64;
        outcome.problems = problems.listed;
        outcome.unlisted_problems = problems.unlisted;
        outcome.warnings.extend(end.warnings());
        outcome.warnings.extend(repeats.warnings());
        let known = |external_id: &str| {
            let key = RecordKey::new(EntityKind::Company, external_id);
            Ok::<bool, StoreError>(
                self.store.mapping(&key)?.is_some() || self.store.pending(&key)?.is_some(),
            )
        };
        let orphans = self.store_result(companies.warnings(&rows, known))?;
        outcome.warnings.extend(orphans);
        Ok(Chosen {
            rows,
            batch: Vec::new(),
            recorded: 0,
            batch_intents: 0,
        })
    }

    /// Streams the file's rows through `on_row`, checking the columns first (CSV) or last (JSON).
    fn pass(
        &self,
        step: ImportStep,
        mut on_row: impl FnMut(Row, &FileMapping) -> Result<(), ImportError>,
    ) -> Result<PassEnd, ImportError> {
        let (handle, file) = (self.handle, self.file);
        let mut rewind = handle;
        rewind
            .seek(SeekFrom::Start(0))
            .map_err(|e| ImportError::io(file, &e))?;
        let progress = self.progress();
        if let Some(progress) = progress {
            progress.begin(step);
        }
        let add_bytes = |bytes: u64| progress.map_or((), |p| p.add_bytes(bytes));
        let hashing = HashingReader::new(handle, Some(&add_bytes));
        let text: TextReader<'_, 'a> =
            BufReader::with_capacity(64 * 1024, decode::text_reader(hashing, self.scan.encoding));
        let mut rows: Rows<TextReader<'_, 'a>> =
            parse::open(text, file, self.options.max_record_bytes)?;
        let csv = matches!(rows, Rows::Csv(_));
        let mut mapping =
            FileMapping::new(self.options.fields.clone(), self.file_kind, rows.headers());
        if csv {
            check_columns(file, &mapping, self.file_kind)?;
        }
        let mut any = false;
        while let Some(row) = rows.next_row()? {
            any = true;
            if let Some(progress) = progress {
                progress.row(row.number);
            }
            mapping.sync(rows.headers());
            on_row(row, &mapping)?;
        }
        if !csv && any {
            check_columns(file, &mapping, self.file_kind)?;
        }
        let ignored_keys = rows.headers().ignored_keys;
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
            mapping,
            ignored_keys,
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
        let mut warnings = self.mapping.warnings();
        if self.ignored_keys > 0 {
            warnings.push(format!(
                "the objects use more than {} different keys; {} values under the keys after those were ignored",
                parse::MAX_JSON_KEYS,
                self.ignored_keys
            ));
        }
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
