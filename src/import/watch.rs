//! The drop-folder watcher: `notify` events (debounced) plus a periodic rescan find candidate
//! files; [`StabilityTracker`] says when each is quiet; [`process_drop`] imports it and moves it
//! aside. This is the only module where `notify` types appear.

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::DebounceEventResult;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::drop::{process_drop, DropDirs, DropOutcome, Entry};
use super::progress::{ProgressBoard, ReadProgress};
use super::stability::{Signature, StabilityTracker};
use super::{display_name, ImportError, ImportFields, ImportOptions, DROP_DIR_ENV};
use crate::domain::Event;
use crate::store::Store;

use super::drop::left_alone_message;

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
    /// Where each file being read is shown with its progress (the agent's board).
    pub board: Option<Arc<ProgressBoard>>,
    /// The fields in force, read again for each file (they can change while the agent runs);
    /// `None`: [`ImportOptions::fields`] as given.
    pub fields: Option<FieldsSource>,
}

/// Reads the fields a file is mapped against, from the store (the agent's settings name the
/// server whose data model counts).
#[derive(Clone)]
pub struct FieldsSource(pub Arc<FieldsReader>);

/// The function behind a [`FieldsSource`].
pub type FieldsReader =
    dyn Fn(&Store) -> Result<ImportFields, crate::store::StoreError> + Send + Sync;

impl std::fmt::Debug for FieldsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldsSource")
    }
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
            board: None,
            fields: None,
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
                        let (store, dirs, path, mut options) =
                            (store.clone(), dirs.clone(), path.clone(), config.import.clone());
                        let fields = config.fields.clone();
                        let shown = config.board.as_ref().map(|board| {
                            let progress = Arc::new(ReadProgress::new(&path, "drop_folder", false, store.clock().now_ms()));
                            options.progress = Some(progress.clone());
                            board.show(progress)
                        });
                        tokio::task::spawn_blocking(move || {
                            let _shown = shown;
                            if let Some(fields) = fields {
                                match (fields.0)(&store) {
                                    Ok(fields) => options.fields = Arc::new(fields),
                                    Err(error) => return DropOutcome::Retrying {
                                        message: format!("the mapping of fields could not be read: {error}"),
                                        changed: false,
                                    },
                                }
                            }
                            process_drop(&store, &dirs, &path, &options)
                        })
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
