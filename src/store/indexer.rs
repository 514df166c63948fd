//! The search index's indexer: it catches the index (`s` keys) up from its watermark
//! (`#search_watermark`, the last event it holds) to the log's head, in bounded batches, apart
//! from the appends and not flushed (sled flushes on its own). A background thread runs it at
//! open and once appends pause; the store stops and joins it when it closes.
//!
//! For each record the events of a batch name, the indexer folds the batch's newest intent into
//! what the index holds of it and reads its Twenty id again from its mapping
//! ([`IndexedRecord::folded`]): indexing a part of the log twice changes nothing. A batch's
//! entries are written one by one (a sled batch of thousands keeps every page it replaces until
//! it ends: half as much memory again, measured), the watermark last: until it moves, every
//! record the batch names is one a search reads from the log, not from the index, and a batch cut
//! short by a crash is done again from the watermark.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::codec::{decode, encode};
use super::error::{Result, StoreError};
use super::{decode_envelope_without_values, keys, Inner, Store};
use crate::domain::projection::search::{note_change, term_changes, IndexedRecord, NewestDoc};
use crate::domain::{Envelope, Mapping, RecordKey};

/// The most events one catch-up batch indexes.
pub const CATCH_UP_BATCH: usize = 2_000;
/// How long appends must pause before the background indexer runs: it gives way to an import.
const QUIET: Duration = Duration::from_millis(50);
/// The lag past which the background indexer runs even while appends go on.
const MAX_QUIET_LAG: u64 = 200_000;
/// How often (in events) a batch checks whether the store is closing.
const STOP_CHECK_EVERY: usize = 256;

/// How far the search index is behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexProgress {
    /// The sequence number of the last event the index holds.
    pub watermark: u64,
    /// The sequence number of the newest event.
    pub head: u64,
}

impl IndexProgress {
    /// Events the index does not hold yet.
    pub fn lag(&self) -> u64 {
        self.head.saturating_sub(self.watermark)
    }

    pub fn caught_up(&self) -> bool {
        self.lag() == 0
    }
}

/// What the store handle and the background thread share.
#[derive(Debug)]
pub(super) struct Indexer {
    tree: sled::Tree,
    path: PathBuf,
    /// The newest event whose append is applied (events after it may be half written).
    head: AtomicU64,
    /// The watermark as last written (this process is the store's only writer).
    watermark: AtomicU64,
    /// Held while the index or its watermark is written.
    writing: Mutex<()>,
    signal: Mutex<Signal>,
    wake: Condvar,
    stopping: AtomicBool,
}

#[derive(Debug)]
struct Signal {
    /// Appends happened since the thread last looked.
    work: bool,
    /// An append is being written.
    appending: bool,
    /// When the last append ended.
    last_append: Instant,
}

/// Held while an append is written: the background indexer waits for appends to pause.
pub(super) struct Appending<'a> {
    indexer: &'a Indexer,
}

impl Drop for Appending<'_> {
    fn drop(&mut self) {
        let mut signal = self.indexer.lock_signal();
        signal.appending = false;
        signal.work = true;
        signal.last_append = Instant::now();
        self.indexer.wake.notify_one();
    }
}

impl Indexer {
    /// The indexer of the store in `path` whose newest event is `head`.
    pub(super) fn new(tree: sled::Tree, path: &Path, head: u64) -> Indexer {
        let indexer = Indexer {
            tree,
            path: path.to_path_buf(),
            head: AtomicU64::new(head),
            watermark: AtomicU64::new(0),
            writing: Mutex::new(()),
            signal: Mutex::new(Signal {
                work: true,
                appending: false,
                last_append: Instant::now(),
            }),
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
        };
        // An unreadable watermark only means indexing the log again from the start.
        let stored = indexer
            .get::<u64>(keys::SEARCH_WATERMARK, "search watermark")
            .unwrap_or_else(|error| {
                tracing::warn!("the search index is indexed again from the start: {error}");
                None
            });
        indexer
            .watermark
            .store(stored.unwrap_or(0).min(head), Ordering::Release);
        indexer
    }

