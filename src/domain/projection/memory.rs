//! Projections held in memory: the reference model of the fold for tests and for anything that
//! needs projections without a store.

use uuid::Uuid;

use super::*;
use crate::domain::event::Envelope;
use crate::domain::intent::RecordKey;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryProjections {
    pub mappings: std::collections::BTreeMap<RecordKey, Mapping>,
    pub pending: std::collections::BTreeMap<RecordKey, PendingEntry>,
    pub queue: std::collections::BTreeMap<u64, RecordKey>,
    pub failed: std::collections::BTreeMap<RecordKey, FailedEntry>,
    pub imports: std::collections::BTreeMap<String, u64>,
    pub counters: Counters,
    pub config: Option<StoredConfig>,
    pub forwarded: ForwardCounters,
    pub relayed: std::collections::BTreeMap<Uuid, u64>,
    pub servers: KnownServers,
}

impl ProjectionView for MemoryProjections {
    fn mapping(&self, key: &RecordKey) -> Option<Mapping> {
        self.mappings.get(key).cloned()
    }
    fn pending(&self, key: &RecordKey) -> Option<PendingEntry> {
        self.pending.get(key).cloned()
    }
    fn failed(&self, key: &RecordKey) -> Option<FailedEntry> {
        self.failed.get(key).cloned()
    }
    fn counters(&self) -> Counters {
        self.counters
    }
    fn import_seq(&self, content_hash: &str) -> Option<u64> {
        self.imports.get(content_hash).copied()
    }
    fn config(&self) -> Option<StoredConfig> {
        self.config.clone()
    }
    fn forwarded(&self) -> ForwardCounters {
        self.forwarded
    }
    fn relayed_seq(&self, intent_id: &Uuid) -> Option<u64> {
        self.relayed.get(intent_id).copied()
    }
    fn servers(&self) -> KnownServers {
        self.servers.clone()
    }
}

impl MemoryProjections {
    pub fn apply(&mut self, envelope: &Envelope) {
        let delta = fold(self, envelope);
        apply_to_maps(&mut self.mappings, delta.mappings);
        apply_to_maps(&mut self.pending, delta.pending);
        apply_to_maps(&mut self.queue, delta.queue);
        apply_to_maps(&mut self.failed, delta.failed);
        apply_to_maps(&mut self.imports, delta.imports);
        apply_to_maps(&mut self.relayed, delta.relayed);
        if let Some(config) = delta.config {
            self.config = Some(config);
        }
        if let Some(forwarded) = delta.forwarded {
            self.forwarded = forwarded;
        }
        if let Some(servers) = delta.servers {
            self.servers = servers;
        }
        self.counters = delta.counters;
    }
}

fn apply_to_maps<K: Ord, V>(
    map: &mut std::collections::BTreeMap<K, V>,
    changes: Vec<(K, Option<V>)>,
) {
    for (key, value) in changes {
        match value {
            Some(value) => {
                map.insert(key, value);
            }
            None => {
                map.remove(&key);
            }
        }
    }
}
