//! `twenty-sync import FILE... [--dry-run] [--json] [--map COLUMN=FIELD[.PART]]...`: imports
//! named files with the same processing as the drop folder (the files are not moved), their
//! columns mapped to the fields in force (the data model last read, the stored overrides, then
//! this run's `--map`). Exit 0 when every row was used, 3
//! when some rows were invalid, 2 when nothing could be used, 1 when the store failed.
//!
//! The command opens the store itself, or, while an agent holds it, asks that agent to read the
//! files (`ops::StartImport`, then `ops::ImportJob` until done): same output, same exit codes.
//! On a terminal a progress bar shows how far each file got (stderr only).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use twenty_sync::api::client::AgentClient;
use twenty_sync::app::{fields, ops};
use twenty_sync::config::Settings;
use twenty_sync::import::{
    self, FileProgress, ImportError, ImportFields, ImportOptions, ImportOutcome, ImportResult,
    ReadProgress,
};
use twenty_sync::store::Store;

use super::agent_api::Door;
use super::output::{count, plural};
use super::Failure;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files to import: CSV (comma, semicolon or tab), a JSON array of objects, or NDJSON.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Show what would be created, updated or left unchanged (by the local mappings) and every
    /// invalid row; record nothing (the report of invalid rows is still written).
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// For this run, map a column to a field (or `ignore`), over the stored mapping:
    /// `--map "Listing URL=listingUrl"`, `--map "Town=address.addressCity"`. Repeatable.
    #[arg(long = "map", value_name = "COLUMN=FIELD[.PART]")]
    pub map: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    dry_run: bool,
    exit_code: u8,
    files: Vec<serde_json::Value>,
}

pub fn run(args: ImportArgs, data_dir: &Path) -> Result<(), Failure> {
    let door = Door::open(data_dir)?;
    let fields = if door.is_agent() {
        None
    } else {
        Some(Arc::new(fields_here(&door, &args.map)?))
    };
    let mut results = Vec::new();
    for path in &args.files {
        let result = match &fields {
            None => import_through_agent(&door, path, args.dry_run, &args.map)?,
            Some(fields) => import_here(&door.store()?, path, args.dry_run, fields.clone()),
        };
        if !args.json {
            print_text(&result, args.dry_run);
        }
        results.push(result);
    }
    let exit_code = overall_exit_code(&results);
    if args.json {
        let files = results
            .iter()
            .map(|result| result_json(result, args.dry_run))
            .collect::<Result<Vec<_>, _>>()?;
        let text = serde_json::to_string_pretty(&Summary {
            dry_run: args.dry_run,
            exit_code,
            files,
        })
        .map_err(|e| Failure::other(format!("cannot format the output as JSON: {e}")))?;
        println!("{text}");
    }
    final_word(exit_code, args.dry_run)
}

/// The last line on stderr for a run that did not use every row.
fn final_word(exit_code: u8, dry_run: bool) -> Result<(), Failure> {
    let message = match (exit_code, dry_run) {
        (0, _) => return Ok(()),
        (3, false) => "some rows were invalid and were skipped; the rest was recorded (see the error reports)",
        (3, true) => "some rows are invalid (listed above and in the error reports); a real import would skip them: fix them, then import the files without --dry-run",
        (2, false) => "nothing was recorded",
        (2, true) => "nothing in these files could be used",
        _ => "the import did not complete; see the messages above",
    };
    Err(Failure {
        message: message.to_string(),
        exit_code,
    })
}

/// The fields in force for this store's configured server, with this run's `--map` on top.
fn fields_here(door: &Door, map: &[String]) -> Result<ImportFields, Failure> {
    let settings = Settings {
        base_url: door.base_url(),
        ..Settings::default()
    };
    let store = door.store()?;
    fields::fields_in_force(&store, &settings)
        .map_err(|e| Failure::other(format!("cannot read the mapping of fields: {e}")))?
        .for_import()
        .with_one_run_map(map)
        .map_err(|e| Failure {
            message: e.to_string(),
            exit_code: 2,
        })
}

