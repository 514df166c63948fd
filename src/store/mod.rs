//! The store: the append-only event log and its projections in sled, behind one handle.
//!
//! Every append folds its events into the projections in the same sled transaction and is flushed
//! to disk before `append` returns. The store owns the data directory's lock, runs the numbered
//! migrations of `migrations/` when it opens an older store, and refuses newer or damaged ones.

pub mod codec;
pub mod error;
mod lock;
mod overlay;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use uuid::Uuid;

use self::codec::{decode, seq_from_key, seq_key};
pub use self::error::{Result, StoreError};
pub use self::lock::LOCK_FILE_NAME;
use self::overlay::{EmptyView, Overlay, TxView, ViewFailure, WriteTrees};
use crate::clock::Clock;
use crate::domain::event::DecodeError;
use crate::domain::projection::MemoryProjections;
use crate::domain::{
    fold, Counters, Envelope, Event, FailedEntry, Intent, Mapping, PendingEntry, ProjectionView,
    RecordKey, SCHEMA_VERSION,
};
use crate::migrations;

/// The folder inside the data directory that holds the sled database.
pub const STORE_DIR_NAME: &str = "store";
/// The folder inside the data directory that holds copies taken before migrations.
pub const BACKUPS_DIR_NAME: &str = "backups";

/// Names of the sled trees. Part of the on-disk format: change them only with a migration.
pub mod trees {
    pub const EVENTS: &str = "events";
    pub const MAPPINGS: &str = "mappings";
    pub const PENDING: &str = "pending";
    pub const QUEUE: &str = "queue";
    pub const FAILED: &str = "failed";
    pub const IMPORTS: &str = "imports";
    pub const META: &str = "meta";
}

/// Keys of the `meta` tree.
pub const META_FORMAT_VERSION: &[u8] = b"format_version";
pub const META_COUNTERS: &[u8] = b"counters";
pub const META_REBUILDING: &[u8] = b"rebuilding";

/// A handle on an open store; cheap to clone, safe to share between threads.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: sled::Db,
    events: sled::Tree,
    mappings: sled::Tree,
    pending: sled::Tree,
    queue: sled::Tree,
    failed: sled::Tree,
    imports: sled::Tree,
    meta: sled::Tree,
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// The next sequence number; held while appending so appends are serialised.
    next_seq: Mutex<u64>,
    /// The newest sequence number, for whoever waits for new events (the engine, the UI).
    appended: tokio::sync::watch::Sender<u64>,
    _lock: lock::StoreLock,
}

/// What `rebuild_projections` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
    pub elapsed: Duration,
}

