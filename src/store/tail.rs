//! The search's tail: the records the events after the search index's watermark name, each with
//! what it holds now (its newest doc, its mapping's Twenty id), which a search lists instead of
//! their index entries. Kept between searches: a search folds only the events appended since the
//! last one, and drops the records the indexer has since indexed (those no event after the new
//! watermark names); it is built again only when the watermark goes back (a rebuild).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::error::Result;
use super::indexer::{IndexProgress, Indexer};
use crate::domain::projection::search::{
    first_listing, index_change, normalise, IndexedRecord, IndexedValue, NewestDoc, SEARCH_RANGES,
};
use crate::domain::RecordKey;

use super::search::SearchHit;

/// The records named after the watermark, as of the head.
#[derive(Debug, Clone, Default)]
pub(super) struct Tail {
    watermark: u64,
    head: u64,
    records: BTreeMap<RecordKey, TailRecord>,
}

#[derive(Debug, Clone)]
struct TailRecord {
    /// The newest doc of the events after the watermark.
    newest: NewestDoc,
    /// The last event after the watermark that names it.
    last_named: u64,
    /// What the record holds now (none: nothing to find it by), and its values.
    now: Option<IndexedRecord>,
    values: Vec<IndexedValue>,
}

/// A tail record listed for a query: the range, the term's bytes, the hit.
pub(super) type Listing = (usize, Vec<u8>, SearchHit);

impl Tail {
    /// Whether an event after the watermark names the record (its index entry is not read).
    pub(super) fn names(&self, key: &RecordKey) -> bool {
        self.records.contains_key(key)
    }

    /// The tail's records whose external id, normalised, is `query`.
    pub(super) fn with_external_id<'a>(
        &'a self,
        query: &'a str,
    ) -> impl Iterator<Item = &'a RecordKey> + 'a {
        self.records
            .iter()
            .filter(move |(key, record)| {
                record.now.is_some() && normalise(&key.external_id) == query
            })
            .map(|(key, _)| key)
    }

    /// Where each of the tail's records is listed for a normalised `query`, in listing order.
    pub(super) fn listings(&self, query: &str) -> Vec<Listing> {
        let mut listings: Vec<Listing> = self
            .records
            .iter()
            .filter_map(|(key, record)| {
                let now = record.now.as_ref()?;
                let (range, term) = first_listing(query, &record.values)?;
                let hit = SearchHit {
                    key: key.clone(),
                    doc: now.doc.clone(),
                    rank: SEARCH_RANGES[range].rank(),
                };
                Some((range, term.to_bytes(), hit))
            })
            .collect();
        listings.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        listings
    }

    /// Folds the events after `self.head` up to `head` in.
    fn extend(&mut self, indexer: &Indexer, head: u64) -> Result<()> {
        let mut named: BTreeMap<RecordKey, (NewestDoc, u64)> = BTreeMap::new();
        indexer.for_each_event(self.head, head, false, |envelope| {
            if let Some((key, doc)) = index_change(envelope) {
                let entry = named.entry(key).or_insert((None, envelope.seq));
                entry.1 = envelope.seq;
                if doc.is_some() {
                    entry.0 = doc;
                }
            }
        })?;
        for (key, (doc, last_named)) in named {
            let newest = match (doc, self.records.remove(&key)) {
                (Some(doc), _) => Some(doc),
                (None, earlier) => earlier.and_then(|record| record.newest),
            };
            let (_, now) = indexer.folded(&key, newest.clone())?;
            let values = now.as_ref().map(|r| r.values(&key)).unwrap_or_default();
            let record = TailRecord {
                newest,
                last_named,
                now,
                values,
            };
            self.records.insert(key, record);
        }
        self.head = head;
        Ok(())
    }

    /// Moves the watermark up: the records no event after it names are indexed now.
    fn trim(&mut self, watermark: u64) {
        self.records
            .retain(|_, record| record.last_named > watermark);
        self.watermark = watermark;
    }
}

/// The tail, kept between searches.
#[derive(Debug, Default)]
pub(super) struct TailCache {
    kept: Mutex<Option<Arc<Tail>>>,
}

impl TailCache {
    /// The tail as of `progress`, from the one kept if it can be brought up to date.
    pub(super) fn get(&self, indexer: &Indexer, progress: IndexProgress) -> Result<Arc<Tail>> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let mut tail = match kept.take() {
            Some(tail)
                if tail.watermark <= progress.watermark && progress.watermark <= tail.head =>
            {
                tail
            }
            _ => Arc::new(Tail {
                watermark: progress.watermark,
                head: progress.watermark,
                records: BTreeMap::new(),
            }),
        };
        if tail.watermark < progress.watermark {
            Arc::make_mut(&mut tail).trim(progress.watermark);
        }
        if tail.head < progress.head {
            Arc::make_mut(&mut tail).extend(indexer, progress.head)?;
        }
        *kept = Some(tail.clone());
        Ok(tail)
    }

    /// Forgets the tail (the index is far behind: no search folds it).
    pub(super) fn clear(&self) {
        *self.kept.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