/// Imports one file with this process's store, a progress bar on a terminal.
fn import_here(
    store: &Store,
    path: &Path,
    dry_run: bool,
    fields: Arc<ImportFields>,
) -> ImportResult {
    let progress = Arc::new(ReadProgress::new(
        path,
        "command",
        dry_run,
        store.clock().now_ms(),
    ));
    let options = ImportOptions {
        dry_run,
        progress: Some(progress.clone()),
        fields,
        ..ImportOptions::default()
    };
    let bar = Bar::start(path, move || Some(progress.snapshot()));
    let result = import::import_file(store, path, &options);
    bar.finish();
    ImportResult::new(path, result)
}

/// Asks the running agent to import one file and waits for its result (a progress bar on a
/// terminal). A file this process cannot read is refused here, as without an agent.
fn import_through_agent(
    door: &Door,
    path: &Path,
    dry_run: bool,
    map: &[String],
) -> Result<ImportResult, Failure> {
    {
        if let Some(refusal) = refusal_here(path) {
            return Ok(ImportResult::new(path, Err(refusal)));
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let Some(text) = absolute.to_str() else {
            return Ok(ImportResult {
                path: path.to_path_buf(),
                exit_code: 2,
                outcome: None,
                error: Some(format!(
                    "the path of {} is not valid UTF-8, so the running agent cannot be given it; rename the file or stop the agent and import it again",
                    import::display_name(path)
                )),
            });
        };
        let timeout = AgentClient::DEFAULT_TIMEOUT;
        let started = door.ask(
            ops::StartImport {
                path: text.to_string(),
                dry_run,
                map: map.to_vec(),
            },
            timeout,
        )?;
        let seen = Arc::new(std::sync::Mutex::new(None::<FileProgress>));
        let shown = seen.clone();
        let bar = Bar::start(path, move || shown.lock().ok().and_then(|p| p.clone()));
        let result = loop {
            let state = door.ask(ops::ImportJob { job: started.job }, timeout);
            let state = match state {
                Ok(state) => state,
                Err(failure) => {
                    bar.finish();
                    return Err(failure);
                }
            };
            if let Some(result) = state.result {
                break result;
            }
            if let Ok(mut seen) = seen.lock() {
                *seen = state.progress;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        bar.finish();
        Ok(as_given(result, path))
    }
}

/// Why this process cannot read `path`, when it cannot: the same refusal as an import here.
fn refusal_here(path: &Path) -> Option<ImportError> {
    let name = import::display_name(path);
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Some(ImportError::NotFound {
            file: path.display().to_string(),
        }),
        Err(error) => Some(ImportError::io(&name, &error)),
        Ok(meta) if meta.is_file() => std::fs::File::open(path)
            .err()
            .map(|error| ImportError::io(&name, &error)),
        Ok(_) => None,
    }
}

/// The agent's result with the paths as this command was given them (the agent was given the
/// full path): the same output as an import without an agent.
fn as_given(mut result: ImportResult, path: &Path) -> ImportResult {
    result.path = path.to_path_buf();
    if let Some(outcome) = &mut result.outcome {
        outcome.path = path.to_path_buf();
        if let Some(report) = &outcome.error_report {
            let beside = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if let Some(name) = report.file_name() {
                outcome.error_report = Some(beside.join(name));
            }
        }
    }
    result
}

/// One file's result as JSON: a dry run has no `recorded` count (it records nothing).
fn result_json(result: &ImportResult, dry_run: bool) -> Result<serde_json::Value, Failure> {
    let mut value = serde_json::to_value(result)
        .map_err(|e| Failure::other(format!("cannot format the output as JSON: {e}")))?;
    if dry_run {
        if let Some(outcome) = value.get_mut("outcome").and_then(|o| o.as_object_mut()) {
            outcome.remove("recorded");
        }
    }
    Ok(value)
}

/// 0 when every file was fully used, 2 when nothing was usable at all, else 3 (1 wins over all
/// when the store failed).
fn overall_exit_code(results: &[ImportResult]) -> u8 {
    if results.iter().any(|r| r.exit_code == 1) {
        1
    } else if results.iter().all(|r| r.exit_code == 0) {
        0
    } else if results.iter().all(|r| r.exit_code == 2) {
        2
    } else {
        3
    }
}

/// The progress bar of one file on a terminal: a thread that shows `read()` five times a
/// second, from 300 ms on. Nothing at all when stderr is not a terminal.
struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bar {
    fn start(path: &Path, read: impl Fn() -> Option<FileProgress> + Send + 'static) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Bar { done, thread: None };
        }
        let name = import::display_name(path);
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            // A file read in a moment gets no bar at all (no flicker).
            for _ in 0..3 {
                std::thread::sleep(Duration::from_millis(100));
                if stop.load(Ordering::Relaxed) {
                    return;
                }
            }
            let bar = indicatif::ProgressBar::new(100);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}% ({elapsed})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(format!("{name}: checking"));
            while !stop.load(Ordering::Relaxed) {
                if let Some(progress) = read() {
                    bar.set_position(u64::from(progress.percent));
                    bar.set_message(describe_progress(&progress));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            bar.finish_and_clear();
        });
        Bar {
            done,
            thread: Some(thread),
        }
    }

    fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// "people.csv: recording 41000 of 100000 rows", or by bytes while the rows are not counted.
fn describe_progress(progress: &FileProgress) -> String {
    use twenty_sync::import::progress::ImportStep;
    let step = match progress.step {
        ImportStep::Checking => "checking",
        ImportStep::Validating => "validating",
        ImportStep::Recording => "recording",
        ImportStep::Comparing => "comparing",
    };
    match (progress.step, progress.rows_total) {
        (ImportStep::Recording | ImportStep::Comparing, Some(total)) => format!(
            "{}: {step} {} of {} rows",
            progress.file,
            count(progress.rows_done),
            count(total)
        ),
        (ImportStep::Validating, _) => format!(
            "{}: {step} {} rows ({} of {} MB)",
            progress.file,
            count(progress.rows_done),
            progress.bytes_done / 1_000_000,
            progress.bytes_total / 1_000_000
        ),
        _ => format!(
            "{}: {step} ({} of {} MB)",
            progress.file,
            progress.bytes_done / 1_000_000,
            progress.bytes_total / 1_000_000
        ),
    }
}

fn print_text(result: &ImportResult, dry_run: bool) {
    let name = result.path.display();
    if let Some(error) = &result.error {
        eprintln!("{error}");
        return;
    }
    let Some(outcome) = &result.outcome else {
        return;
    };
    if let Some(earlier) = outcome.duplicate_of_seq {
        if dry_run {
            println!("{name}: already imported (event #{earlier}); importing it again would add nothing (dry run)");
        } else {
            println!("{name}: already imported (event #{earlier}); nothing new recorded");
        }
        return;
    }
    let mut line = format!("{name}: {} read", plural(outcome.rows_read, "row"));
    match &outcome.dry_run {
        Some(plan) => line.push_str(&format!(
            "; would create {}, update {}, leave {} unchanged (dry run: nothing was changed)",
            count(plan.create),
            count(plan.update),
            count(plan.unchanged)
        )),
        None => line.push_str(&format!(", {} recorded", count(outcome.recorded))),
    }
    line.push_str(&format!(", {} invalid", count(outcome.invalid)));
    if outcome.duplicate_rows > 0 {
        line.push_str(&format!(
            ", {} replaced by a later row with the same id",
            plural(outcome.duplicate_rows, "row")
        ));
    }
    println!("{line}");
    for warning in &outcome.warnings {
        println!("  warning: {warning}");
    }
    print_problems(outcome);
}

/// Every invalid row (up to the listed ones) and where the report is.
fn print_problems(outcome: &ImportOutcome) {
    for problem in &outcome.problems {
        let value = if problem.value.is_empty() {
            String::new()
        } else {
            format!(" '{}'", problem.value)
        };
        println!(
            "  row {}, {}{value}: {}",
            problem.row, problem.column, problem.message
        );
    }
    if outcome.unlisted_problems > 0 {
        println!(
            "  … and {} more problems (all of them are in the error report)",
            count(outcome.unlisted_problems)
        );
    }
    if let Some(report) = &outcome.error_report {
        println!("  invalid rows are listed in {}", report.display());
    }
}
