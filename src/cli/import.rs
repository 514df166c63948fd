//! `twenty-sync import FILE... [--dry-run] [--json]`: imports named files with the same
//! processing as the drop folder (the files are not moved). Exit 0 when every row was recorded,
//! 3 when some rows were invalid (the rest recorded), 2 when nothing could be recorded.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use serde::Serialize;
use twenty_sync::clock::SystemClock;
use twenty_sync::import::{self, ImportError, ImportOptions, ImportOutcome};
use twenty_sync::store::{Store, StoreError};

use super::Failure;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files to import: CSV (comma, semicolon or tab), a JSON array of objects, or NDJSON.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Show what would be created, updated or left unchanged (by the local mappings); record
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One file's result, for `--json`.
#[derive(Debug, Serialize)]
struct FileResult {
    path: PathBuf,
    exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<ImportOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    dry_run: bool,
    exit_code: u8,
    files: Vec<FileResult>,
}

pub fn run(args: ImportArgs, data_dir: &Path) -> Result<(), Failure> {
    let store = Store::open(data_dir, Arc::new(SystemClock)).map_err(|error| match error {
        StoreError::DataDir { .. } => Failure::usage(error.to_string()),
        other => Failure::other(other.to_string()),
    })?;
    let mut results = Vec::new();
    for path in &args.files {
        let mut options = ImportOptions {
            dry_run: args.dry_run,
            ..ImportOptions::default()
        };
        let bar = progress_bar(path);
        if let Some(bar) = &bar {
            let bar = bar.clone();
            options.progress = Some(Arc::new(move |bytes| bar.inc(bytes)));
        }
        let result = import::import_file(&store, path, &options);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let file_result = match result {
            Ok(outcome) => FileResult {
                path: path.clone(),
                exit_code: outcome.exit_code(),
                outcome: Some(outcome),
                error: None,
            },
            Err(error) => FileResult {
                path: path.clone(),
                exit_code: error_exit_code(&error),
                outcome: None,
                error: Some(error.to_string()),
            },
        };
        if !args.json {
            print_text(&file_result);
        }
        results.push(file_result);
    }
    let exit_code = overall_exit_code(&results);
    if args.json {
        let text = serde_json::to_string_pretty(&Summary {
            dry_run: args.dry_run,
            exit_code,
            files: results,
        })
        .map_err(|e| Failure::other(format!("cannot format the output as JSON: {e}")))?;
        println!("{text}");
    }
    match exit_code {
        0 => Ok(()),
        3 => Err(Failure {
            message: "some rows were invalid and were skipped; the rest was recorded (see the error reports)".to_string(),
            exit_code: 3,
        }),
        2 => Err(Failure::usage(if args.dry_run {
            "nothing in these files could be used"
        } else {
            "nothing was recorded"
        })),
        code => Err(Failure {
            message: "the import did not complete; see the messages above".to_string(),
            exit_code: code,
        }),
    }
}

/// A store failure is the program's problem (1); anything about the file is the input's (2).
fn error_exit_code(error: &ImportError) -> u8 {
    match error {
        ImportError::Store { .. } => 1,
        _ => 2,
    }
}

/// 0 when every file was fully used, 2 when nothing was usable at all, else 3 (1 wins over all
/// when the store failed).
fn overall_exit_code(results: &[FileResult]) -> u8 {
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

fn progress_bar(path: &Path) -> Option<indicatif::ProgressBar> {
    const SHOW_FROM_BYTES: u64 = 1024 * 1024;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let size = std::fs::metadata(path).ok()?.len();
    if size < SHOW_FROM_BYTES {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size * 3);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {percent}% ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(import::display_name(path));
    Some(bar)
}

fn print_text(result: &FileResult) {
    let name = result.path.display();
    if let Some(error) = &result.error {
        eprintln!("{error}");
        return;
    }
    let Some(outcome) = &result.outcome else {
        return;
    };
    if let Some(earlier) = outcome.duplicate_of_seq {
        println!("{name}: already imported (event #{earlier}); nothing new recorded");
        return;
    }
    let mut line = format!("{name}: {} read", plural(outcome.rows_read, "row"));
    match &outcome.dry_run {
        Some(plan) => line.push_str(&format!(
            "; would create {}, update {}, leave {} unchanged (dry run, nothing recorded)",
            plan.create, plan.update, plan.unchanged
        )),
        None => line.push_str(&format!(", {} recorded", outcome.recorded)),
    }
    line.push_str(&format!(", {} invalid", outcome.invalid));
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
    if let Some(report) = &outcome.error_report {
        println!("  invalid rows are listed in {}", report.display());
    } else if outcome.invalid > 0 && outcome.dry_run.is_some() {
        println!("  (a dry run writes no error report; import without --dry-run to get one)");
    }
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
