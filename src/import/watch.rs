//! The drop-folder watcher: `notify` events (debounced) plus a periodic rescan find candidate
//! files; a file is imported once its size and modification time have not changed for the
//! stability delay; afterwards it moves to `processed/` or `failed/` with its error report.
//! This is the only module where `notify` types appear.
//!
//! Ignored: hidden and temporary names (`.*`, `*.tmp`, `*.part`, `*.crdownload`, `~$*`,
//! `*.swp`), directories (including `processed/` and `failed/`), anything that is not a regular
//! file, and symbolic links that lead outside the drop folder.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::DebounceEventResult;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::report::{self, move_file, unique_path};
use super::{
    display_name, process, Disposition, ImportError, ImportOptions, ImportOutcome, DROP_DIR_ENV,
    FAILED_DIR, PROCESSED_DIR, REPORT_SUFFIX,
};
use crate::store::Store;

/// How the drop folder is watched.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub drop_dir: PathBuf,
    /// How long size and modification time must stay unchanged before a file is taken.
    pub stability_delay: Duration,
    /// How often the whole folder is listed (catches what events miss, e.g. network shares).
    pub rescan_interval: Duration,
    /// How often waiting files are checked.
    pub check_interval: Duration,
    /// How long to wait before retrying a file whose import failed for a passing reason.
    pub retry_delay: Duration,
    pub import: ImportOptions,
    /// Receives one report per file handled (for the UI and for tests).
    pub reports: Option<mpsc::UnboundedSender<DropReport>>,
}

impl WatchConfig {
    pub fn new(drop_dir: impl Into<PathBuf>) -> WatchConfig {
        WatchConfig {
            drop_dir: drop_dir.into(),
            stability_delay: Duration::from_secs(2),
            rescan_interval: Duration::from_secs(60),
            check_interval: Duration::from_millis(250),
            retry_delay: Duration::from_secs(30),
            import: ImportOptions::default(),
            reports: None,
        }
    }

    /// The drop folder named by `TWENTY_SYNC_DROP_DIR`, else `<data dir>/inbox`.
    pub fn for_data_dir(data_dir: &Path) -> WatchConfig {
        let dir = std::env::var_os(DROP_DIR_ENV)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::paths::inbox_dir(data_dir));
        WatchConfig::new(dir)
    }
}

/// What happened to one file of the drop folder.
#[derive(Debug, Clone, Serialize)]
pub struct DropReport {
    pub path: PathBuf,
    pub outcome: DropOutcome,
}

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
    /// Left in place and skipped (a directory, a link leading outside, a file that vanished).
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

/// What the watcher compares to decide a file stopped changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

