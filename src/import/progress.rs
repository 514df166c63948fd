//! How far the reading of a file got, live: [`ReadProgress`] is updated by the pipeline with
//! relaxed atomics (no lock, no allocation per row) and read by whoever shows it — the
//! terminal's progress bar, and the agent's [`ProgressBoard`] of every file being read (the
//! Imports screen's progress bar, `twenty-sync import` beside a running agent).
//!
//! A file is read three times: once to hash and sniff it (`checking`), once to validate its
//! rows (`validating`: the rows are counted, their total is not known yet), once to record them
//! (`recording`, or `comparing` in a dry run: rows so far of the rows in the file).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::clock::format_ms;

/// The pass a file's reading is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStep {
    /// Hashing the file and guessing its encoding (bytes only).
    Checking,
    /// Validating every row (rows counted; their total is not known yet).
    Validating,
    /// Recording the chosen rows (rows so far of the rows in the file).
    Recording,
    /// A dry run comparing the chosen rows with the mappings.
    Comparing,
}

impl ImportStep {
    fn from_byte(byte: u8) -> ImportStep {
        match byte {
            1 => ImportStep::Validating,
            2 => ImportStep::Recording,
            3 => ImportStep::Comparing,
            _ => ImportStep::Checking,
        }
    }

    fn byte(self) -> u8 {
        match self {
            ImportStep::Checking => 0,
            ImportStep::Validating => 1,
            ImportStep::Recording => 2,
            ImportStep::Comparing => 3,
        }
    }

    /// Which of the three reads of the file this is (0, 1, 2).
    fn pass(self) -> u64 {
        match self {
            ImportStep::Checking => 0,
            ImportStep::Validating => 1,
            ImportStep::Recording | ImportStep::Comparing => 2,
        }
    }
}

/// The live progress of one file. Cheap to update from the pipeline's hot loop.
#[derive(Debug)]
pub struct ReadProgress {
    file: String,
    path: PathBuf,
    /// `drop_folder` or `command`.
    origin: &'static str,
    dry_run: bool,
    started_at_ms: i64,
    step: AtomicU8,
    bytes_total: AtomicU64,
    /// Bytes read in the current pass.
    bytes_done: AtomicU64,
    /// The last row handled in the current pass (rows are numbered from 1, in order).
    rows_done: AtomicU64,
    /// The file's data rows, once the validation pass counted them (0: not known yet).
    rows_total: AtomicU64,
}