    /// How far the index is behind the log.
    pub(super) fn progress(&self) -> IndexProgress {
        IndexProgress {
            watermark: self.watermark.load(Ordering::Acquire),
            head: self.head.load(Ordering::Acquire),
        }
    }

    /// Called when an append starts; the append ends when the guard drops.
    pub(super) fn appending(&self) -> Appending<'_> {
        self.lock_signal().appending = true;
        Appending { indexer: self }
    }

    /// Called once an append is applied: its events are readable up to `head`.
    pub(super) fn appended(&self, head: u64) {
        self.head.store(head, Ordering::Release);
    }

    /// Indexes up to `max_events` events after the watermark, then moves the watermark; stops
    /// early (keeping what it did) when the store closes.
    pub(super) fn catch_up(&self, max_events: usize) -> Result<IndexProgress> {
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let progress = self.progress();
        if progress.caught_up() {
            return Ok(progress);
        }
        let to = progress
            .head
            .min(progress.watermark.saturating_add(max_events as u64));
        let (last, changes) = self.changes_between(progress.watermark, to, true)?;
        for (key, newest) in changes {
            let (old, new) = self.folded(&key, newest)?;
            if old == new {
                continue;
            }
            // The terms first, the record's entry last: an entry always has its terms.
            for (term, present) in term_changes(&key, old.as_ref(), new.as_ref()) {
                match present {
                    true => self.tree.insert(keys::search_term(&term), &[][..]),
                    false => self.tree.remove(keys::search_term(&term)),
                }
                .map_err(|e| self.sled_error(e))?;
            }
            match &new {
                Some(record) => self.tree.insert(keys::search_record(&key), encode(record)),
                None => self.tree.remove(keys::search_record(&key)),
            }
            .map_err(|e| self.sled_error(e))?;
        }
        self.tree
            .insert(keys::SEARCH_WATERMARK, encode(&last))
            .map_err(|e| self.sled_error(e))?;
        self.watermark.store(last, Ordering::Release);
        Ok(IndexProgress {
            watermark: last,
            head: progress.head,
        })
    }

    /// Sets the watermark back to the start, so that the whole log is indexed again (after a
    /// rebuild of the projections whose mappings the index reads), adding it to `batch`, which
    /// `apply` must write while the indexer is held off.
    pub(super) fn restart_with(
        &self,
        mut batch: sled::Batch,
        apply: impl FnOnce(sled::Batch) -> Result<()>,
    ) -> Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        batch.insert(keys::SEARCH_WATERMARK, encode(&0u64));
        apply(batch)?;
        self.watermark.store(0, Ordering::Release);
        let mut signal = self.lock_signal();
        signal.work = true;
        self.wake.notify_one();
        Ok(())
    }

    /// The newest doc of every record the events in `from + 1 ..= to` name, and the last event
    /// read (`to`, or earlier when `stoppable` and the store closes).
    fn changes_between(
        &self,
        from: u64,
        to: u64,
        stoppable: bool,
    ) -> Result<(u64, BTreeMap<RecordKey, NewestDoc>)> {
        let mut changes = BTreeMap::new();
        let last = self.for_each_event(from, to, stoppable, |envelope| {
            note_change(&mut changes, envelope)
        })?;
        Ok((last, changes))
    }

    /// Calls `each` with the events in `from + 1 ..= to`, oldest first; returns the last one's
    /// sequence number (`to`, or earlier when `stoppable` and the store closes).
    pub(super) fn for_each_event(
        &self,
        from: u64,
        to: u64,
        stoppable: bool,
        mut each: impl FnMut(&Envelope),
    ) -> Result<u64> {
        let mut last = from;
        if to <= from {
            return Ok(last);
        }
        let events = self.tree.range(keys::event(from + 1)..=keys::event(to));
        for (read, item) in events.enumerate() {
            if stoppable && read % STOP_CHECK_EVERY == 1 && self.stopping.load(Ordering::Acquire) {
                break;
            }
            let (_, bytes) = item.map_err(|e| self.sled_error(e))?;
            // The index reads an intent's fixed fields, never its other values.
            let envelope = decode_envelope_without_values(&self.path, &bytes)?;
            last = envelope.seq;
            each(&envelope);
        }
        Ok(last)
    }

    /// What the index holds of `key` and what it holds once `newest` is folded in, with the
    /// Twenty id its mapping has now. An entry that cannot be read counts as none (its terms are
    /// written again; a term left behind is never listed: a search checks it against the entry).
    pub(super) fn folded(
        &self,
        key: &RecordKey,
        newest: NewestDoc,
    ) -> Result<(Option<IndexedRecord>, Option<IndexedRecord>)> {
        let old = self.record(key).unwrap_or_else(|error| {
            tracing::warn!(
                "the search index's entry of {key} is unreadable and is written again: {error}"
            );
            None
        });
        let twenty_id = self
            .get::<Mapping>(&keys::mapping(key), "mapping")?
            .map(|mapping| mapping.twenty_id);
        let new = IndexedRecord::folded(old.as_ref(), newest, twenty_id);
        Ok((old, new))
    }

    /// What the index holds of `key`.
    pub(super) fn record(&self, key: &RecordKey) -> Result<Option<IndexedRecord>> {
        self.get(&keys::search_record(key), "search index entry")
    }

    fn get<T: serde::de::DeserializeOwned>(&self, key: &[u8], what: &str) -> Result<Option<T>> {
        match self.tree.get(key).map_err(|e| self.sled_error(e))? {
            Some(bytes) => decode(&bytes, what)
                .map(Some)
                .map_err(|detail| StoreError::Corrupt {
                    path: self.path.clone(),
                    detail,
                }),
            None => Ok(None),
        }
    }

    fn sled_error(&self, error: sled::Error) -> StoreError {
        StoreError::from_sled(&self.path, error)
    }

    fn lock_signal(&self) -> std::sync::MutexGuard<'_, Signal> {
        self.signal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the background thread to stop (it keeps what its batch did so far).
    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let _signal = self.lock_signal();
        self.wake.notify_all();
    }

    /// Waits until there is work and appends have paused (or the lag is too large to wait);
    /// `false` once the store closes.
    fn wait_for_work(&self) -> bool {
        let mut signal = self.lock_signal();
        loop {
            if self.stopping.load(Ordering::Acquire) {
                return false;
            }
            if !signal.work {
                signal = self.wake.wait(signal).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let quiet_for = signal.last_append.elapsed();
            let quiet = !signal.appending && quiet_for >= QUIET;
            if quiet || self.progress().lag() > MAX_QUIET_LAG {
                signal.work = false;
                return true;
            }
            let wait = match signal.appending {
                true => QUIET,
                false => QUIET - quiet_for,
            };
            signal = self
                .wake
                .wait_timeout(signal, wait)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Whether an append is being written or ended within the quiet period.
    fn appends_running(&self) -> bool {
        let signal = self.lock_signal();
        signal.appending || signal.last_append.elapsed() < QUIET
    }
}

impl Store {
    /// How far the search index is behind the log (a search folds the events it lacks).
    pub fn search_index_progress(&self) -> IndexProgress {
        self.inner.indexer.progress()
    }

    /// Indexes up to `max_events` of the events the search index lacks, as one batch of the
    /// background indexer: for tests, benchmarks and stores opened without it.
    pub fn catch_up_search_index(&self, max_events: usize) -> Result<IndexProgress> {
        self.inner.indexer.catch_up(max_events)
    }
}

impl Drop for Inner {
    /// Stops the background indexer (it keeps what it did) before the database closes.
    fn drop(&mut self) {
        self.indexer.stop();
        let thread = self
            .indexer_thread
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// Starts the background indexer of a store; the store stops and joins it when it closes.
pub(super) fn spawn(indexer: Arc<Indexer>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("search-indexer".into())
        .spawn(move || run(&indexer))
}

fn run(indexer: &Indexer) {
    while indexer.wait_for_work() {
        loop {
            match indexer.catch_up(CATCH_UP_BATCH) {
                Ok(progress) if progress.caught_up() => break,
                Ok(progress) => {
                    if indexer.stopping.load(Ordering::Acquire) {
                        return;
                    }
                    // Appends came meanwhile: give way to them while the lag allows.
                    if indexer.appends_running() && progress.lag() <= MAX_QUIET_LAG {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!("the search index could not catch up with the log: {error}");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
