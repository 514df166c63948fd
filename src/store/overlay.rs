//! Projection views over the store's tree, and an in-memory overlay that collects the deltas of a
//! batch of events so each projection key is written once per batch.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::codec::{decode, encode};
use super::keys;
use uuid::Uuid;

use crate::domain::projection::KnownServers;
use crate::domain::{
    Counters, FailedEntry, ForwardCounters, Mapping, PendingEntry, ProjectionDelta, ProjectionView,
    RecordKey, StoredConfig,
};

/// Reads the projections straight from the tree. Only the single writer (who holds the append
/// lock) folds through it, so nothing changes underneath.
pub struct TreeView<'a> {
    tree: &'a sled::Tree,
    failure: RefCell<Option<String>>,
}

impl<'a> TreeView<'a> {
    pub fn new(tree: &'a sled::Tree) -> TreeView<'a> {
        TreeView {
            tree,
            failure: RefCell::new(None),
        }
    }

    /// The first failure met while reading, if any: the batch must not be written.
    pub fn take_failure(&self) -> Option<String> {
        self.failure.borrow_mut().take()
    }

    fn read<T: serde::de::DeserializeOwned>(&self, key: &[u8], what: &str) -> Option<T> {
        let outcome = self
            .tree
            .get(key)
            .map_err(|e| e.to_string())
            .and_then(|bytes| bytes.map(|b| decode(&b, what)).transpose());
        match outcome {
            Ok(value) => value,
            Err(detail) => {
                self.failure.borrow_mut().get_or_insert(detail);
                None
            }
        }
    }
}

impl ProjectionView for TreeView<'_> {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping> {
        self.read(&keys::mapping(key), "mapping")
    }
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry> {
        self.read(&keys::pending(key), "pending entry")
    }
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry> {
        self.read(&keys::failed(key), "failed entry")
    }
    fn counters(&self) -> Counters {
        self.read(keys::COUNTERS, "counters").unwrap_or_default()
    }
    fn import_seq(&self, content_hash: &str) -> Option<u64> {
        self.read(&keys::import(content_hash), "import index")
    }
    fn config(&self) -> Option<StoredConfig> {
        self.read(keys::CONFIG, "stored configuration")
    }
    fn forwarded(&self) -> ForwardCounters {
        self.read(keys::FORWARDED, "relay counters")
            .unwrap_or_default()
    }
    fn relayed_seq(&self, intent_id: &Uuid) -> Option<u64> {
        self.read(&keys::relayed(intent_id), "relay index")
    }
    fn servers(&self) -> KnownServers {
        self.read(keys::SERVERS, "known servers")
            .unwrap_or_default()
    }
}

/// Changes not yet written, layered over a base view. `None` values are removals.
pub struct Overlay<'b, B: ProjectionView> {
    base: &'b B,
    mappings: BTreeMap<RecordKey, Option<Mapping>>,
    pending: BTreeMap<RecordKey, Option<PendingEntry>>,
    queue: BTreeMap<u64, Option<RecordKey>>,
    failed: BTreeMap<RecordKey, Option<FailedEntry>>,
    imports: BTreeMap<String, Option<u64>>,
    counters: Option<Counters>,
    config: Option<StoredConfig>,
    forwarded: Option<ForwardCounters>,
    relayed: BTreeMap<Uuid, Option<u64>>,
    servers: Option<KnownServers>,
}

impl<'b, B: ProjectionView> Overlay<'b, B> {
    pub fn new(base: &'b B) -> Overlay<'b, B> {
        Overlay {
            base,
            mappings: BTreeMap::new(),
            pending: BTreeMap::new(),
            queue: BTreeMap::new(),
            failed: BTreeMap::new(),
            imports: BTreeMap::new(),
            counters: None,
            config: None,
            forwarded: None,
            relayed: BTreeMap::new(),
            servers: None,
        }
    }

    pub fn apply(&mut self, delta: ProjectionDelta) {
        self.mappings.extend(delta.mappings);
        self.pending.extend(delta.pending);
        self.queue.extend(delta.queue);
        self.failed.extend(delta.failed);
        self.imports.extend(delta.imports);
        self.relayed.extend(delta.relayed);
        if delta.config.is_some() {
            self.config = delta.config;
        }
        if delta.forwarded.is_some() {
            self.forwarded = delta.forwarded;
        }
        if delta.servers.is_some() {
            self.servers = delta.servers;
        }
        self.counters = Some(delta.counters);
    }

    /// Adds the collected changes to a batch.
    pub fn write_to(&self, batch: &mut sled::Batch) {
        fn put<T: serde::Serialize>(batch: &mut sled::Batch, key: Vec<u8>, value: Option<&T>) {
            match value {
                Some(value) => batch.insert(key, encode(value)),
                None => batch.remove(key),
            }
        }
        for (key, value) in &self.mappings {
            put(batch, keys::mapping(key), value.as_ref());
        }
        for (key, value) in &self.pending {
            put(batch, keys::pending(key), value.as_ref());
        }
        for (seq, key) in &self.queue {
            match key {
                Some(key) => batch.insert(&keys::queue(*seq)[..], key.to_bytes()),
                None => batch.remove(&keys::queue(*seq)[..]),
            }
        }
        for (key, value) in &self.failed {
            put(batch, keys::failed(key), value.as_ref());
        }
        for (hash, value) in &self.imports {
            put(batch, keys::import(hash), value.as_ref());
        }
        for (id, value) in &self.relayed {
            put(batch, keys::relayed(id), value.as_ref());
        }
        if let Some(config) = &self.config {
            batch.insert(keys::CONFIG, encode(config));
        }
        if let Some(forwarded) = &self.forwarded {
            batch.insert(keys::FORWARDED, encode(forwarded));
        }
        if let Some(servers) = &self.servers {
            batch.insert(keys::SERVERS, encode(servers));
        }
        if let Some(counters) = &self.counters {
            batch.insert(keys::COUNTERS, encode(counters));
        }
    }
}

impl<B: ProjectionView> ProjectionView for Overlay<'_, B> {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping> {
        match self.mappings.get(key) {
            Some(value) => value.clone(),
            None => self.base.mapping(key),
        }
    }
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry> {
        match self.pending.get(key) {
            Some(value) => value.clone(),
            None => self.base.pending(key),
        }
    }
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry> {
        match self.failed.get(key) {
            Some(value) => value.clone(),
            None => self.base.failed(key),
        }
    }
    fn counters(&self) -> Counters {
        self.counters.unwrap_or_else(|| self.base.counters())
    }
    fn import_seq(&self, content_hash: &str) -> Option<u64> {
        match self.imports.get(content_hash) {
            Some(value) => *value,
            None => self.base.import_seq(content_hash),
        }
    }
    fn config(&self) -> Option<StoredConfig> {
        self.config.clone().or_else(|| self.base.config())
    }
    fn forwarded(&self) -> ForwardCounters {
        self.forwarded.unwrap_or_else(|| self.base.forwarded())
    }
    fn relayed_seq(&self, intent_id: &Uuid) -> Option<u64> {
        match self.relayed.get(intent_id) {
            Some(value) => *value,
            None => self.base.relayed_seq(intent_id),
        }
    }
    fn servers(&self) -> KnownServers {
        self.servers.clone().unwrap_or_else(|| self.base.servers())
    }
}