impl ReadProgress {
    pub fn new(
        path: impl Into<PathBuf>,
        origin: &'static str,
        dry_run: bool,
        started_at_ms: i64,
    ) -> ReadProgress {
        let path = path.into();
        ReadProgress {
            file: super::display_name(&path),
            path,
            origin,
            dry_run,
            started_at_ms,
            step: AtomicU8::new(ImportStep::Checking.byte()),
            bytes_total: AtomicU64::new(0),
            bytes_done: AtomicU64::new(0),
            rows_done: AtomicU64::new(0),
            rows_total: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_bytes_total(&self, bytes: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// A new read of the file begins.
    pub(crate) fn begin(&self, step: ImportStep) {
        self.step.store(step.byte(), Ordering::Relaxed);
        self.bytes_done.store(0, Ordering::Relaxed);
        self.rows_done.store(0, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn row(&self, number: u64) {
        self.rows_done.store(number, Ordering::Relaxed);
    }

    pub(crate) fn set_rows_total(&self, rows: u64) {
        self.rows_total.store(rows, Ordering::Relaxed);
    }

    /// The whole reading's share done, 0–100 (the three reads weigh the same).
    pub fn percent(&self) -> u8 {
        let snapshot = self.snapshot();
        snapshot.percent
    }

    pub fn snapshot(&self) -> FileProgress {
        let step = ImportStep::from_byte(self.step.load(Ordering::Relaxed));
        let bytes_total = self.bytes_total.load(Ordering::Relaxed);
        let bytes_done = self
            .bytes_done
            .load(Ordering::Relaxed)
            .min(bytes_total.max(1));
        let rows_total = match self.rows_total.load(Ordering::Relaxed) {
            0 => None,
            rows => Some(rows),
        };
        let rows_done = self.rows_done.load(Ordering::Relaxed);
        let within = match (step.pass(), rows_total) {
            (2, Some(total)) => rows_done.min(total) as f64 / total as f64,
            _ if bytes_total > 0 => bytes_done as f64 / bytes_total as f64,
            _ => 0.0,
        };
        let percent = ((step.pass() as f64 + within) / 3.0 * 100.0).floor() as u8;
        FileProgress {
            file: self.file.clone(),
            path: self.path.display().to_string(),
            origin: self.origin.to_string(),
            dry_run: self.dry_run,
            step,
            rows_done,
            rows_total,
            bytes_done,
            bytes_total,
            percent: percent.min(100),
            started_at: format_ms(self.started_at_ms),
        }
    }
}

/// One file being read, as a front end shows it: "people.csv — recording 41,000 of 100,000
/// rows (74 %)"; while the rows are not counted yet (`rows_total` is `None`), by bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProgress {
    pub file: String,
    pub path: String,
    /// `drop_folder` (the watcher) or `command` (`twenty-sync import` through the agent).
    pub origin: String,
    pub dry_run: bool,
    pub step: ImportStep,
    /// Rows handled so far in this step (validating, recording or comparing).
    pub rows_done: u64,
    /// The file's data rows, known once they were validated.
    pub rows_total: Option<u64>,
    /// Bytes read so far in this step, of the file's size.
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// The whole reading's share done (its three reads weigh the same), 0–100.
    pub percent: u8,
    pub started_at: String,
}

/// The files an agent is reading now, each by an id, and a watch that ticks while any is (so
/// live updates carry the progress without anyone polling).
#[derive(Debug)]
pub struct ProgressBoard {
    files: Mutex<BTreeMap<u64, Arc<ReadProgress>>>,
    next_id: AtomicU64,
    ticks: watch::Sender<u64>,
}

impl Default for ProgressBoard {
    fn default() -> Self {
        ProgressBoard {
            files: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            ticks: watch::channel(0).0,
        }
    }
}

/// How often the board ticks while a file is being read.
pub const TICK: std::time::Duration = std::time::Duration::from_millis(500);

impl ProgressBoard {
    pub fn new() -> ProgressBoard {
        ProgressBoard::default()
    }

    /// Shows `progress` until the returned guard is dropped.
    pub fn show(self: &Arc<Self>, progress: Arc<ReadProgress>) -> Shown {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, progress);
        self.tick();
        Shown {
            board: self.clone(),
            id,
        }
    }

    /// Every file being read now, oldest first.
    pub fn files(&self) -> Vec<FileProgress> {
        self.lock().values().map(|p| p.snapshot()).collect()
    }

    pub fn is_busy(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Wakes whoever waits for a change of the board.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.ticks.subscribe()
    }

    /// Wakes the watchers (the agent calls it every [`TICK`] while a file is being read).
    pub fn tick(&self) {
        self.ticks.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<ReadProgress>>> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A file shown on the board; dropping it takes the file off.
#[derive(Debug)]
pub struct Shown {
    board: Arc<ProgressBoard>,
    id: u64,
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.board.lock().remove(&self.id);
        self.board.tick();
    }
}

/// Ticks `board` every [`TICK`] while it shows a file, until `shutdown` resolves (the agent
/// runs this as one of its tasks). While no file is being read it sleeps until one is shown.
pub async fn tick_while_busy(board: Arc<ProgressBoard>, shutdown: impl std::future::Future) {
    let mut changes = board.changes();
    tokio::pin!(shutdown);
    loop {
        changes.borrow_and_update();
        if board.is_busy() {
            tokio::select! {
                _ = &mut shutdown => return,
                () = tokio::time::sleep(TICK) => {
                    if board.is_busy() {
                        board.tick();
                    }
                }
            }
        } else {
            tokio::select! {
                _ = &mut shutdown => return,
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_weighs_the_three_reads_and_uses_rows_once_counted() {
        let progress = ReadProgress::new("/tmp/people.csv", "command", false, 0);
        progress.set_bytes_total(1000);
        assert_eq!(progress.percent(), 0);
        progress.add_bytes(500);
        assert_eq!(progress.percent(), 16);
        progress.begin(ImportStep::Validating);
        progress.add_bytes(1000);
        progress.row(80);
        let seen = progress.snapshot();
        assert_eq!(
            (seen.rows_done, seen.rows_total, seen.percent),
            (80, None, 66)
        );
        progress.set_rows_total(100);
        progress.begin(ImportStep::Recording);
        progress.row(50);
        let seen = progress.snapshot();
        assert_eq!(
            (seen.rows_done, seen.rows_total, seen.percent),
            (50, Some(100), 83)
        );
        assert_eq!(seen.file, "people.csv");
    }

    #[tokio::test(start_paused = true)]
    async fn the_board_ticks_only_while_a_file_is_read() {
        let board = Arc::new(ProgressBoard::new());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tick_while_busy(board.clone(), stopped));
        let mut changes = board.changes();
        tokio::time::sleep(TICK * 4).await;
        assert!(!changes.has_changed().unwrap(), "idle: no tick");
        let shown = board.show(Arc::new(ReadProgress::new(
            "a.csv",
            "drop_folder",
            false,
            0,
        )));
        tokio::time::sleep(TICK / 10).await;
        changes.borrow_and_update();
        tokio::time::sleep(TICK).await;
        assert!(changes.has_changed().unwrap(), "busy: ticks");
        drop(shown);
        tokio::time::sleep(TICK / 10).await;
        changes.borrow_and_update();
        tokio::time::sleep(TICK * 4).await;
        assert!(!changes.has_changed().unwrap(), "idle again");
        let _ = stop.send(());
        task.await.unwrap();
    }

    #[test]
    fn the_board_shows_a_file_until_its_guard_drops() {
        let board = Arc::new(ProgressBoard::new());
        let mut changes = board.changes();
        let shown = board.show(Arc::new(ReadProgress::new(
            "a.csv",
            "drop_folder",
            false,
            0,
        )));
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        assert_eq!(board.files().len(), 1);
        drop(shown);
        assert!(board.files().is_empty());
        assert!(changes.has_changed().unwrap());
    }
}