/// What opening the store did besides opening it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenReport {
    /// Migrations applied, by number.
    pub migrated: Vec<u32>,
    /// Where the pre-migration copy went.
    pub backup: Option<PathBuf>,
    /// Projections were rebuilt because an earlier rebuild was interrupted.
    pub resumed_rebuild: bool,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, taking its lock and migrating it.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        Store::open_with_report(data_dir, clock).map(|(store, _)| store)
    }

    pub fn open_with_report(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<(Store, OpenReport)> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let lock = lock::StoreLock::acquire(data_dir)?;
        let path = data_dir.join(STORE_DIR_NAME);
        let mut report = OpenReport::default();

        // sled may read a damaged or foreign log as empty: an existing database file must never
        // be taken for a new store (and written over by the initial migration).
        let existed = std::fs::metadata(path.join("db")).is_ok_and(|m| m.len() > 0);
        let db = open_sled(&path)?;
        let found = read_format_version(&db, &path)?;
        let db = match found {
            Some(version) if version > migrations::CURRENT_FORMAT => {
                return Err(StoreError::TooNew {
                    path,
                    found: version,
                    known: migrations::CURRENT_FORMAT,
                })
            }
            Some(version) if version == migrations::CURRENT_FORMAT => db,
            None if !existed && is_blank(&db) => {
                report.migrated = run_migrations(&db, &path, 0, None)?;
                // Reopening once makes sled write its first snapshot; from then on sled detects
                // damage to the log instead of recovering it as an empty one.
                drop(db);
                open_sled(&path)?
            }
            None => {
                return Err(StoreError::Corrupt {
                    path,
                    detail: "it holds data but no format version".to_string(),
                })
            }
            Some(version) => {
                db.flush().map_err(|e| sled_error(&path, e))?;
                drop(db);
                let backup = backup_store(data_dir, &path, version, clock.now_ms())?;
                let db = open_sled(&path)?;
                report.migrated = run_migrations(&db, &path, version, Some(&backup))?;
                report.backup = Some(backup);
                db
            }
        };

        let open_tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(&path, e));
        let events = open_tree(trees::EVENTS)?;
        let next_seq = match events.last().map_err(|e| sled_error(&path, e))? {
            Some((key, _)) => {
                seq_from_key(&key).ok_or_else(|| StoreError::Corrupt {
                    path: path.clone(),
                    detail: "an event key is not a sequence number".to_string(),
                })? + 1
            }
            None => 1,
        };
        let store = Store {
            inner: Arc::new(Inner {
                mappings: open_tree(trees::MAPPINGS)?,
                pending: open_tree(trees::PENDING)?,
                queue: open_tree(trees::QUEUE)?,
                failed: open_tree(trees::FAILED)?,
                imports: open_tree(trees::IMPORTS)?,
                meta: open_tree(trees::META)?,
                events,
                db,
                path,
                clock,
                next_seq: Mutex::new(next_seq),
                appended: tokio::sync::watch::Sender::new(next_seq - 1),
                _lock: lock,
            }),
        };
        store.check_consistency()?;
        if store
            .inner
            .meta
            .contains_key(META_REBUILDING)
            .map_err(|e| store.sled_error(e))?
        {
            store.rebuild_projections()?;
            report.resumed_rebuild = true;
        }
        Ok((store, report))
    }

    /// A cheap check at open: the newest event decodes and the log has no gap.
    fn check_consistency(&self) -> Result<()> {
        let last = self.last_seq();
        if last == 0 {
            return Ok(());
        }
        let newest = self
            .event(last)?
            .ok_or_else(|| self.corrupt("the newest event cannot be read".to_string()))?;
        if newest.seq != last {
            return Err(self.corrupt(format!(
                "the event stored at {last} says it is number {}",
                newest.seq
            )));
        }
        let rebuilding = self
            .inner
            .meta
            .contains_key(META_REBUILDING)
            .map_err(|e| self.sled_error(e))?;
        let folded = self.counters()?.events;
        if !rebuilding && folded > last {
            return Err(self.corrupt(format!(
                "the projections count {folded} events but the log holds {last}"
            )));
        }
        Ok(())
    }

    /// The folder of the sled database.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Appends events in one transaction, folds them into the projections and flushes to disk.
    /// When this returns `Ok`, every event is durable. Returns the envelopes as stored.
    pub fn append(&self, events: Vec<Event>) -> Result<Vec<Envelope>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let inner = &self.inner;
        let mut next_seq = inner.next_seq.lock().unwrap_or_else(|p| p.into_inner());
        let now_ms = inner.clock.now_ms();
        let envelopes: Vec<Envelope> = events
            .into_iter()
            .enumerate()
            .map(|(offset, event)| Envelope {
                schema_version: SCHEMA_VERSION,
                id: Uuid::now_v7(),
                seq: *next_seq + offset as u64,
                recorded_at_ms: now_ms,
                event,
            })
            .collect();
        let encoded: Vec<Vec<u8>> = envelopes.iter().map(Envelope::encode).collect();

        let outcome = (
            &inner.events,
            &inner.mappings,
            &inner.pending,
            &inner.queue,
            &inner.failed,
            &inner.imports,
            &inner.meta,
        )
            .transaction(
                |(events, mappings, pending, queue, failed, imports, meta)| {
                    let view = TxView::new(mappings, pending, failed, imports, meta);
                    let mut overlay = Overlay::new(&view);
                    for (envelope, bytes) in envelopes.iter().zip(&encoded) {
                        events.insert(&seq_key(envelope.seq), bytes.as_slice())?;
                        let delta = fold(&overlay, envelope);
                        overlay.apply(delta);
                    }
                    match view.take_failure() {
                        Some(ViewFailure::Sled(error)) => return Err(error.into()),
                        Some(ViewFailure::Corrupt(detail)) => {
                            return Err(ConflictableTransactionError::Abort(detail))
                        }
                        None => {}
                    }
                    overlay.write_tx(&WriteTrees {
                        mappings,
                        pending,
                        queue,
                        failed,
                        imports,
                        meta,
                    })?;
                    Ok(())
                },
            );
        match outcome {
            Ok(()) => {}
            Err(TransactionError::Abort(detail)) => {
                return Err(StoreError::Corrupt {
                    path: inner.path.clone(),
                    detail,
                })
            }
            Err(TransactionError::Storage(error)) => return Err(self.sled_error(error)),
        }
        *next_seq += envelopes.len() as u64;
        inner.db.flush().map_err(|e| self.sled_error(e))?;
        inner.appended.send_replace(*next_seq - 1);
        Ok(envelopes)
    }

    /// Watches the newest sequence number: wakes up whoever waits for new events.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.appended.subscribe()
    }

    /// The counters maintained by the fold.
    pub fn counters(&self) -> Result<Counters> {
        match self
            .inner
            .meta
            .get(META_COUNTERS)
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => decode(&bytes, "counters").map_err(|d| self.corrupt(d)),
            None => Ok(Counters::default()),
        }
    }

    /// The sequence number of the newest event (0 when the log is empty).
    pub fn last_seq(&self) -> u64 {
        *self
            .inner
            .next_seq
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            - 1
    }

    pub fn event(&self, seq: u64) -> Result<Option<Envelope>> {
        match self
            .inner
            .events
            .get(seq_key(seq))
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => Ok(Some(self.decode_envelope(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Up to `limit` events with a sequence number greater than `after`, oldest first.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Envelope>> {
        self.inner
            .events
            .range(seq_key(after.saturating_add(1))..)
            .take(limit)
            .map(|item| {
                let (_, bytes) = item.map_err(|e| self.sled_error(e))?;
                self.decode_envelope(&bytes)
            })
            .collect()
    }

    /// Up to `limit` events with a sequence number lower than `before`, newest first.
    pub fn events_before(&self, before: u64, limit: usize) -> Result<Vec<Envelope>> {
        self.inner
            .events
            .range(..seq_key(before))
            .rev()
            .take(limit)
            .map(|item| {
                let (_, bytes) = item.map_err(|e| self.sled_error(e))?;
                self.decode_envelope(&bytes)
            })
            .collect()
    }

    /// The intent recorded at `seq`, if that event is an intent.
    pub fn intent_at(&self, seq: u64) -> Result<Option<Intent>> {
        Ok(self.event(seq)?.and_then(|envelope| match envelope.event {
            Event::IntentRecorded(intent) => Some(intent),
            _ => None,
        }))
    }

    pub fn mapping(&self, key: &RecordKey) -> Result<Option<Mapping>> {
        self.get_projection(&self.inner.mappings, &key.to_bytes(), "mapping")
    }

    pub fn pending(&self, key: &RecordKey) -> Result<Option<PendingEntry>> {
        self.get_projection(&self.inner.pending, &key.to_bytes(), "pending entry")
    }

    pub fn failed(&self, key: &RecordKey) -> Result<Option<FailedEntry>> {
        self.get_projection(&self.inner.failed, &key.to_bytes(), "failed entry")
    }

    /// The sequence number of the first import of content with this hash, if any.
    pub fn import_seq(&self, content_hash: &str) -> Result<Option<u64>> {
        self.get_projection(&self.inner.imports, content_hash.as_bytes(), "import index")
    }

    /// All mappings, ordered by kind (companies first) then external id.
    pub fn mappings(&self) -> Result<Vec<(RecordKey, Mapping)>> {
        self.scan(&self.inner.mappings, "mapping")
    }

    /// All parked failures, ordered by kind then external id.
    pub fn failures(&self) -> Result<Vec<(RecordKey, FailedEntry)>> {
        self.scan(&self.inner.failed, "failed entry")
    }

    /// Up to `limit` pending records in log order (the order intents were recorded).
    pub fn pending_in_order(&self, limit: usize) -> Result<Vec<(RecordKey, PendingEntry)>> {
        let mut out = Vec::new();
        for item in self.inner.queue.iter() {
            if out.len() >= limit {
                break;
            }
            let (_, key_bytes) = item.map_err(|e| self.sled_error(e))?;
            let key = RecordKey::from_bytes(&key_bytes)
                .ok_or_else(|| self.corrupt("a queue entry names no record".to_string()))?;
            let entry = self
                .pending(&key)?
                .ok_or_else(|| self.corrupt(format!("queued record {key} is not pending")))?;
            out.push((key, entry));
        }
        Ok(out)
    }

    /// Every projection, read into memory: for comparisons and diagnostics.
    pub fn snapshot(&self) -> Result<MemoryProjections> {
        let mut snapshot = MemoryProjections {
            mappings: self.mappings()?.into_iter().collect(),
            pending: self
                .scan(&self.inner.pending, "pending entry")?
                .into_iter()
                .collect(),
            failed: self.failures()?.into_iter().collect(),
            counters: self.counters()?,
            ..MemoryProjections::default()
        };
        for item in self.inner.queue.iter() {
            let (seq, key) = item.map_err(|e| self.sled_error(e))?;
            let seq = seq_from_key(&seq).ok_or_else(|| self.corrupt("bad queue key".into()))?;
            let key = RecordKey::from_bytes(&key)
                .ok_or_else(|| self.corrupt("bad queue value".into()))?;
            snapshot.queue.insert(seq, key);
        }
        for item in self.inner.imports.iter() {
            let (hash, seq) = item.map_err(|e| self.sled_error(e))?;
            let hash = String::from_utf8(hash.to_vec())
                .map_err(|_| self.corrupt("bad import key".into()))?;
            snapshot.imports.insert(
                hash,
                decode(&seq, "import index").map_err(|d| self.corrupt(d))?,
            );
        }
        Ok(snapshot)
    }

    /// Recomputes every projection from the log with the same fold as live appends. Crash-safe:
    /// an interrupted rebuild is finished the next time the store opens.
    pub fn rebuild_projections(&self) -> Result<RebuildReport> {
        let started = Instant::now();
        let inner = &self.inner;
        // Hold the append lock so no event lands between the read and the write.
        let _appending = inner.next_seq.lock().unwrap_or_else(|p| p.into_inner());
        let empty = EmptyView;
        let mut rebuilt = Overlay::new(&empty);
        let mut events = 0u64;
        for item in inner.events.iter() {
            let (_, bytes) = item.map_err(|e| self.sled_error(e))?;
            let envelope = self.decode_envelope(&bytes)?;
            let delta = fold(&rebuilt, &envelope);
            rebuilt.apply(delta);
            events += 1;
        }

        inner
            .meta
            .insert(META_REBUILDING, &[1u8])
            .map_err(|e| self.sled_error(e))?;
        inner.db.flush().map_err(|e| self.sled_error(e))?;
        for tree in [
            &inner.mappings,
            &inner.pending,
            &inner.queue,
            &inner.failed,
            &inner.imports,
        ] {
            tree.clear().map_err(|e| self.sled_error(e))?;
        }
        let mut batches: [sled::Batch; 5] = Default::default();
        let [mappings, pending, queue, failed, imports] = &mut batches;
        for (key, value) in rebuilt
            .mappings
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            mappings.insert(key.to_bytes(), codec::encode(value));
        }
        for (key, value) in rebuilt
            .pending
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            pending.insert(key.to_bytes(), codec::encode(value));
        }
        for (seq, key) in rebuilt
            .queue
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            queue.insert(&seq_key(*seq), key.to_bytes());
        }
        for (key, value) in rebuilt
            .failed
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            failed.insert(key.to_bytes(), codec::encode(value));
        }
        for (hash, seq) in rebuilt
            .imports
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
        {
            imports.insert(hash.as_bytes(), codec::encode(seq));
        }
        let [mappings, pending, queue, failed, imports] = batches;
        for (tree, batch) in [
            (&inner.mappings, mappings),
            (&inner.pending, pending),
            (&inner.queue, queue),
            (&inner.failed, failed),
            (&inner.imports, imports),
        ] {
            tree.apply_batch(batch).map_err(|e| self.sled_error(e))?;
        }
        inner
            .meta
            .insert(META_COUNTERS, codec::encode(&rebuilt.counters()))
            .map_err(|e| self.sled_error(e))?;
        inner
            .meta
            .remove(META_REBUILDING)
            .map_err(|e| self.sled_error(e))?;
        inner.db.flush().map_err(|e| self.sled_error(e))?;
        Ok(RebuildReport {
            events,
            elapsed: started.elapsed(),
        })
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.inner.db.size_on_disk().map_err(|e| self.sled_error(e))
    }

    fn get_projection<T: serde::de::DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        what: &str,
    ) -> Result<Option<T>> {
        match tree.get(key).map_err(|e| self.sled_error(e))? {
            Some(bytes) => decode(&bytes, what).map(Some).map_err(|d| self.corrupt(d)),
            None => Ok(None),
        }
    }

    fn scan<T: serde::de::DeserializeOwned>(
        &self,
        tree: &sled::Tree,
        what: &str,
    ) -> Result<Vec<(RecordKey, T)>> {
        tree.iter()
            .map(|item| {
                let (key, value) = item.map_err(|e| self.sled_error(e))?;
                let key = RecordKey::from_bytes(&key)
                    .ok_or_else(|| self.corrupt(format!("a {what} key is malformed")))?;
                let value = decode(&value, what).map_err(|d| self.corrupt(d))?;
                Ok((key, value))
            })
            .collect()
    }

    fn decode_envelope(&self, bytes: &[u8]) -> Result<Envelope> {
        Envelope::decode(bytes).map_err(|error| match error {
            DecodeError::TooNew { found, known } => StoreError::TooNew {
                path: self.inner.path.clone(),
                found: u32::from(found),
                known: u32::from(known),
            },
            other => self.corrupt(other.to_string()),
        })
    }

    fn sled_error(&self, error: sled::Error) -> StoreError {
        sled_error(&self.inner.path, error)
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            path: self.inner.path.clone(),
            detail,
        }
    }
}

