//! The drop-folder watcher: `notify` events (debounced) plus a periodic rescan find candidate
//! files; a file is imported once its size and modification time have not changed for the
//! stability delay; afterwards it moves to `processed/` or `failed/` with its error report.
//! This is the only module where `notify` types appear.
//!
//! Taken: regular files whose names end in `.csv`, `.tsv`, `.json`, `.ndjson` or `.jsonl` (any
//! case; [`super::is_import_name`]). Everything else stays exactly where it is, never moved,
//! renamed, opened or read: other names (noticed once per name, as a `DropEntryLeftAlone` event
//! and in the log), folders, links (never followed), pipes, sockets and devices. Silently
//! ignored: hidden and temporary names (`.*`, `*.tmp`, `*.part`, `*.crdownload`, `~$*`,
//! `*.swp`) and the `processed/` and `failed/` folders. A file is opened with `O_NOFOLLOW` and
//! checked to be a regular file, and is moved only if the name still holds that same file.

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
    display_name, is_import_name, ledger, pipeline, Disposition, ImportError, ImportOptions,
    ImportOutcome, DROP_DIR_ENV, FAILED_DIR, PROCESSED_DIR, REPORT_SUFFIX,
};
use crate::domain::Event;
use crate::safe_fs::{self, FileId};
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

/// How many of the newest events the watcher reads at start to learn which names were already
/// noticed as left alone (so a restart does not notice them again).
const NOTICE_SCAN: usize = 20_000;

/// Names already noticed as left alone: those of this watcher and, read once at start, those
/// among the newest events of the log.
#[derive(Debug, Default)]
struct Notices {
    names: HashSet<String>,
}

impl Notices {
    fn from_log(store: &Store) -> Notices {
        let mut names = HashSet::new();
        let mut cursor = u64::MAX;
        let mut scanned = 0;
        while scanned < NOTICE_SCAN {
            let Ok(chunk) = store.events_before(cursor, 512) else {
                break;
            };
            if chunk.is_empty() {
                break;
            }
            for envelope in chunk {
                scanned += 1;
                cursor = envelope.seq;
                if let Event::DropEntryLeftAlone { name, .. } = envelope.event {
                    names.insert(name);
                }
            }
        }
        Notices { names }
    }
}

/// Records the notices of entries left alone (one event each, one append), logs them and
/// reports them. A notice that could not be recorded is tried again at the next scan.
async fn notice(
    store: &Store,
    notices: &mut Notices,
    found: Vec<(PathBuf, String, &'static str)>,
    config: &WatchConfig,
) {
    let fresh: Vec<(PathBuf, String, &'static str)> = found
        .into_iter()
        .filter(|(_, name, _)| notices.names.insert(name.clone()))
        .collect();
    if fresh.is_empty() {
        return;
    }
    let events: Vec<Event> = fresh
        .iter()
        .map(|(_, name, reason)| Event::DropEntryLeftAlone {
            name: name.clone(),
            reason: (*reason).to_string(),
        })
        .collect();
    let appended = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.append(events))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    };
    if let Err(error) = appended {
        tracing::warn!(%error, "the notices about files left alone could not be recorded; will try again");
        for (_, name, _) in &fresh {
            notices.names.remove(name);
        }
        return;
    }
    for (path, name, reason) in fresh {
        let message = left_alone_message(&name, reason);
        tracing::info!("{message}");
        if let Some(reports) = &config.reports {
            let _ = reports.send(DropReport {
                path,
                outcome: DropOutcome::Ignored { message },
            });
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
    let (dirs, mut notices) = {
        let inbox = config.drop_dir.clone();
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            DropDirs::prepare(&inbox).map(|dirs| (dirs, Notices::from_log(&store)))
        })
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
    let mut retry_warned: HashSet<(PathBuf, String)> = HashSet::new();
    let found = rescan(&dirs, &mut tracker).await;
    notice(&store, &mut notices, found, &config).await;

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
                let mut found = Vec::new();
                for path in paths {
                    observe(&dirs, &path, &mut tracker, &mut found, now);
                }
                notice(&store, &mut notices, found, &config).await;
            }
            _ = rescan_tick.tick() => {
                let found = rescan(&dirs, &mut tracker).await;
                notice(&store, &mut notices, found, &config).await;
            }
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
                        Entry::LeftAlone { name, reason } => {
                            tracker.forget(&path);
                            notice(&store, &mut notices, vec![(path.clone(), name, reason)], &config).await;
                            continue;
                        }
                        Entry::Quiet | Entry::Gone => {
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
                            tracker.forget(&path);
                            let name = display_name(&path);
                            if notices.names.contains(&name) {
                                continue;
                            }
                            // A link or a special file swapped in at the last moment is noticed
                            // like any other entry left alone; a vanished file only logged.
                            match dirs.inspect(&path) {
                                Entry::LeftAlone { name, reason } => {
                                    notice(&store, &mut notices, vec![(path.clone(), name, reason)], &config).await;
                                    continue;
                                }
                                _ => tracing::info!("{message}"),
                            }
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
    found: &mut Vec<(PathBuf, String, &'static str)>,
    now: Instant,
) {
    match dirs.inspect(path) {
        Entry::Candidate(signature) => tracker.observe(path, signature, now),
        Entry::Gone => tracker.forget(path),
        Entry::Quiet => {}
        Entry::LeftAlone { name, reason } => {
            tracker.forget(path);
            found.push((path.to_path_buf(), name, reason));
        }
    }
}

/// Lists the drop folder and observes every entry (blocking work on the blocking pool).
/// Returns the entries left alone, for [`notice`].
async fn rescan(
    dirs: &DropDirs,
    tracker: &mut StabilityTracker,
) -> Vec<(PathBuf, String, &'static str)> {
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
            return Vec::new();
        }
        Err(error) => {
            tracing::warn!(%error, "listing the drop folder stopped unexpectedly");
            return Vec::new();
        }
    };
    let now = Instant::now();
    let mut found = Vec::new();
    for (path, entry) in entries {
        match entry {
            Entry::Candidate(signature) => tracker.observe(&path, signature, now),
            Entry::LeftAlone { name, reason } => found.push((path, name, reason)),
            Entry::Quiet | Entry::Gone => {}
        }
    }
    found
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