impl Signature {
    pub fn of(meta: &std::fs::Metadata) -> Signature {
        Signature {
            size: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Tracked {
    signature: Signature,
    since: Instant,
    not_before: Option<Instant>,
}

/// Remembers when each waiting file last changed. Pure: time is passed in.
#[derive(Debug, Default)]
pub struct StabilityTracker {
    delay: Duration,
    files: HashMap<PathBuf, Tracked>,
}

impl StabilityTracker {
    pub fn new(delay: Duration) -> StabilityTracker {
        StabilityTracker {
            delay,
            files: HashMap::new(),
        }
    }

    /// Records what a file looks like now; a new or changed file starts waiting again.
    pub fn observe(&mut self, path: &Path, signature: Signature, now: Instant) {
        match self.files.get_mut(path) {
            Some(tracked) if tracked.signature == signature => {}
            Some(tracked) => {
                tracked.signature = signature;
                tracked.since = now;
            }
            None => {
                self.files.insert(
                    path.to_path_buf(),
                    Tracked {
                        signature,
                        since: now,
                        not_before: None,
                    },
                );
            }
        }
    }

    /// Stops tracking a file (imported, moved, gone).
    pub fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// Keeps a file waiting at least until `until` (a retry after a passing failure).
    pub fn defer(&mut self, path: &Path, until: Instant) {
        if let Some(tracked) = self.files.get_mut(path) {
            tracked.not_before = Some(until);
        }
    }

    /// The signature last observed for a file.
    pub fn signature(&self, path: &Path) -> Option<Signature> {
        self.files.get(path).map(|t| t.signature)
    }

    /// Files unchanged for the whole delay (and not deferred), oldest change first.
    pub fn due(&self, now: Instant) -> Vec<PathBuf> {
        let mut due: Vec<(Instant, &PathBuf)> = self
            .files
            .iter()
            .filter(|(_, t)| {
                now.saturating_duration_since(t.since) >= self.delay
                    && t.not_before.is_none_or(|at| at <= now)
            })
            .map(|(path, t)| (t.since, path))
            .collect();
        due.sort();
        due.into_iter().map(|(_, path)| path.clone()).collect()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// What a directory entry of the drop folder is, as far as the watcher cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Candidate(Signature),
    /// Skipped, with the reason to log once.
    Skip(String),
    /// Ignored silently (temporary names, our own folders).
    Quiet,
    Gone,
}

/// The drop folder's layout.
#[derive(Debug, Clone)]
pub struct DropDirs {
    pub inbox: PathBuf,
    /// The inbox with links resolved, to tell whether a link leads outside.
    pub canonical: PathBuf,
    pub processed: PathBuf,
    pub failed: PathBuf,
}

impl DropDirs {
    /// Creates the drop folder and its `processed/` and `failed/` subfolders.
    pub fn prepare(inbox: &Path) -> Result<DropDirs, ImportError> {
        let fail = |error: std::io::Error| ImportError::DropFolder {
            path: inbox.to_path_buf(),
            detail: error.to_string(),
        };
        let inbox = &std::path::absolute(inbox).map_err(fail)?;
        let processed = inbox.join(PROCESSED_DIR);
        let failed = inbox.join(FAILED_DIR);
        std::fs::create_dir_all(&processed).map_err(fail)?;
        std::fs::create_dir_all(&failed).map_err(fail)?;
        let canonical = inbox.canonicalize().map_err(fail)?;
        Ok(DropDirs {
            inbox: inbox.to_path_buf(),
            canonical,
            processed,
            failed,
        })
    }

    /// Classifies one path of the drop folder.
    pub fn inspect(&self, path: &Path) -> Entry {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Entry::Quiet;
        };
        if path.parent() != Some(self.inbox.as_path()) || is_ignored_name(&name) {
            return Entry::Quiet;
        }
        let meta = match path.symlink_metadata() {
            Ok(meta) => meta,
            Err(_) => return Entry::Gone,
        };
        if meta.is_dir() {
            if name == PROCESSED_DIR || name == FAILED_DIR {
                return Entry::Quiet;
            }
            return Entry::Skip(format!(
                "{name} is a folder; folders in the drop folder are not imported: drop the files inside it instead"
            ));
        }
        if meta.file_type().is_symlink() {
            let target = match path.canonicalize() {
                Ok(target) => target,
                Err(_) => {
                    return Entry::Skip(format!("{name} is a link that leads nowhere; skipped"))
                }
            };
            if !target.starts_with(&self.canonical) {
                return Entry::Skip(ImportError::LinkOutside { file: name, target }.to_string());
            }
            return match std::fs::metadata(&target) {
                Ok(meta) if meta.is_file() => Entry::Candidate(Signature::of(&meta)),
                Ok(_) => Entry::Skip(format!(
                    "{name} is a link to something that is not a file; skipped"
                )),
                Err(_) => Entry::Gone,
            };
        }
        if !meta.is_file() {
            return Entry::Skip(format!(
                "{name} is not a regular file (a pipe, socket or device); skipped"
            ));
        }
        Entry::Candidate(Signature::of(&meta))
    }
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
    match process::run(store, path, &name, options, &dirs.inbox) {
        Ok((outcome, staged)) => {
            let target_dir = if outcome.nothing_usable() {
                &dirs.failed
            } else {
                &dirs.processed
            };
            let moved_to = move_aside(path, target_dir, now_ms(), &name);
            let report_name = format!(
                "{}{REPORT_SUFFIX}",
                moved_to
                    .as_deref()
                    .map(display_name)
                    .unwrap_or(name.clone())
            );
            let mut outcome = outcome;
            if let Some(staged) = staged {
                match staged.place(target_dir, &report_name, now_ms()) {
                    Ok(placed) => outcome.error_report = Some(placed),
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
                let moved_to = move_aside(path, &dirs.failed, now_ms(), &name);
                let report_name = format!(
                    "{}{REPORT_SUFFIX}",
                    moved_to
                        .as_deref()
                        .map(display_name)
                        .unwrap_or(name.clone())
                );
                let report = match report::write_file_error(
                    &dirs.failed,
                    &report_name,
                    &message,
                    now_ms(),
                ) {
                    Ok(path) => Some(path),
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

/// Moves a file into `dir` (timestamped when the name is taken). A file that vanished after
/// its rows were recorded is only logged: its import is complete and the content hash
/// recognises it if it comes back.
fn move_aside(path: &Path, dir: &Path, now_ms: i64, name: &str) -> Option<PathBuf> {
    let target = unique_path(dir, name, now_ms);
    match move_file(path, &target) {
        Ok(()) => Some(target),
        Err(error) => {
            tracing::warn!(file = %name, %error, "the file could not be moved to {}", dir.display());
            None
        }
    }
}

/// Watches the drop folder until `shutdown` completes. Files already there are imported first.
/// Blocking work runs on tokio's blocking pool; call this inside a tokio runtime.
pub async fn watch_drop_folder(
    store: Store,
    config: WatchConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ImportError> {
    let dirs = {
        let inbox = config.drop_dir.clone();
        tokio::task::spawn_blocking(move || DropDirs::prepare(&inbox))
            .await
            .map_err(|e| ImportError::DropFolder {
                path: config.drop_dir.clone(),
                detail: e.to_string(),
            })??
    };
    let (events_tx, mut events) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let debouncer = start_notify(&dirs.inbox, events_tx);
    tracing::info!(
        folder = %dirs.inbox.display(),
        events = debouncer.is_some(),
        "watching the drop folder"
    );

    let mut tracker = StabilityTracker::new(config.stability_delay);
    let mut skipped: HashSet<(PathBuf, String)> = HashSet::new();
    let mut retry_warned: HashSet<(PathBuf, String)> = HashSet::new();
    rescan(&dirs, &mut tracker, &mut skipped, &config).await;

    let mut rescan_tick = tokio::time::interval_at(
        Instant::now() + config.rescan_interval,
        config.rescan_interval,
    );
    rescan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut check_tick = tokio::time::interval(config.check_interval);
    check_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);

    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(paths) = events.recv() => {
                let now = Instant::now();
                for path in paths {
                    observe(&dirs, &path, &mut tracker, &mut skipped, &config, now);
                }
            }
            _ = rescan_tick.tick() => rescan(&dirs, &mut tracker, &mut skipped, &config).await,
            _ = check_tick.tick() => {
                for path in tracker.due(Instant::now()) {
                    if futures::poll!(shutdown.as_mut()).is_ready() {
                        drop(debouncer);
                        return Ok(());
                    }
                    // Look once more right before taking it: events can be missed.
                    let dirs_now = dirs.clone();
                    let probe = path.clone();
                    let entry = tokio::task::spawn_blocking(move || dirs_now.inspect(&probe))
                        .await
                        .unwrap_or(Entry::Gone);
                    match entry {
                        Entry::Candidate(signature) if Some(signature) == tracker.signature(&path) => {}
                        Entry::Candidate(signature) => {
                            tracker.observe(&path, signature, Instant::now());
                            continue;
                        }
                        _ => {
                            tracker.forget(&path);
                            continue;
                        }
                    }
                    let outcome = {
                        let (store, dirs, path, options) =
                            (store.clone(), dirs.clone(), path.clone(), config.import.clone());
                        tokio::task::spawn_blocking(move || process_drop(&store, &dirs, &path, &options))
                            .await
                            .unwrap_or_else(|e| DropOutcome::Retrying {
                                message: format!("the import stopped unexpectedly: {e}"),
                                changed: false,
                            })
                    };
                    match &outcome {
                        DropOutcome::Retrying { message, changed } => {
                            if retry_warned.insert((path.clone(), message.clone())) {
                                tracing::warn!(file = %path.display(), "{message}");
                            }
                            // Wait for it to be stable again (and, after a failure, a while longer).
                            tracker.observe(&path, Signature { size: u64::MAX, modified: None }, Instant::now());
                            if !changed {
                                tracker.defer(&path, Instant::now() + config.retry_delay);
                            }
                        }
                        DropOutcome::Ignored { message } => {
                            if skipped.insert((path.clone(), message.clone())) {
                                tracing::warn!("{message}");
                            }
                            tracker.forget(&path);
                        }
                        _ => tracker.forget(&path),
                    }
                    if let Some(reports) = &config.reports {
                        let _ = reports.send(DropReport { path: path.clone(), outcome });
                    }
                }
            }
        }
    }
    drop(debouncer);
    Ok(())
}

fn observe(
    dirs: &DropDirs,
    path: &Path,
    tracker: &mut StabilityTracker,
    skipped: &mut HashSet<(PathBuf, String)>,
    config: &WatchConfig,
    now: Instant,
) {
    match dirs.inspect(path) {
        Entry::Candidate(signature) => tracker.observe(path, signature, now),
        Entry::Gone => tracker.forget(path),
        Entry::Quiet => {}
        Entry::Skip(message) => {
            tracker.forget(path);
            if skipped.insert((path.to_path_buf(), message.clone())) {
                tracing::warn!("{message}");
                if let Some(reports) = &config.reports {
                    let _ = reports.send(DropReport {
                        path: path.to_path_buf(),
                        outcome: DropOutcome::Ignored { message },
                    });
                }
            }
        }
    }
}

/// Lists the drop folder and observes every entry (blocking work on the blocking pool).
async fn rescan(
    dirs: &DropDirs,
    tracker: &mut StabilityTracker,
    skipped: &mut HashSet<(PathBuf, String)>,
    config: &WatchConfig,
) {
    let inbox = dirs.inbox.clone();
    let dirs_now = dirs.clone();
    let listed = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<(PathBuf, Entry)>> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&inbox)? {
            let path = entry?.path();
            let kind = dirs_now.inspect(&path);
            entries.push((path, kind));
        }
        Ok(entries)
    })
    .await;
    let entries = match listed {
        Ok(Ok(entries)) => entries,
        Ok(Err(error)) => {
            tracing::warn!(folder = %dirs.inbox.display(), %error, "cannot list the drop folder; will try again");
            return;
        }
        Err(error) => {
            tracing::warn!(%error, "listing the drop folder stopped unexpectedly");
            return;
        }
    };
    let now = Instant::now();
    let present: HashSet<PathBuf> = entries.iter().map(|(path, _)| path.clone()).collect();
    skipped.retain(|(path, _)| present.contains(path));
    for (path, entry) in entries {
        match entry {
            Entry::Candidate(signature) => tracker.observe(&path, signature, now),
            Entry::Skip(message) => {
                if skipped.insert((path.clone(), message.clone())) {
                    tracing::warn!("{message}");
                    if let Some(reports) = &config.reports {
                        let _ = reports.send(DropReport {
                            path,
                            outcome: DropOutcome::Ignored { message },
                        });
                    }
                }
            }
            Entry::Quiet | Entry::Gone => {}
        }
    }
}

/// Starts `notify` with a debouncer on the drop folder; `None` (polling only) when the platform
/// or the folder does not allow it.
fn start_notify(
    inbox: &Path,
    sender: mpsc::UnboundedSender<Vec<PathBuf>>,
) -> Option<
    notify_debouncer_full::Debouncer<
        notify_debouncer_full::notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
> {
    let handler = move |result: DebounceEventResult| match result {
        Ok(events) => {
            let paths: Vec<PathBuf> = events
                .into_iter()
                .flat_map(|event| event.event.paths)
                .collect();
            if !paths.is_empty() {
                let _ = sender.send(paths);
            }
        }
        Err(errors) => {
            for error in errors {
                tracing::warn!(%error, "drop folder events: an error was reported; the periodic rescan continues");
            }
        }
    };
    let mut debouncer = match notify_debouncer_full::new_debouncer(
        Duration::from_millis(200),
        None,
        handler,
    ) {
        Ok(debouncer) => debouncer,
        Err(error) => {
            tracing::warn!(%error, "cannot watch the drop folder for events; it will be scanned periodically instead");
            return None;
        }
    };
    match debouncer.watch(inbox, RecursiveMode::NonRecursive) {
        Ok(()) => Some(debouncer),
        Err(error) => {
            tracing::warn!(%error, "cannot watch the drop folder for events; it will be scanned periodically instead");
            None
        }
    }
}

#[cfg(test)]
mod tests;