/// Maps a sled error to what the person should do about it.
fn sled_error(path: &Path, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(io) if is_disk_full(&io) => StoreError::DiskFull {
            path: path.to_path_buf(),
        },
        sled::Error::Io(io) => StoreError::Io {
            path: path.to_path_buf(),
            detail: io.to_string(),
        },
        sled::Error::Corruption { .. } => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: error.to_string(),
        },
        other => StoreError::Io {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

fn is_disk_full(error: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(ENOSPC)
}

/// Opens sled, turning its errors and panics on damaged files into a clear refusal.
///
/// sled's own file lock outlives a dropped handle for a moment (its flusher thread lets go last).
/// We hold the data directory's lock, so a busy sled lock can only be our own closing handle:
/// wait for it, briefly.
fn open_sled(path: &Path) -> Result<sled::Db> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(64 * 1024 * 1024)
        .flush_every_ms(Some(1_000));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()));
        return match opened {
            Ok(Ok(db)) => Ok(db),
            Ok(Err(sled::Error::Io(io)))
                if io.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Ok(Err(sled::Error::Io(io))) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(StoreError::DataDir {
                    path: path.to_path_buf(),
                    source: io,
                })
            }
            Ok(Err(sled::Error::Io(io))) if io.kind() == std::io::ErrorKind::WouldBlock => {
                Err(StoreError::Io {
                    path: path.to_path_buf(),
                    detail: format!("the database file stayed locked: {io}"),
                })
            }
            Ok(Err(error)) => Err(match sled_error(path, error) {
                StoreError::Io { path, detail } => StoreError::Corrupt { path, detail },
                other => other,
            }),
            Err(_) => Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: "the database files could not be read".to_string(),
            }),
        };
    }
}

