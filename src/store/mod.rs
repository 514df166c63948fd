//! The store: the append-only event log and its projections in sled, behind one handle.
//!
//! Every append writes its events and their projection changes in one atomic sled batch, flushed
//! to disk before `append` returns. The store owns the data directory's lock, runs the numbered
//! migrations of `migrations/` when it opens an older store, and refuses newer or damaged ones.

pub mod codec;
pub mod error;
pub mod keys;
mod lock;
mod overlay;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use self::codec::{decode, encode};
pub use self::error::{Result, StoreError};
pub use self::lock::LOCK_FILE_NAME;
use self::overlay::{Overlay, TreeView};
use crate::clock::Clock;
use crate::domain::event::DecodeError;
use crate::domain::projection::{KnownServers, MemoryProjections, ServerKnowledge};
use crate::domain::{
    fold, Counters, EntityKind, Envelope, Event, FailedEntry, ForwardCounters, Intent, Mapping,
    PendingEntry, RecordKey, StoredConfig, SCHEMA_VERSION,
};
use crate::migrations;

/// Envelopes decoded per message while rebuilding.
const REBUILD_CHUNK: usize = 4_096;

/// The folder inside the data directory that holds the sled database.
pub const STORE_DIR_NAME: &str = "store";
/// The folder inside the data directory that holds copies taken before migrations.
pub const BACKUPS_DIR_NAME: &str = "backups";

/// A handle on an open store; cheap to clone, safe to share between threads.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: sled::Db,
    /// Everything: events and projections, under the prefixes of [`keys`].
    tree: sled::Tree,
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
    /// Projection entries that differed from the log and were corrected.
    pub corrected: usize,
    pub elapsed: Duration,
}

