//! What the drop folder takes, leaves alone and moves.
//!
//! Taken: regular files whose names end in `.csv`, `.tsv`, `.json`, `.ndjson` or `.jsonl` (any
//! case; [`super::is_import_name`]). Everything else stays exactly where it is, never moved,
//! renamed, opened or read: other names (noticed once per name, as a `DropEntryLeftAlone` event
//! and in the log), folders, links (never followed), pipes, sockets and devices. Silently
//! ignored: hidden and temporary names (`.*`, `*.tmp`, `*.part`, `*.crdownload`, `~$*`,
//! `*.swp`) and the `processed/` and `failed/` folders. A file is opened with `O_NOFOLLOW` and
//! checked to be a regular file, and is moved only if the name still holds that same file:
//! imported ones to `processed/`, refused ones to `failed/`, each with its error report.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::report::{self, move_file, unique_path};
use super::stability::Signature;
use super::{
    display_name, is_import_name, ledger, pipeline, Disposition, ImportError, ImportOptions,
    ImportOutcome, FAILED_DIR, PROCESSED_DIR, REPORT_SUFFIX,
};
use crate::safe_fs::{self, FileId};
use crate::store::Store;

/// What happened to one file of the drop folder.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum DropOutcome {
    /// Imported (or recognised as a duplicate) and moved to `processed/`.
    Imported {
        outcome: Box<ImportOutcome>,
        moved_to: Option<PathBuf>,
    },
    /// Nothing could be used: moved to `failed/` with a report explaining why.
    Failed {
        message: String,
        moved_to: Option<PathBuf>,
        report: Option<PathBuf>,
    },
    /// Left in place and skipped (not an import file, a folder, a link, a file that vanished).
    Ignored { message: String },
    /// Left in place; tried again later (once it is stable again when it `changed`).
    Retrying { message: String, changed: bool },
}

/// Whether a name is one the watcher never takes (hidden, temporary, editor lock files).
pub fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || [".tmp", ".part", ".crdownload", ".swp"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
}

/// What a directory entry of the drop folder is, as far as the watcher cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Candidate(Signature),
    /// Not an import file: left exactly where it is, noticed once per name.
    LeftAlone {
        name: String,
        reason: &'static str,
    },
    /// Ignored silently (temporary and hidden names, our own folders).
    Quiet,
    Gone,
}

/// Why an entry is left alone, as the notice says it ("left report.pdf alone: …").
pub mod reasons {
    pub const NOT_IMPORT: &str = "not an import file";
    pub const FOLDER: &str = "a folder (drop the files inside it instead)";
    pub const LINK: &str = "a link (links in the drop folder are never followed)";
    pub const SPECIAL: &str = "not a regular file (a pipe, socket or device)";
}

/// The text of a notice about an entry left alone.
pub fn left_alone_message(name: &str, reason: &str) -> String {
    format!("left {name} alone: {reason}")
}

/// The drop folder's layout.
#[derive(Debug, Clone)]
pub struct DropDirs {
    pub inbox: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
}

impl DropDirs {
    /// Creates the drop folder and its `processed/` and `failed/` subfolders (0700 when created).
    /// Refuses `processed/` or `failed/` that are links: nothing is moved through a link.
    pub fn prepare(inbox: &Path) -> Result<DropDirs, ImportError> {
        let fail = |error: std::io::Error| ImportError::DropFolder {
            path: inbox.to_path_buf(),
            detail: error.to_string(),
        };
        let inbox = &std::path::absolute(inbox).map_err(fail)?;
        let processed = inbox.join(PROCESSED_DIR);
        let failed = inbox.join(FAILED_DIR);
        for dir in [&processed, &failed] {
            if dir
                .symlink_metadata()
                .is_ok_and(|meta| !meta.file_type().is_dir())
            {
                return Err(ImportError::DropFolder {
                    path: inbox.to_path_buf(),
                    detail: format!(
                        "{} inside it is not a folder (links are never followed); move it away",
                        display_name(dir)
                    ),
                });
            }
            safe_fs::create_private_dir_all(dir).map_err(fail)?;
        }
        Ok(DropDirs {
            inbox: inbox.to_path_buf(),
            processed,
            failed,
        })
    }