fn read_format_version(db: &sled::Db, path: &Path) -> Result<Option<u32>> {
    let meta = db.open_tree(trees::META).map_err(|e| sled_error(path, e))?;
    match meta
        .get(META_FORMAT_VERSION)
        .map_err(|e| sled_error(path, e))?
    {
        Some(bytes) => {
            let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: "the format version is malformed".to_string(),
            })?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
        None => Ok(None),
    }
}

/// True for a store that was just created: no tree holds anything.
fn is_blank(db: &sled::Db) -> bool {
    db.tree_names().iter().all(|name| {
        db.open_tree(name)
            .map(|tree| tree.is_empty())
            .unwrap_or(false)
    })
}

fn run_migrations(
    db: &sled::Db,
    path: &Path,
    from: u32,
    backup: Option<&Path>,
) -> Result<Vec<u32>> {
    let mut applied = Vec::new();
    for migration in migrations::MIGRATIONS.iter().filter(|m| m.version > from) {
        let failed = |detail: String| StoreError::MigrationFailed {
            path: path.to_path_buf(),
            to: migration.version,
            detail,
            backup: backup.map(Path::to_path_buf).unwrap_or_default(),
        };
        (migration.apply)(db).map_err(|e| failed(e.to_string()))?;
        db.open_tree(trees::META)
            .and_then(|meta| meta.insert(META_FORMAT_VERSION, &migration.version.to_be_bytes()))
            .map_err(|e| failed(e.to_string()))?;
        db.flush().map_err(|e| failed(e.to_string()))?;
        applied.push(migration.version);
    }
    Ok(applied)
}

/// Copies the sled folder to `backups/store-v<version>-<time>` before a migration touches it.
fn backup_store(data_dir: &Path, store: &Path, version: u32, now_ms: i64) -> Result<PathBuf> {
    let backup = data_dir
        .join(BACKUPS_DIR_NAME)
        .join(format!("store-v{version}-{now_ms}"));
    copy_dir(store, &backup).map_err(|source| StoreError::DataDir {
        path: backup.clone(),
        source,
    })?;
    Ok(backup)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
