//! The store: the append-only event log and its projections in sled, behind one handle.
//!
//! Every append writes its events and their projection changes in one atomic sled batch, flushed
//! to disk before `append` returns. This file holds the handle, `append` and the reads; opening
//! (lock, format version, migrations, backups) is in `open`, rebuilding the projections from
//! the log in `rebuild`. The search index is derived behind the appends by `indexer` (a thread
//! the handle owns) and read, exactly up to the newest event, by `search`.

pub mod codec;
pub mod error;
mod indexer;
pub mod keys;
mod lock;
mod open;
mod overlay;
mod rebuild;
mod search;
mod servers;
mod tail;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use uuid::Uuid;

use self::codec::decode;
pub use self::error::{Result, StoreError};
use self::indexer::Indexer;
pub use self::indexer::{IndexProgress, CATCH_UP_BATCH};
pub use self::lock::LOCK_FILE_NAME;
pub use self::open::{OpenReport, StoreOptions};
use self::overlay::{Overlay, TreeView};
pub use self::rebuild::RebuildReport;
pub use self::search::{SearchCursor, SearchHit, SearchHits, MAX_TAIL_EVENTS};
use crate::clock::Clock;
use crate::domain::event::DecodeError;
use crate::domain::projection::MemoryProjections;
use crate::domain::{
    fold, Counters, EntityKind, Envelope, Event, FailedEntry, FailureDetail, ForwardCounters,
    Intent, Mapping, PendingEntry, RecordKey, StoredConfig, SCHEMA_VERSION,
};

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
    /// Keeps the search index behind the appends; shared with its background thread.
    indexer: Arc<Indexer>,
    /// What searches fold on top of the index, kept between them.
    tail: tail::TailCache,
    /// The background indexer, stopped and joined when the store closes.
    indexer_thread: Mutex<Option<JoinHandle<()>>>,
    _lock: lock::StoreLock,
}

impl Store {
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
        let _appending = inner.indexer.appending();
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
        overlay.write_to(&mut batch);
        if let Some(detail) = view.take_failure() {
            return Err(self.corrupt(detail));
        }
        inner
            .tree
            .apply_batch(batch)
            .map_err(|e| self.sled_error(e))?;
        *next_seq += envelopes.len() as u64;
        inner.db.flush().map_err(|e| self.sled_error(e))?;
        inner.appended.send_replace(*next_seq - 1);
        inner.indexer.appended(*next_seq - 1);
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

    /// What is known of the record's parked or dismissed failure beyond Twenty's message.
    pub fn failure_detail(&self, key: &RecordKey) -> Result<Option<FailureDetail>> {
        self.get_value(&keys::failure_detail(key), "failure detail")
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
            if key[1..].starts_with(b"resume:") || key[1..].starts_with(b"notes:") {
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
            details: self
                .scan_records(keys::FAILURE_DETAIL, "failure detail")?
                .into_iter()
                .collect(),
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
        decode_envelope(&self.inner.path, bytes)
    }

    fn sled_error(&self, error: sled::Error) -> StoreError {
        StoreError::from_sled(&self.inner.path, error)
    }

    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            path: self.inner.path.clone(),
            detail,
        }
    }
}

/// Decodes a stored envelope of the store in `path`.
fn decode_envelope(path: &Path, bytes: &[u8]) -> Result<Envelope> {
    decode_envelope_with(path, bytes, Envelope::decode)
}

/// Decodes a stored envelope of the store in `path`, an intent's values checked and left out
/// (for the fold and the search index, which never read them).
fn decode_envelope_without_values(path: &Path, bytes: &[u8]) -> Result<Envelope> {
    decode_envelope_with(path, bytes, Envelope::decode_without_values)
}

fn decode_envelope_with(
    path: &Path,
    bytes: &[u8],
    decode: fn(&[u8]) -> std::result::Result<Envelope, DecodeError>,
) -> Result<Envelope> {
    decode(bytes).map_err(|error| match error {
        DecodeError::TooNew { found, known } => StoreError::TooNew {
            path: path.to_path_buf(),
            found: u32::from(found),
            known: u32::from(known),
        },
        other => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests;
