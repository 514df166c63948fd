//! Projection views over sled: a view inside a transaction, and an in-memory overlay that collects
//! the deltas of a batch of events so each projection key is written once per batch.

use std::cell::RefCell;
use std::collections::BTreeMap;

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use super::codec::{decode, seq_key};
use super::META_COUNTERS;
use crate::domain::{
    Counters, FailedEntry, Mapping, PendingEntry, ProjectionDelta, ProjectionView, RecordKey,
};

/// A failure met while reading projections through a view that cannot return errors itself.
#[derive(Debug)]
pub enum ViewFailure {
    Sled(UnabortableTransactionError),
    Corrupt(String),
}

/// Reads the projection trees inside a sled transaction.
pub struct TxView<'a> {
    pub mappings: &'a TransactionalTree,
    pub pending: &'a TransactionalTree,
    pub failed: &'a TransactionalTree,
    pub imports: &'a TransactionalTree,
    pub meta: &'a TransactionalTree,
    failure: RefCell<Option<ViewFailure>>,
}

impl<'a> TxView<'a> {
    pub fn new(
        mappings: &'a TransactionalTree,
        pending: &'a TransactionalTree,
        failed: &'a TransactionalTree,
        imports: &'a TransactionalTree,
        meta: &'a TransactionalTree,
    ) -> TxView<'a> {
        TxView {
            mappings,
            pending,
            failed,
            imports,
            meta,
            failure: RefCell::new(None),
        }
    }

    /// The first failure met while reading, if any: the caller must abort the transaction.
    pub fn take_failure(&self) -> Option<ViewFailure> {
        self.failure.borrow_mut().take()
    }

    fn read<T: serde::de::DeserializeOwned>(
        &self,
        tree: &TransactionalTree,
        key: &[u8],
        what: &str,
    ) -> Option<T> {
        match tree.get(key) {
            Ok(Some(bytes)) => match decode(&bytes, what) {
                Ok(value) => Some(value),
                Err(detail) => {
                    self.failure
                        .borrow_mut()
                        .get_or_insert(ViewFailure::Corrupt(detail));
                    None
                }
            },
            Ok(None) => None,
            Err(error) => {
                self.failure
                    .borrow_mut()
                    .get_or_insert(ViewFailure::Sled(error));
                None
            }
        }
    }
}

impl ProjectionView for TxView<'_> {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping> {
        self.read(self.mappings, &key.to_bytes(), "mapping")
    }
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry> {
        self.read(self.pending, &key.to_bytes(), "pending entry")
    }
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry> {
        self.read(self.failed, &key.to_bytes(), "failed entry")
    }
    fn counters(&self) -> Counters {
        self.read(self.meta, META_COUNTERS, "counters")
            .unwrap_or_default()
    }
    fn import_seq(&self, content_hash: &str) -> Option<u64> {
        self.read(self.imports, content_hash.as_bytes(), "import index")
    }
}

/// A view with no projections at all: the start of a rebuild.
pub struct EmptyView;

impl ProjectionView for EmptyView {
    fn mapping(&self, _: &RecordKey) -> Option<Mapping> {
        None
    }
    fn pending(&self, _: &RecordKey) -> Option<PendingEntry> {
        None
    }
    fn failed(&self, _: &RecordKey) -> Option<FailedEntry> {
        None
    }
    fn counters(&self) -> Counters {
        Counters::default()
    }
    fn import_seq(&self, _: &str) -> Option<u64> {
        None
    }
}

/// Changes not yet written, layered over a base view. `None` values are removals.
pub struct Overlay<'b, B: ProjectionView> {
    base: &'b B,
    pub mappings: BTreeMap<RecordKey, Option<Mapping>>,
    pub pending: BTreeMap<RecordKey, Option<PendingEntry>>,
    pub queue: BTreeMap<u64, Option<RecordKey>>,
    pub failed: BTreeMap<RecordKey, Option<FailedEntry>>,
    pub imports: BTreeMap<String, Option<u64>>,
    pub counters: Option<Counters>,
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
        }
    }

    pub fn apply(&mut self, delta: ProjectionDelta) {
        self.mappings.extend(delta.mappings);
        self.pending.extend(delta.pending);
        self.queue.extend(delta.queue);
        self.failed.extend(delta.failed);
        self.imports.extend(delta.imports);
        self.counters = Some(delta.counters);
    }

    /// Writes the collected changes into the transaction's trees.
    pub fn write_tx(&self, trees: &WriteTrees<'_>) -> Result<(), UnabortableTransactionError> {
        for (key, value) in &self.mappings {
            put(trees.mappings, &key.to_bytes(), value.as_ref())?;
        }
        for (key, value) in &self.pending {
            put(trees.pending, &key.to_bytes(), value.as_ref())?;
        }
        for (seq, key) in &self.queue {
            match key {
                Some(key) => trees.queue.insert(&seq_key(*seq), key.to_bytes())?,
                None => trees.queue.remove(&seq_key(*seq))?,
            };
        }
        for (key, value) in &self.failed {
            put(trees.failed, &key.to_bytes(), value.as_ref())?;
        }
        for (hash, value) in &self.imports {
            put(trees.imports, hash.as_bytes(), value.as_ref())?;
        }
        if let Some(counters) = &self.counters {
            trees
                .meta
                .insert(META_COUNTERS, super::codec::encode(counters))?;
        }
        Ok(())
    }
}

/// The transactional trees an overlay writes into.
pub struct WriteTrees<'a> {
    pub mappings: &'a TransactionalTree,
    pub pending: &'a TransactionalTree,
    pub queue: &'a TransactionalTree,
    pub failed: &'a TransactionalTree,
    pub imports: &'a TransactionalTree,
    pub meta: &'a TransactionalTree,
}

fn put<T: serde::Serialize>(
    tree: &TransactionalTree,
    key: &[u8],
    value: Option<&T>,
) -> Result<(), UnabortableTransactionError> {
    match value {
        Some(value) => tree.insert(key, super::codec::encode(value))?,
        None => tree.remove(key)?,
    };
    Ok(())
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
}