/// What opening the store did besides opening it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenReport {
    /// Migrations applied, by number.
    pub migrated: Vec<u32>,
    /// Where the pre-migration copy went.
    pub backup: Option<PathBuf>,
    /// The projections disagreed with the log and were rebuilt.
    pub rebuilt: bool,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, taking its lock and migrating it.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        Store::open_with_report(data_dir, clock).map(|(store, _)| store)
    }

    pub fn open_with_report(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<(Store, OpenReport)> {
        // Private (0700 / 0600), and tightened once when an older version left it readable.
        let tightened =
            crate::safe_fs::secure_data_dir(data_dir).map_err(|source| StoreError::DataDir {
                path: data_dir.to_path_buf(),
                source,
            })?;
        if let Some(notice) = tightened.notice(data_dir) {
            tracing::warn!("{notice}");
        }
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

        let tree = db.open_tree(keys::TREE).map_err(|e| sled_error(&path, e))?;
        let next_seq = match tree
            .range(keys::event(0)..=keys::event(u64::MAX))
            .next_back()
            .transpose()
            .map_err(|e| sled_error(&path, e))?
        {
            Some((key, _)) => {
                keys::seq_of(&key).ok_or_else(|| StoreError::Corrupt {
                    path: path.clone(),
                    detail: "an event key is not a sequence number".to_string(),
                })? + 1
            }
            None => 1,
        };
        let store = Store {
            inner: Arc::new(Inner {
                tree,
                db,
                path,
                clock,
                next_seq: Mutex::new(next_seq),
                appended: tokio::sync::watch::Sender::new(next_seq - 1),
                _lock: lock,
            }),
        };
        if !store.projections_match_log()? {
            tracing::warn!("the projections disagree with the event log; rebuilding them");
            store.rebuild_projections()?;
            report.rebuilt = true;
        }
        // What sled (and a backup) just created, when the process umask is not 077.
        for dir in [store.path().to_path_buf(), data_dir.join(BACKUPS_DIR_NAME)] {
            if dir.is_dir() {
                let _ = crate::safe_fs::secure_data_dir(&dir);
            }
        }
        Ok((store, report))
    }

    /// A cheap check at open: the newest event decodes, and the projections have folded exactly
    /// the events the log holds.
    fn projections_match_log(&self) -> Result<bool> {
        let last = self.last_seq();
        if last > 0 {
            let newest = self
                .event(last)?
                .ok_or_else(|| self.corrupt("the newest event cannot be read".to_string()))?;
            if newest.seq != last {
                return Err(self.corrupt(format!(
                    "the event stored at {last} says it is number {}",
                    newest.seq
                )));
            }
        }
        Ok(self.counters()?.events == last)
    }

    /// The folder of the sled database.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The data directory the store lives in (its `store/` folder's parent).
    pub fn data_dir(&self) -> &Path {
        self.path().parent().unwrap_or(self.path())
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Appends events and their projection changes in one atomic write, flushed to disk before
    /// this returns: when it returns `Ok`, every event is durable. Returns the stored envelopes.
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

        let view = TreeView::new(&inner.tree);
        let mut overlay = Overlay::new(&view);
        let mut batch = sled::Batch::default();
        for envelope in &envelopes {
            batch.insert(&keys::event(envelope.seq)[..], envelope.encode());
            let delta = fold(&overlay, envelope);
            overlay.apply(delta);
        }
        if let Some(detail) = view.take_failure() {
            return Err(self.corrupt(detail));
        }
        overlay.write_to(&mut batch);
        inner
            .tree
            .apply_batch(batch)
            .map_err(|e| self.sled_error(e))?;
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
        Ok(self
            .get_value(keys::COUNTERS, "counters")?
            .unwrap_or_default())
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
            .tree
            .get(keys::event(seq))
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => Ok(Some(self.decode_envelope(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Up to `limit` events with a sequence number greater than `after`, oldest first.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Envelope>> {
        self.inner
            .tree
            .range(keys::event(after.saturating_add(1))..=keys::event(u64::MAX))
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
            .tree
            .range(keys::event(0)..keys::event(before))
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
        self.get_value(&keys::mapping(key), "mapping")
    }

    pub fn pending(&self, key: &RecordKey) -> Result<Option<PendingEntry>> {
        self.get_value(&keys::pending(key), "pending entry")
    }

    pub fn failed(&self, key: &RecordKey) -> Result<Option<FailedEntry>> {
        self.get_value(&keys::failed(key), "failed entry")
    }

    /// The sequence number of the first import of content with this hash, if any.
    pub fn import_seq(&self, content_hash: &str) -> Result<Option<u64>> {
        self.get_value(&keys::import(content_hash), "import index")
    }

    /// The persisted configuration (the one row), if it was ever changed.
    pub fn config(&self) -> Result<Option<StoredConfig>> {
        self.get_value(keys::CONFIG, "stored configuration")
    }

    /// True when a configuration was ever persisted.
    pub fn config_exists(&self) -> Result<bool> {
        Ok(self.config()?.is_some())
    }

    /// What the upstream relay accepted from this agent (platform mode).
    pub fn forwarded(&self) -> Result<ForwardCounters> {
        Ok(self
            .get_value(keys::FORWARDED, "relay counters")?
            .unwrap_or_default())
    }

    /// What is known of each Twenty server this store has talked to.
    pub fn servers(&self) -> Result<KnownServers> {
        Ok(self
            .get_value(keys::SERVERS, "known servers")?
            .unwrap_or_default())
    }

    /// What is known of the Twenty server at `base_url` (normalised); empty when nothing is.
    pub fn server(&self, base_url: &str) -> Result<ServerKnowledge> {
        Ok(self.servers()?.servers.remove(base_url).unwrap_or_default())
    }

    /// The sequence number of an intent received as a relay with this id, if any.
    pub fn relayed_seq(&self, intent_id: &Uuid) -> Result<Option<u64>> {
        self.get_value(&keys::relayed(intent_id), "relay index")
    }

    /// All mappings, ordered by kind (companies first) then external id.
    pub fn mappings(&self) -> Result<Vec<(RecordKey, Mapping)>> {
        self.scan_records(keys::MAPPING, "mapping")
    }

    /// All parked failures, ordered by kind then external id.
    pub fn failures(&self) -> Result<Vec<(RecordKey, FailedEntry)>> {
        self.scan_records(keys::FAILED, "failed entry")
    }

    /// Up to `limit` mappings whose record key (kind byte, then external id) starts with
    /// `prefix` and sorts after `after` (exclusive), in key order: a bounded range scan for
    /// listing and searching records without reading them all.
    pub fn mappings_page(
        &self,
        prefix: &[u8],
        after: Option<&RecordKey>,
        limit: usize,
    ) -> Result<Vec<(RecordKey, Mapping)>> {
        let start = match after {
            Some(key) => {
                let mut bytes = keys::mapping(key);
                bytes.push(0);
                bytes
            }
            None => {
                let mut bytes = vec![keys::MAPPING];
                bytes.extend_from_slice(prefix);
                bytes
            }
        };
        let mut full_prefix = vec![keys::MAPPING];
        full_prefix.extend_from_slice(prefix);
        self.inner
            .tree
            .range(start..)
            .take_while(|item| {
                item.as_ref()
                    .map_or(true, |(key, _)| key.starts_with(&full_prefix))
            })
            .take(limit)
            .map(|item| {
                let (key, value) = item.map_err(|e| self.sled_error(e))?;
                let key = keys::record_of(&key)
                    .ok_or_else(|| self.corrupt("a mapping key is malformed".to_string()))?;
                let value = decode(&value, "mapping").map_err(|d| self.corrupt(d))?;
                Ok((key, value))
            })
            .collect()
    }

    /// The sequence numbers of the first import of each content recorded (from the import
    /// index, so without reading the log), oldest first.
    pub fn import_seqs(&self) -> Result<Vec<u64>> {
        let mut seqs = Vec::new();
        for item in self.inner.tree.scan_prefix([keys::IMPORT]) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            if key[1..].starts_with(b"resume:") {
                continue;
            }
            seqs.push(decode::<u64>(&value, "import index").map_err(|d| self.corrupt(d))?);
        }
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Up to `limit` pending records in log order (the order intents were recorded).
    pub fn pending_in_order(&self, limit: usize) -> Result<Vec<(RecordKey, PendingEntry)>> {
        let mut out = Vec::new();
        for item in self.inner.tree.scan_prefix([keys::QUEUE]).take(limit) {
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

    /// Whether any record of this kind is pending.
    pub fn has_pending(&self, kind: EntityKind) -> Result<bool> {
        Ok(self
            .inner
            .tree
            .scan_prefix([keys::PENDING, kind.as_byte()])
            .next()
            .transpose()
            .map_err(|e| self.sled_error(e))?
            .is_some())
    }

    /// Up to `limit` pending records of one kind, in log order.
    pub fn pending_in_order_of(
        &self,
        kind: EntityKind,
        limit: usize,
    ) -> Result<Vec<(RecordKey, PendingEntry)>> {
        let mut out = Vec::new();
        for item in self.inner.tree.scan_prefix([keys::QUEUE]) {
            if out.len() >= limit {
                break;
            }
            let (_, key_bytes) = item.map_err(|e| self.sled_error(e))?;
            if key_bytes.first() != Some(&kind.as_byte()) {
                continue;
            }
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
                .scan_records(keys::PENDING, "pending entry")?
                .into_iter()
                .collect(),
            failed: self.failures()?.into_iter().collect(),
            counters: self.counters()?,
            servers: self.servers()?,
            ..MemoryProjections::default()
        };
        for item in self.inner.tree.scan_prefix([keys::QUEUE]) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            let seq = keys::seq_of(&key).ok_or_else(|| self.corrupt("bad queue key".into()))?;
            let record = RecordKey::from_bytes(&value)
                .ok_or_else(|| self.corrupt("bad queue value".into()))?;
            snapshot.queue.insert(seq, record);
        }
        for item in self.inner.tree.scan_prefix([keys::IMPORT]) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            let hash = String::from_utf8(key[1..].to_vec())
                .map_err(|_| self.corrupt("bad import key".into()))?;
            let seq = decode(&value, "import index").map_err(|d| self.corrupt(d))?;
            snapshot.imports.insert(hash, seq);
        }
        for item in self.inner.tree.scan_prefix([keys::RELAYED]) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            let id = keys::relayed_id_of(&key)
                .ok_or_else(|| self.corrupt("bad relay index key".into()))?;
            let seq = decode(&value, "relay index").map_err(|d| self.corrupt(d))?;
            snapshot.relayed.insert(id, seq);
        }
        snapshot.config = self.config()?;
        snapshot.forwarded = self.forwarded()?;
        snapshot.servers = self.servers()?;
        Ok(snapshot)
    }

    /// Recomputes every projection from the log with the same fold as live appends, and writes
    /// the differences in one atomic batch (so a crash leaves the old projections whole).
    pub fn rebuild_projections(&self) -> Result<RebuildReport> {
        let started = Instant::now();
        // Hold the append lock so no event lands between the read and the write.
        let _appending = self
            .inner
            .next_seq
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Decoding the log runs on a second thread while this one folds.
        let (rebuilt, events) = std::thread::scope(|scope| -> Result<(MemoryProjections, u64)> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Vec<Envelope>>>(4);
            scope.spawn(move || {
                let mut chunk = Vec::with_capacity(REBUILD_CHUNK);
                for item in self
                    .inner
                    .tree
                    .range(keys::event(0)..=keys::event(u64::MAX))
                {
                    let decoded = item
                        .map_err(|e| self.sled_error(e))
                        .and_then(|(_, bytes)| self.decode_envelope(&bytes));
                    match decoded {
                        Ok(envelope) => chunk.push(envelope),
                        Err(error) => {
                            let _ = sender.send(Err(error));
                            return;
                        }
                    }
                    if chunk.len() == REBUILD_CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(REBUILD_CHUNK));
                        if sender.send(Ok(full)).is_err() {
                            return;
                        }
                    }
                }
                let _ = sender.send(Ok(chunk));
            });
            let mut rebuilt = MemoryProjections::default();
            let mut events = 0u64;
            for chunk in receiver {
                for envelope in chunk? {
                    rebuilt.apply(&envelope);
                    events += 1;
                }
            }
            Ok((rebuilt, events))
        })?;

        // Compare with what is stored, key by key in byte order, without decoding it.
        let mut batch = sled::Batch::default();
        let mut corrected = 0;
        corrected += self.diff_prefix(
            keys::MAPPING,
            rebuilt
                .mappings
                .iter()
                .map(|(k, v)| (keys::mapping(k), encode(v))),
            &mut batch,
        )?;
        corrected += self.diff_prefix(
            keys::PENDING,
            rebuilt
                .pending
                .iter()
                .map(|(k, v)| (keys::pending(k), encode(v))),
            &mut batch,
        )?;
        corrected += self.diff_prefix(
            keys::FAILED,
            rebuilt
                .failed
                .iter()
                .map(|(k, v)| (keys::failed(k), encode(v))),
            &mut batch,
        )?;
        corrected += self.diff_prefix(
            keys::QUEUE,
            rebuilt
                .queue
                .iter()
                .map(|(seq, k)| (keys::queue(*seq).to_vec(), k.to_bytes())),
            &mut batch,
        )?;
        corrected += self.diff_prefix(
            keys::IMPORT,
            rebuilt
                .imports
                .iter()
                .map(|(h, v)| (keys::import(h), encode(v))),
            &mut batch,
        )?;
        corrected += self.diff_prefix(
            keys::RELAYED,
            rebuilt
                .relayed
                .iter()
                .map(|(id, v)| (keys::relayed(id), encode(v))),
            &mut batch,
        )?;
        let current = MemoryProjections {
            config: self.config()?,
            forwarded: self
                .get_value(keys::FORWARDED, "forward counters")?
                .unwrap_or_default(),
            counters: self.counters()?,
            servers: self.servers()?,
            ..MemoryProjections::default()
        };
        if current.config != rebuilt.config {
            corrected += 1;
            match &rebuilt.config {
                Some(config) => batch.insert(keys::CONFIG, encode(config)),
                None => batch.remove(keys::CONFIG),
            }
        }
        if current.forwarded != rebuilt.forwarded {
            corrected += 1;
            batch.insert(keys::FORWARDED, encode(&rebuilt.forwarded));
        }
        if current.servers != rebuilt.servers {
            corrected += 1;
            batch.insert(keys::SERVERS, encode(&rebuilt.servers));
        }
        if current.counters != rebuilt.counters {
            corrected += 1;
            batch.insert(keys::COUNTERS, encode(&rebuilt.counters));
        }
        if corrected > 0 {
            self.inner
                .tree
                .apply_batch(batch)
                .map_err(|e| self.sled_error(e))?;
            self.inner.db.flush().map_err(|e| self.sled_error(e))?;
        }
        Ok(RebuildReport {
            events,
            corrected,
            elapsed: started.elapsed(),
        })
    }

    /// Adds to `batch` what turns the stored entries under `prefix` into `wanted` (which must be
    /// in key byte order); returns how many entries differ. A merge of two sorted sequences: the
    /// stored values are compared as bytes, never decoded.
    fn diff_prefix(
        &self,
        prefix: u8,
        wanted: impl Iterator<Item = (Vec<u8>, Vec<u8>)>,
        batch: &mut sled::Batch,
    ) -> Result<usize> {
        let mut stored = self.inner.tree.scan_prefix([prefix]);
        let next =
            |stored: &mut sled::Iter| stored.next().transpose().map_err(|e| self.sled_error(e));
        let mut current = next(&mut stored)?;
        let mut changed = 0;
        for (key, value) in wanted {
            // Stored entries sorting before the wanted key are not wanted.
            while let Some((stored_key, _)) = current
                .as_ref()
                .filter(|(k, _)| k.as_ref() < key.as_slice())
            {
                batch.remove(stored_key.clone());
                changed += 1;
                current = next(&mut stored)?;
            }
            let same = match &current {
                Some((stored_key, stored_value)) if stored_key.as_ref() == key.as_slice() => {
                    let same = stored_value.as_ref() == value.as_slice();
                    current = next(&mut stored)?;
                    same
                }
                _ => false,
            };
            if !same {
                batch.insert(key, value);
                changed += 1;
            }
        }
        while let Some((stored_key, _)) = current {
            batch.remove(stored_key);
            changed += 1;
            current = next(&mut stored)?;
        }
        Ok(changed)
    }

    fn get_value<T: serde::de::DeserializeOwned>(
        &self,
        key: &[u8],
        what: &str,
    ) -> Result<Option<T>> {
        match self.inner.tree.get(key).map_err(|e| self.sled_error(e))? {
            Some(bytes) => decode(&bytes, what).map(Some).map_err(|d| self.corrupt(d)),
            None => Ok(None),
        }
    }

    fn scan_records<T: serde::de::DeserializeOwned>(
        &self,
        prefix: u8,
        what: &str,
    ) -> Result<Vec<(RecordKey, T)>> {
        self.inner
            .tree
            .scan_prefix([prefix])
            .map(|item| {
                let (key, value) = item.map_err(|e| self.sled_error(e))?;
                let key = keys::record_of(&key)
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
            Ok(Err(sled::Error::Io(io))) if is_lock_busy(&io) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Ok(Err(sled::Error::Io(io))) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(StoreError::DataDir {
                    path: path.to_path_buf(),
                    source: io,
                })
            }
            Ok(Err(sled::Error::Io(io))) if is_lock_busy(&io) => Err(StoreError::Io {
                path: path.to_path_buf(),
                detail: format!("the database file stayed locked: {io}"),
            }),
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

/// sled reports its busy file lock as an I/O error wrapping `WouldBlock`.
fn is_lock_busy(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.to_string().contains("could not acquire lock")
}

fn read_format_version(db: &sled::Db, path: &Path) -> Result<Option<u32>> {
    let tree = db.open_tree(keys::TREE).map_err(|e| sled_error(path, e))?;
    match tree
        .get(keys::FORMAT_VERSION)
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
        db.open_tree(keys::TREE)
            .and_then(|tree| tree.insert(keys::FORMAT_VERSION, &migration.version.to_be_bytes()))
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
    crate::safe_fs::create_private_dir_all(to)?;
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
