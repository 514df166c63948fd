//! The search index's reads (`s` keys), exact up to the newest event: the index as the indexer
//! left it, with the events after its watermark (the tail) folded on top: the records they name
//! are listed from what they hold now, not from their index entries. A page of a search (the
//! ranges of [`SEARCH_RANGES`] one after the other, each record listed once, with a cursor to go
//! on), the records whose external id is exactly a text, and the whole index for comparisons.
//! A tail longer than [`MAX_TAIL_EVENTS`] is not folded: the page says the index is behind.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::codec::decode;
use super::error::Result;
use super::tail::Tail;
use super::{keys, IndexProgress, Store};
use crate::domain::projection::search::{
    first_listing, normalise, IndexTerm, IndexedRecord, MatchRank, SearchDoc, SearchIndex,
    SearchRange, TermClass, SEARCH_RANGES,
};
use crate::domain::RecordKey;

/// The most events after the index's watermark a search folds on top of the index (as many as
/// one batch of the indexer: the first search after them spends 10–25 ms folding them, the next
/// ones keep what it folded); further behind, a search reads the index alone and says it is
/// still indexing.
pub const MAX_TAIL_EVENTS: u64 = 2_000;

/// Where a search goes on: a range of [`SEARCH_RANGES`] and the last term read in it (none: from
/// the start of the range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCursor {
    range: usize,
    after: Vec<u8>,
}

impl SearchCursor {
    /// The cursor as text for a reply: the range, a dot, the term's bytes in hex.
    pub fn encode(&self) -> String {
        let hex: String = self.after.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}.{hex}", self.range)
    }

    /// The cursor [`SearchCursor::encode`] wrote; `None` for any other text.
    pub fn decode(text: &str) -> Option<SearchCursor> {
        let (range, hex) = text.trim().split_once('.')?;
        let range: usize = range.parse().ok()?;
        if range >= SEARCH_RANGES.len() || hex.len() % 2 != 0 || !hex.is_ascii() {
            return None;
        }
        let after = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(SearchCursor { range, after })
    }
}

/// A record a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub key: RecordKey,
    /// The newest name and e-mail address the index holds of it.
    pub doc: Option<SearchDoc>,
    pub rank: MatchRank,
}

/// A page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHits {
    /// In rank order: exact ids, then values starting with the query, then later words.
    pub hits: Vec<SearchHit>,
    /// Where to go on; `None` when the index holds no further term for the query.
    pub next: Option<SearchCursor>,
    /// Index entries read for this page.
    pub read: usize,
    /// Set when the index is too far behind the log for its tail to be folded: the page may
    /// miss records recorded or pushed since the watermark.
    pub behind: Option<IndexProgress>,
}

impl Store {
    /// What the search index holds of a record, as the indexer left it.
    pub fn search_record(&self, key: &RecordKey) -> Result<Option<IndexedRecord>> {
        self.inner.indexer.record(key)
    }

    /// The records the events after the index's watermark name, as they are now: an error with
    /// how far behind the index is when there are more than [`MAX_TAIL_EVENTS`] such events.
    fn search_tail(&self) -> Result<std::result::Result<Arc<Tail>, IndexProgress>> {
        let progress = self.search_index_progress();
        if progress.lag() > MAX_TAIL_EVENTS {
            self.inner.tail.clear();
            return Ok(Err(progress));
        }
        Ok(Ok(self.inner.tail.get(&self.inner.indexer, progress)?))
    }

