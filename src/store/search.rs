//! The search index's reads (`s` keys): a record's search doc, a page of a search (the ranges of
//! [`SEARCH_RANGES`] one after the other, each record listed once, with a cursor to go on), the
//! records whose external id is exactly a text, and the whole index for comparisons.

use std::collections::BTreeSet;

use super::codec::decode;
use super::error::Result;
use super::{keys, Store};
use crate::domain::projection::search::{
    first_listing, indexed_values, normalise, IndexTerm, MatchRank, SearchDoc, SearchIndex,
    SearchRange, TermClass, SEARCH_RANGES,
};
use crate::domain::RecordKey;

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
}

impl Store {
    /// What the search index holds of a record, if it was ever recorded or mapped.
    pub fn search_doc(&self, key: &RecordKey) -> Result<Option<SearchDoc>> {
        self.get_value(&keys::search_doc(key), "search doc")
    }

    /// Up to `limit` records matching `query` (normalised here), in rank order, from `from` on:
    /// a bounded read of the index that stops after `max_reads` entries with a cursor.
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
        };
        if query.is_empty() {
            return Ok(page);
        }
        let first = from.map_or(0, |cursor| cursor.range);
        for (index, range) in SEARCH_RANGES.iter().enumerate().skip(first) {
            let mut prefix = vec![keys::SEARCH];
            prefix.extend_from_slice(&range.key_prefix(&query));
            let mut start = prefix.clone();
            let mut last = Vec::new();
            if let Some(cursor) = from.filter(|c| c.range == index && !c.after.is_empty()) {
                let mut after = vec![keys::SEARCH];
                after.extend_from_slice(&cursor.after);
                after.push(0);
                start = start.max(after);
                last.clone_from(&cursor.after);
            }
            for item in self.inner.tree.range(start..) {
                let (key, value) = item.map_err(|e| self.sled_error(e))?;
                if !key.starts_with(&prefix) {
                    break;
                }
                if page.hits.len() >= limit || page.read >= max_reads {
                    page.next = Some(SearchCursor {
                        range: index,
                        after: last,
                    });
                    return Ok(page);
                }
                page.read += 1;
                let term = IndexTerm::from_bytes(&key[1..])
                    .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
                let doc = match term.class {
                    TermClass::ExternalId => {
                        Some(decode(&value, "search doc").map_err(|d| self.corrupt(d))?)
                    }
                    _ => self.search_doc(&term.key)?,
                };
                let twenty_id = self.mapping(&term.key)?.map(|m| m.twenty_id);
                let values = indexed_values(&term.key, doc.as_ref(), twenty_id.as_deref());
                last = key[1..].to_vec();
                if first_listing(&query, &values).is_some_and(|(i, t)| i == index && t == term) {
                    page.hits.push(SearchHit {
                        key: term.key,
                        doc,
                        rank: range.rank(),
                    });
                }
            }
        }
        Ok(page)
    }

    /// Up to `limit` records whose external id is `text` once both are normalised (case and
    /// accents aside): one read of the index's exact range.
    pub fn records_with_external_id(&self, text: &str, limit: usize) -> Result<Vec<RecordKey>> {
        let query = normalise(text);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let exact = SearchRange {
            class: TermClass::ExternalId,
            exact: true,
        };
        let mut prefix = vec![keys::SEARCH];
        prefix.extend_from_slice(&exact.key_prefix(&query));
        let mut found = Vec::new();
        for item in self.inner.tree.scan_prefix(&prefix) {
            let (key, _) = item.map_err(|e| self.sled_error(e))?;
            let term = IndexTerm::from_bytes(&key[1..])
                .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
            if normalise(&term.key.external_id) == query {
                found.push(term.key);
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// The search index's docs, read into memory (for [`Store::snapshot`]).
    pub(super) fn search_index(&self) -> Result<SearchIndex> {
        let mut index = SearchIndex::default();
        let class_prefix = [keys::SEARCH, TermClass::ExternalId.as_byte()];
        for item in self.inner.tree.scan_prefix(class_prefix) {
            let (key, value) = item.map_err(|e| self.sled_error(e))?;
            let term = IndexTerm::from_bytes(&key[1..])
                .ok_or_else(|| self.corrupt("a search index key is malformed".into()))?;
            let doc = decode(&value, "search doc").map_err(|d| self.corrupt(d))?;
            index.docs.insert(term.key, doc);
        }
        Ok(index)
    }

    /// Every stored search term besides the docs' rows (they follow from docs and mappings:
    /// compare with [`SearchIndex::terms`]).
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
