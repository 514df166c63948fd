//! The search index: every record found by its external id, Twenty id, e-mail address and name
//! (each word of it), case- and accent-insensitively: a projection of the log that is not folded
//! with the others but derived behind the appends by the store's indexer (`store::indexer`).
//!
//! What is indexed of a record is an [`IndexedRecord`]: the newest intent's name and e-mail
//! ([`SearchDoc`]) and the Twenty id of its mapping; [`index_change`] says what an event changes.
//! Each value becomes [`IndexTerm`]s: a class, the value normalised ([`normalise`]) and cut to
//! [`TERM_MAX_CHARS`], and the record; the terms are a pure function of the indexed record
//! ([`IndexedRecord::terms`]). A search reads the terms that start with the normalised query,
//! range after range of [`SEARCH_RANGES`], so that an exact id comes first, then values that
//! start with the query, then names with a later word that does; [`first_listing`] says where a
//! record is listed, so it is listed once across pages. [`SearchIndex`] is the reference model.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::Mapping;
use crate::domain::event::{Envelope, Event};
use crate::domain::intent::{IntentFields, RecordKey};

/// The longest term kept in the index, in characters: longer values are cut (a search compares
/// the whole value, from the record, before it lists one).
pub const TERM_MAX_CHARS: usize = 64;
/// The most later words of a name that are indexed (each as the rest of the name from it).
pub const MAX_WORD_TERMS: usize = 3;

/// Text as the index compares it: lower case, accents and other combining marks removed
/// (compatibility decomposition, so `Zoë` and `ﬁ` become `zoe` and `fi`), control characters
/// dropped, runs of white space made one space, trimmed.
pub fn normalise(text: &str) -> String {
    if text.is_ascii() {
        // Nothing to decompose: the same rules, without the Unicode tables.
        return collapse(text.chars().map(|c| c.to_ascii_lowercase()));
    }
    // Lower case after the decomposition too: it may give capitals (`𝒩` is an `N`).
    collapse(
        text.nfkd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .filter(|c| !is_combining_mark(*c)),
    )
}

