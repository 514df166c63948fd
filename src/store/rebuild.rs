//! Rebuilding the projections: re-fold the whole log with the same fold as live appends, compare
//! with what is stored, and write only the differences in one atomic batch, which also sets the
//! search index's watermark back to the start (the indexer derives it again, behind). Also the
//! cheap check at open that tells whether a rebuild is needed.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::codec::encode;
use super::error::Result;
use super::{keys, Store};
use crate::domain::projection::MemoryProjections;
use crate::domain::Envelope;

/// Envelopes decoded per message while rebuilding.
const REBUILD_CHUNK: usize = 4_096;

/// What `rebuild_projections` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
    /// Projection entries that differed from the log and were corrected.
    pub corrected: usize,
    pub elapsed: Duration,
}

/// Stored entries (key, value), encoded as the store keeps them, in key byte order.
type Entries<'a> = Box<dyn Iterator<Item = (Vec<u8>, Vec<u8>)> + 'a>;

/// Every keyed projection of `rebuilt` under its prefix: what the tree should hold there.
fn keyed_projections(rebuilt: &MemoryProjections) -> [(u8, Entries<'_>); 7] {
    [
        (
            keys::MAPPING,
            Box::new(
                rebuilt
                    .mappings
                    .iter()
                    .map(|(k, v)| (keys::mapping(k), encode(v))),
            ),
        ),
        (
            keys::PENDING,
            Box::new(
                rebuilt
                    .pending
                    .iter()
                    .map(|(k, v)| (keys::pending(k), encode(v))),
            ),
        ),
        (
            keys::FAILED,
            Box::new(
                rebuilt
                    .failed
                    .iter()
                    .map(|(k, v)| (keys::failed(k), encode(v))),
            ),
        ),
        (
            keys::FAILURE_DETAIL,
            Box::new(
                rebuilt
                    .details
                    .iter()
                    .map(|(k, v)| (keys::failure_detail(k), encode(v))),
            ),
        ),
        (
            keys::QUEUE,
            Box::new(
                rebuilt
                    .queue
                    .iter()
                    .map(|(seq, k)| (keys::queue(*seq).to_vec(), k.to_bytes())),
            ),
        ),
        (
            keys::IMPORT,
            Box::new(
                rebuilt
                    .imports
                    .iter()
                    .map(|(h, v)| (keys::import(h), encode(v))),
            ),
        ),
        (
            keys::RELAYED,
            Box::new(
                rebuilt
                    .relayed
                    .iter()
                    .map(|(id, v)| (keys::relayed(id), encode(v))),
            ),
        ),
    ]
}

impl Store {
    /// A cheap check at open: the newest event decodes, and the projections have folded exactly
    /// the events the log holds.
    pub(super) fn projections_match_log(&self) -> Result<bool> {
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
        let (rebuilt, events) = self.fold_log()?;

        // Compare with what is stored, key by key in byte order, without decoding it.
        let mut batch = sled::Batch::default();
        let mut corrected = 0;
        for (prefix, wanted) in keyed_projections(&rebuilt) {
            corrected += self.diff_prefix(prefix, wanted, &mut batch)?;
        }
        // The one-row projections are compared decoded: an absent row reads as its default.
        corrected += diff_row(
            &mut batch,
            keys::CONFIG,
            self.config()?.as_ref(),
            rebuilt.config.as_ref(),
        );
        corrected += diff_row(
            &mut batch,
            keys::FORWARDED,
            Some(&self.forwarded()?),
            Some(&rebuilt.forwarded),
        );
        corrected += diff_row(
            &mut batch,
            keys::SERVERS,
            Some(&self.servers()?),
            Some(&rebuilt.servers),
        );
        corrected += diff_row(
            &mut batch,
            keys::COUNTERS,
            Some(&self.counters()?),
            Some(&rebuilt.counters),
        );
        // The search index reads the mappings: it is derived again from the start of the log,
        // behind this rebuild (in the background), in the same batch as the corrections.
        self.inner.indexer.restart_with(batch, |batch| {
            self.inner
                .tree
                .apply_batch(batch)
                .map_err(|e| self.sled_error(e))?;
            self.inner.db.flush().map_err(|e| self.sled_error(e))?;
            Ok(())
        })?;
        Ok(RebuildReport {
            events,
            corrected,
            elapsed: started.elapsed(),
        })
    }

    /// Folds the whole log into memory, in three stages on their own threads: reading the
    /// log's bytes from sled, decoding them (intents without their values: the fold never reads
    /// them), folding. Reading and decoding each took as long as folding and decoding together.
    fn fold_log(&self) -> Result<(MemoryProjections, u64)> {
        std::thread::scope(|scope| -> Result<(MemoryProjections, u64)> {
            let (raw_sender, raw) = std::sync::mpsc::sync_channel::<Result<Vec<sled::IVec>>>(4);
            let (sender, decoded) = std::sync::mpsc::sync_channel::<Result<Vec<Envelope>>>(4);
            scope.spawn(move || {
                let mut chunk = Vec::with_capacity(REBUILD_CHUNK);
                for item in self
                    .inner
                    .tree
                    .range(keys::event(0)..=keys::event(u64::MAX))
                {
                    match item {
                        Ok((_, bytes)) => chunk.push(bytes),
                        Err(error) => {
                            let _ = raw_sender.send(Err(self.sled_error(error)));
                            return;
                        }
                    }
                    if chunk.len() == REBUILD_CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(REBUILD_CHUNK));
                        if raw_sender.send(Ok(full)).is_err() {
                            return;
                        }
                    }
                }
                let _ = raw_sender.send(Ok(chunk));
            });
            scope.spawn(move || {
                for chunk in raw {
                    let envelopes = chunk.and_then(|chunk| {
                        chunk
                            .iter()
                            .map(|bytes| {
                                super::decode_envelope_without_values(&self.inner.path, bytes)
                            })
                            .collect::<Result<Vec<Envelope>>>()
                    });
                    let failed = envelopes.is_err();
                    if sender.send(envelopes).is_err() || failed {
                        return;
                    }
                }
            });
            let mut rebuilt = MemoryProjections::default();
            let mut events = 0u64;
            for chunk in decoded {
                for envelope in chunk? {
                    rebuilt.apply(&envelope);
                    events += 1;
                }
            }
            Ok((rebuilt, events))
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
}

/// Adds to `batch` what turns the one-row projection at `key` from `stored` into `wanted`
/// (`None`: no row); returns 1 when they differ, else 0.
fn diff_row<T: PartialEq + Serialize>(
    batch: &mut sled::Batch,
    key: &[u8],
    stored: Option<&T>,
    wanted: Option<&T>,
) -> usize {
    if stored == wanted {
        return 0;
    }
    match wanted {
        Some(value) => batch.insert(key, encode(value)),
        None => batch.remove(key),
    }
    1
}