    /// Classifies one path of the drop folder. Only import names are looked at (`lstat`, never
    /// followed); nothing is opened here.
    pub fn inspect(&self, path: &Path) -> Entry {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Entry::Quiet;
        };
        if path.parent() != Some(self.inbox.as_path())
            || is_ignored_name(&name)
            || name == PROCESSED_DIR
            || name == FAILED_DIR
        {
            return Entry::Quiet;
        }
        if !is_import_name(&name) {
            return Entry::LeftAlone {
                name,
                reason: reasons::NOT_IMPORT,
            };
        }
        let meta = match path.symlink_metadata() {
            Ok(meta) => meta,
            Err(_) => return Entry::Gone,
        };
        let kind = meta.file_type();
        let reason = if kind.is_symlink() {
            reasons::LINK
        } else if kind.is_dir() {
            reasons::FOLDER
        } else if !kind.is_file() {
            reasons::SPECIAL
        } else {
            return Entry::Candidate(Signature::of(&meta));
        };
        Entry::LeftAlone { name, reason }
    }
}

/// Opens a drop-folder file for import: never through a link, never blocking on a pipe, and
/// only a regular file. Returns it with its identity (to move only that same file later).
fn open_for_import(path: &Path, name: &str) -> Result<(std::fs::File, FileId), ImportError> {
    let file = safe_fs::open_no_follow(path).map_err(|error| {
        if safe_fs::is_link_error(&error) {
            ImportError::Link {
                file: name.to_string(),
            }
        } else {
            ImportError::io(name, &error)
        }
    })?;
    let meta = file.metadata().map_err(|e| ImportError::io(name, &e))?;
    if !meta.is_file() {
        return Err(ImportError::NotRegular {
            file: name.to_string(),
        });
    }
    Ok((file, FileId::of(&meta)))
}

/// Imports one stable file of the drop folder and moves it (and its report) aside.
pub fn process_drop(
    store: &Store,
    dirs: &DropDirs,
    path: &Path,
    options: &ImportOptions,
) -> DropOutcome {
    let name = display_name(path);
    let now_ms = || store.clock().now_ms();
    let ledger = ledger::ledger_of(store);
    let note = |report: &Path| {
        if let Err(error) = ledger::record(&ledger, report, now_ms()) {
            tracing::warn!(file = %name, %error, "the error report could not be noted; the UI will not offer it");
        }
    };
    let opened = open_for_import(path, &name);
    let expected = match &opened {
        Ok((_, id)) => Some(*id),
        Err(_) => path
            .symlink_metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| FileId::of(&m)),
    };
    let result = opened.and_then(|(handle, _)| {
        pipeline::run_opened(store, &handle, path, &name, options, &dirs.inbox)
    });
    match result {
        Ok((outcome, staged)) => {
            let target_dir = if outcome.nothing_usable() {
                &dirs.failed
            } else {
                &dirs.processed
            };
            let moved_to = move_aside(path, expected, target_dir, now_ms(), &name);
            let report_name = report_name(moved_to.as_deref(), &name);
            let mut outcome = outcome;
            if let Some(staged) = staged {
                match staged.place(target_dir, &report_name, now_ms()) {
                    Ok(placed) => {
                        note(&placed);
                        outcome.error_report = Some(placed)
                    }
                    Err(error) => {
                        tracing::warn!(file = %name, %error, "the report of invalid rows could not be written")
                    }
                }
            }
            if outcome.nothing_usable() {
                let message = format!(
                    "{name}: none of its {} rows is valid; nothing was recorded (see the error report)",
                    outcome.rows_read
                );
                tracing::warn!("{message}");
                DropOutcome::Failed {
                    message,
                    moved_to,
                    report: outcome.error_report,
                }
            } else {
                log_outcome(&outcome);
                DropOutcome::Imported {
                    outcome: Box::new(outcome),
                    moved_to,
                }
            }
        }
        Err(error) => match error.disposition() {
            Disposition::Retry => DropOutcome::Retrying {
                message: error.to_string(),
                changed: matches!(error, ImportError::Changed { .. }),
            },
            Disposition::Ignore => DropOutcome::Ignored {
                message: error.to_string(),
            },
            Disposition::Fail => {
                let message = error.to_string();
                tracing::warn!(file = %name, "{message}; moved to {FAILED_DIR}/");
                let moved_to = move_aside(path, expected, &dirs.failed, now_ms(), &name);
                let report_name = report_name(moved_to.as_deref(), &name);
                let report = match report::write_file_error(
                    &dirs.failed,
                    &report_name,
                    &message,
                    now_ms(),
                ) {
                    Ok(path) => {
                        note(&path);
                        Some(path)
                    }
                    Err(error) => {
                        tracing::warn!(file = %name, %error, "the error report could not be written");
                        None
                    }
                };
                DropOutcome::Failed {
                    message,
                    moved_to,
                    report,
                }
            }
        },
    }
}