/// Control characters dropped, runs of white space made one space, trimmed.
fn collapse(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in chars {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// `text` cut to its first [`TERM_MAX_CHARS`] characters.
pub fn cut(text: &str) -> &str {
    match text.char_indices().nth(TERM_MAX_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The newest intent's name and e-mail address of a record, as the index holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl SearchDoc {
    pub fn of(fields: &IntentFields) -> SearchDoc {
        SearchDoc {
            name: fields.name.clone(),
            email: fields.email.clone(),
        }
    }
}

/// What the index holds of a record: the newest intent's [`SearchDoc`] (none before any intent)
/// with that intent's sequence number, and the Twenty id of its mapping. Stored as the value of
/// the record's external-id term; a record has one when it has a doc or a Twenty id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedRecord {
    pub doc: Option<SearchDoc>,
    /// The sequence number of the intent the doc is from (0 without a doc): an older one never
    /// replaces it, so indexing a part of the log again changes nothing.
    pub doc_seq: u64,
    pub twenty_id: Option<String>,
}

/// A record's newest doc in a part of the log: the intent's sequence number and its doc.
pub type NewestDoc = Option<(u64, SearchDoc)>;

impl IndexedRecord {
    /// What the index holds of a record once `newest` (the newest doc of a part of the log) is
    /// folded over `old` (what it held), with the Twenty id its mapping has now: none without a
    /// doc or a Twenty id.
    pub fn folded(
        old: Option<&IndexedRecord>,
        newest: NewestDoc,
        twenty_id: Option<String>,
    ) -> Option<IndexedRecord> {
        let (doc_seq, doc) = match (old, newest) {
            (Some(old), Some((seq, _))) if old.doc.is_some() && old.doc_seq >= seq => {
                (old.doc_seq, old.doc.clone())
            }
            (_, Some((seq, doc))) => (seq, Some(doc)),
            (Some(old), None) => (old.doc_seq, old.doc.clone()),
            (None, None) => (0, None),
        };
        (doc.is_some() || twenty_id.is_some()).then_some(IndexedRecord {
            doc,
            doc_seq,
            twenty_id,
        })
    }

    /// Every value the record is found by: its external id, name (and up to [`MAX_WORD_TERMS`]
    /// later words of it), e-mail address and Twenty id, normalised.
    pub fn values(&self, key: &RecordKey) -> Vec<IndexedValue> {
        let mut values = Vec::new();
        let mut add = |class: TermClass, value: String| {
            if !value.is_empty() {
                values.push(IndexedValue {
                    term: IndexTerm::new(class, &value, key),
                    value,
                });
            }
        };
        add(TermClass::ExternalId, normalise(&key.external_id));
        let doc = self.doc.as_ref();
        if let Some(name) = doc.and_then(|doc| doc.name.as_deref()) {
            let name = normalise(name);
            for start in word_starts(&name).skip(1).take(MAX_WORD_TERMS) {
                add(TermClass::Word, name[start..].to_string());
            }
            add(TermClass::Field, name);
        }
        if let Some(email) = doc.and_then(|doc| doc.email.as_deref()) {
            add(TermClass::Field, normalise(email));
        }
        if let Some(twenty_id) = self.twenty_id.as_deref() {
            add(TermClass::TwentyId, normalise(twenty_id));
        }
        values
    }

    /// The terms stored for the record besides its external-id term (whose value is this record).
    pub fn terms(&self, key: &RecordKey) -> BTreeSet<IndexTerm> {
        self.values(key)
            .into_iter()
            .map(|value| value.term)
            .filter(|term| term.class != TermClass::ExternalId)
            .collect()
    }
}

/// What an event tells the index: the record it is about (whose Twenty id the index reads again
/// from its mapping) and, for an intent, the record's new doc.
pub fn index_change(envelope: &Envelope) -> Option<(RecordKey, NewestDoc)> {
    let key = envelope.event.record_key()?;
    let doc = match &envelope.event {
        Event::IntentRecorded(intent) => Some((envelope.seq, SearchDoc::of(&intent.fields))),
        _ => None,
    };
    Some((key, doc))
}

/// Folds one event's [`index_change`] into the newest docs of a part of the log.
pub fn note_change(changes: &mut BTreeMap<RecordKey, NewestDoc>, envelope: &Envelope) {
    if let Some((key, doc)) = index_change(envelope) {
        let newest = changes.entry(key).or_default();
        if doc.is_some() {
            *newest = doc;
        }
    }
}

/// The terms to write (`true`) and remove, besides the external-id term, for a record whose
/// index entry goes from `old` to `new`.
pub fn term_changes(
    key: &RecordKey,
    old: Option<&IndexedRecord>,
    new: Option<&IndexedRecord>,
) -> Vec<(IndexTerm, bool)> {
    if old == new {
        return Vec::new();
    }
    let terms = |record: Option<&IndexedRecord>| record.map(|r| r.terms(key)).unwrap_or_default();
    let (old, new) = (terms(old), terms(new));
    let removed = old.difference(&new).map(|term| (term.clone(), false));
    let added = new.difference(&old).map(|term| (term.clone(), true));
    removed.chain(added).collect()
}

/// Which value of a record a term comes from. The order is the order of the key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermClass {
    /// The external id (its term is the record's [`SearchDoc`] row).
    ExternalId,
    /// The Twenty id of the record's mapping.
    TwentyId,
    /// The whole name or the whole e-mail address.
    Field,
    /// The rest of the name from one of its later words.
    Word,
}

impl TermClass {
    pub fn as_byte(self) -> u8 {
        match self {
            TermClass::ExternalId => b'0',
            TermClass::TwentyId => b'1',
            TermClass::Field => b'2',
            TermClass::Word => b'3',
        }
    }

    pub fn from_byte(byte: u8) -> Option<TermClass> {
        match byte {
            b'0' => Some(TermClass::ExternalId),
            b'1' => Some(TermClass::TwentyId),
            b'2' => Some(TermClass::Field),
            b'3' => Some(TermClass::Word),
            _ => None,
        }
    }
}

/// One entry of the index. Ordered exactly as its bytes ([`IndexTerm::to_bytes`]) sort: class,
/// term (normalised text holds no NUL, the separator), record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexTerm {
    pub class: TermClass,
    /// The normalised value, cut to [`TERM_MAX_CHARS`].
    pub term: String,
    pub key: RecordKey,
}

impl IndexTerm {
    pub fn new(class: TermClass, normalised: &str, key: &RecordKey) -> IndexTerm {
        IndexTerm {
            class,
            term: cut(normalised).to_string(),
            key: key.clone(),
        }
    }

    /// The class byte, the term, a NUL, the record key bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let record = self.key.to_bytes();
        let mut bytes = Vec::with_capacity(2 + self.term.len() + record.len());
        bytes.push(self.class.as_byte());
        bytes.extend_from_slice(self.term.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&record);
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<IndexTerm> {
        let (&class, rest) = bytes.split_first()?;
        let end = rest.iter().position(|b| *b == 0)?;
        Some(IndexTerm {
            class: TermClass::from_byte(class)?,
            term: String::from_utf8(rest[..end].to_vec()).ok()?,
            key: RecordKey::from_bytes(&rest[end + 1..])?,
        })
    }
}