    /// Up to `limit` records matching `query` (normalised here), in rank order, from `from` on:
    /// a bounded read of the index that stops after `max_reads` entries with a cursor, with the
    /// records named after its watermark listed from what they hold now.
    pub fn search(
        &self,
        query: &str,
        from: Option<&SearchCursor>,
        limit: usize,
        max_reads: usize,
    ) -> Result<SearchHits> {
        let query = normalise(query);
        let mut page = SearchHits {
            hits: Vec::new(),
            next: None,
            read: 0,
            behind: None,
        };
        if query.is_empty() {
            return Ok(page);
        }
        let tail = match self.search_tail()? {
            Ok(tail) => tail,
            Err(progress) => {
                page.behind = Some(progress);
                Arc::new(Tail::default())
            }
        };
        let listings = tail.listings(&query);
        let first = from.map_or(0, |cursor| cursor.range);
        for (index, range) in SEARCH_RANGES.iter().enumerate().skip(first) {
            let mut prefix = vec![keys::SEARCH];
            prefix.extend_from_slice(&range.key_prefix(&query));
            let mut start = prefix.clone();
            let mut last = Vec::new();
            let resumed = from.filter(|c| c.range == index && !c.after.is_empty());
            if let Some(cursor) = resumed {
                let mut after = vec![keys::SEARCH];
                after.extend_from_slice(&cursor.after);
                after.push(0);
                start = start.max(after);
                last.clone_from(&cursor.after);
            }
            // The tail's records listed in this range, after the cursor.
            let mut fresh = listings
                .iter()
                .filter(|(at, bytes, _)| {
                    *at == index && resumed.is_none_or(|c| bytes.as_slice() > c.after.as_slice())
                })
                .peekable();
            for item in self.inner.tree.range(start..) {
                let (key, value) = item.map_err(|e| self.sled_error(e))?;
                if !key.starts_with(&prefix) {
                    break;
                }
                while let Some((_, bytes, hit)) = fresh.next_if(|(_, b, _)| b[..] < key[1..]) {
                    if page.hits.len() >= limit {
                        page.next = Some(SearchCursor {
                            range: index,
                            after: last,
                        });
                        return Ok(page);
                    }
                    page.hits.push(hit.clone());
                    last.clone_from(bytes);
                }
                if page.hits.len() >= limit || page.read >= max_reads {
                    page.next = Some(SearchCursor {
                        range: index,
                        after: last,
                    });
                    return Ok(page);
                }
                page.read += 1;
                last = key[1..].to_vec();
                let term = IndexTerm::from_bytes(&key[1..])
                    .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
                if tail.names(&term.key) {
                    // Changed after the watermark: listed from what it holds now, above.
                    continue;
                }
                let record = match term.class {
                    TermClass::ExternalId => Some(
                        decode::<IndexedRecord>(&value, "search index entry")
                            .map_err(|d| self.corrupt(d))?,
                    ),
                    _ => self.search_record(&term.key)?,
                };
                // A term without its record's entry is one damage left behind: never listed.
                let Some(record) = record else { continue };
                let values = record.values(&term.key);
                if first_listing(&query, &values).is_some_and(|(i, t)| i == index && t == term) {
                    page.hits.push(SearchHit {
                        key: term.key,
                        doc: record.doc,
                        rank: range.rank(),
                    });
                }
            }
            for (_, bytes, hit) in fresh {
                if page.hits.len() >= limit {
                    page.next = Some(SearchCursor {
                        range: index,
                        after: last,
                    });
                    return Ok(page);
                }
                page.hits.push(hit.clone());
                last.clone_from(bytes);
            }
        }
        Ok(page)
    }

    /// Up to `limit` records whose external id is `text` once both are normalised (case and
    /// accents aside): one read of the index's exact range, and the tail's records.
    pub fn records_with_external_id(&self, text: &str, limit: usize) -> Result<Vec<RecordKey>> {
        let query = normalise(text);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let tail = self.search_tail()?.unwrap_or_default();
        let mut found: Vec<RecordKey> = tail.with_external_id(&query).cloned().collect();
        let exact = SearchRange {
            class: TermClass::ExternalId,
            exact: true,
        };
        let mut prefix = vec![keys::SEARCH];
        prefix.extend_from_slice(&exact.key_prefix(&query));
        for item in self.inner.tree.scan_prefix(&prefix) {
            if found.len() >= limit {
                break;
            }
            let (key, _) = item.map_err(|e| self.sled_error(e))?;
            let term = IndexTerm::from_bytes(&key[1..])
                .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
            if !tail.names(&term.key) && normalise(&term.key.external_id) == query {
                found.push(term.key);
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    /// The search index's entries, read into memory (compare with [`SearchIndex::of_log`]).
    pub fn search_index(&self) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        let class_prefix = [keys::SEARCH, TermClass::ExternalId.as_byte()];
        for item in self.inner.tree.scan_prefix(class_prefix) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            let term = IndexTerm::from_bytes(&key[1..])
                .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
            let record = decode(&value, "search index entry").map_err(|d| self.corrupt(d))?;
            index.records.insert(term.key, record);
        }
        Ok(index)
    }

    /// Every stored search term besides the records' external-id terms (compare with
    /// [`SearchIndex::terms`]).
    pub fn search_terms(&self) -> Result<BTreeSet<IndexTerm>> {
        let mut terms = BTreeSet::new();
        for item in self.inner.tree.scan_prefix([keys::SEARCH]) {
            let (key, _) = item.map_err(|e| self.sled_error(e))?;
            let term = IndexTerm::from_bytes(&key[1..])
                .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
            if term.class != TermClass::ExternalId {
                terms.insert(term);
            }
        }
        Ok(terms)
    }
}

#[cfg(test)]
mod tests;