/// The name of a moved file's error report: `<name it was moved to>.errors.csv`.
fn report_name(moved_to: Option<&Path>, name: &str) -> String {
    let moved = moved_to.map(display_name);
    format!("{}{REPORT_SUFFIX}", moved.as_deref().unwrap_or(name))
}

fn log_outcome(outcome: &ImportOutcome) {
    if let Some(earlier) = outcome.duplicate_of_seq {
        tracing::info!(file = %outcome.file, earlier, "same content as an earlier import; nothing new recorded");
    } else {
        tracing::info!(
            file = %outcome.file,
            rows = outcome.rows_read,
            recorded = outcome.recorded,
            invalid = outcome.invalid,
            duplicates = outcome.duplicate_rows,
            "imported"
        );
    }
    for warning in &outcome.warnings {
        tracing::warn!(file = %outcome.file, "{warning}");
    }
}

/// Moves a file into `dir` (timestamped when the name is taken), only if the name still holds
/// the file that was read (`expected`): something put in its place meanwhile stays. A file that
/// vanished after its rows were recorded is only logged: its import is complete and the content
/// hash recognises it if it comes back.
fn move_aside(
    path: &Path,
    expected: Option<FileId>,
    dir: &Path,
    now_ms: i64,
    name: &str,
) -> Option<PathBuf> {
    let now = path
        .symlink_metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| FileId::of(&m));
    if now.is_none() || now != expected {
        tracing::warn!(file = %name, "the file was replaced or removed after it was read; left where it is");
        return None;
    }
    let target = unique_path(dir, name, now_ms);
    match move_file(path, &target) {
        Ok(()) => Some(target),
        Err(error) => {
            tracing::warn!(file = %name, %error, "the file could not be moved to {}", dir.display());
            None
        }
    }
}

/// What choosing a folder as the drop folder would do now: how many of its entries would be
/// imported, how many left alone. Only names are read, and `lstat` of import names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FolderSurvey {
    pub imports: usize,
    pub left_alone: usize,
}

/// Surveys a folder (nothing when it does not exist yet or cannot be listed).
pub fn survey_folder(folder: &Path) -> FolderSurvey {
    let mut survey = FolderSurvey::default();
    let Ok(absolute) = std::path::absolute(folder) else {
        return survey;
    };
    let dirs = DropDirs {
        processed: absolute.join(PROCESSED_DIR),
        failed: absolute.join(FAILED_DIR),
        inbox: absolute,
    };
    let Ok(entries) = std::fs::read_dir(&dirs.inbox) else {
        return survey;
    };
    for entry in entries.flatten() {
        match dirs.inspect(&entry.path()) {
            Entry::Candidate(_) => survey.imports += 1,
            Entry::LeftAlone { .. } => survey.left_alone += 1,
            Entry::Quiet | Entry::Gone => {}
        }
    }
    survey
}

#[cfg(test)]
mod tests;