/// One value a record is found by: its term and the whole normalised value it was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedValue {
    pub term: IndexTerm,
    pub value: String,
}

/// The byte offsets where a word starts: an alphanumeric character after one that is not.
fn word_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut previous_alphanumeric = false;
    text.char_indices().filter_map(move |(at, c)| {
        let starts = c.is_alphanumeric() && !previous_alphanumeric;
        previous_alphanumeric = c.is_alphanumeric();
        starts.then_some(at)
    })
}

/// The index as it is once it has caught up with the whole log: the reference model the store's
/// index is compared with. Each record's entry follows from the log's newest intent for it and
/// the Twenty id of its mapping (see [`IndexedRecord`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchIndex {
    pub records: BTreeMap<RecordKey, IndexedRecord>,
}

impl SearchIndex {
    /// The index of a log, given the mappings its projections hold.
    pub fn of_log<'a>(
        log: impl IntoIterator<Item = &'a Envelope>,
        mappings: &BTreeMap<RecordKey, Mapping>,
    ) -> SearchIndex {
        let mut changes = BTreeMap::new();
        for envelope in log {
            note_change(&mut changes, envelope);
        }
        let records = changes
            .into_iter()
            .filter_map(|(key, newest)| {
                let twenty_id = mappings.get(&key).map(|m| m.twenty_id.clone());
                IndexedRecord::folded(None, newest, twenty_id).map(|record| (key, record))
            })
            .collect();
        SearchIndex { records }
    }

    /// Every term besides the records' external-id terms.
    pub fn terms(&self) -> BTreeSet<IndexTerm> {
        self.records
            .iter()
            .flat_map(|(key, record)| record.terms(key))
            .collect()
    }
}

/// How well a listed record matches the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRank {
    /// Its external id or Twenty id is the query.
    Exact,
    /// An id, its name or its e-mail address starts with the query.
    Prefix,
    /// A later word of its name starts with the query.
    Other,
}

/// One part of the index a search reads: the terms of a class that are the query (`exact`) or
/// start with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchRange {
    pub class: TermClass,
    pub exact: bool,
}

/// The ranges a search reads, in the order records are listed.
pub const SEARCH_RANGES: [SearchRange; 6] = [
    SearchRange {
        class: TermClass::ExternalId,
        exact: true,
    },
    SearchRange {
        class: TermClass::TwentyId,
        exact: true,
    },
    SearchRange {
        class: TermClass::ExternalId,
        exact: false,
    },
    SearchRange {
        class: TermClass::TwentyId,
        exact: false,
    },
    SearchRange {
        class: TermClass::Field,
        exact: false,
    },
    SearchRange {
        class: TermClass::Word,
        exact: false,
    },
];

impl SearchRange {
    pub fn rank(self) -> MatchRank {
        match (self.exact, self.class) {
            (true, _) => MatchRank::Exact,
            (false, TermClass::Word) => MatchRank::Other,
            (false, _) => MatchRank::Prefix,
        }
    }

    /// What the bytes of every term of this range start with, for a normalised `query`.
    pub fn key_prefix(self, query: &str) -> Vec<u8> {
        let mut prefix = vec![self.class.as_byte()];
        prefix.extend_from_slice(cut(query).as_bytes());
        if self.exact {
            prefix.push(0);
        }
        prefix
    }

    /// Whether `value` belongs to this range for a normalised `query` (on the whole value).
    pub fn matches(self, value: &IndexedValue, query: &str) -> bool {
        value.term.class == self.class
            && if self.exact {
                value.value == query
            } else {
                value.value.starts_with(query)
            }
    }
}

/// Where a record with these values is listed for a normalised `query`: the first range of
/// [`SEARCH_RANGES`] (by index) and, in it, the first of its terms that matches. A search lists
/// a record only when it reads that very term there, so a record is listed once.
pub fn first_listing(query: &str, values: &[IndexedValue]) -> Option<(usize, IndexTerm)> {
    SEARCH_RANGES.iter().enumerate().find_map(|(index, range)| {
        values
            .iter()
            .filter(|value| range.matches(value, query))
            .map(|value| &value.term)
            .min()
            .map(|term| (index, term.clone()))
    })
}

#[cfg(test)]
mod tests;
