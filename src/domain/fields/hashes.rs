//! [`FieldHashes`]: the hash of each field last pushed, by field name, kept as one shared sorted
//! list of inline names (a mapping is cloned, folded and stored by the million on a rebuild: no
//! heap value per field). Stored exactly as the `BTreeMap<String, FieldHash>` it replaced.

use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::wire::FieldHash;

/// The hash of each field last pushed, by field name, in name order (byte order, as a
/// `BTreeMap<String, _>` keeps them). Cloning shares the list.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FieldHashes(Arc<[(CompactString, FieldHash)]>);

impl FieldHashes {
    pub fn new() -> FieldHashes {
        FieldHashes::default()
    }

    /// The hash last pushed for `field`.
    pub fn get(&self, field: &str) -> Option<&FieldHash> {
        self.0
            .binary_search_by(|(name, _)| name.as_str().cmp(field))
            .ok()
            .map(|at| &self.0[at].1)
    }

    /// Each field and its hash, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldHash)> {
        self.0.iter().map(|(name, hash)| (name.as_str(), hash))
    }

    /// The field names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted by name; of a name given twice the last hash is kept (as a map's insert does).
    fn from_entries(mut entries: Vec<(CompactString, FieldHash)>) -> FieldHashes {
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: of equal names the later stays later, and is the one kept below.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(CompactString, FieldHash)> = Vec::with_capacity(entries.len());
            for entry in entries {
                match kept.last_mut() {
                    Some(last) if last.0 == entry.0 => *last = entry,
                    _ => kept.push(entry),
                }
            }
            entries = kept;
        }
        FieldHashes(entries.into())
    }
}

impl<N: Into<CompactString>> FromIterator<(N, FieldHash)> for FieldHashes {
    fn from_iter<I: IntoIterator<Item = (N, FieldHash)>>(entries: I) -> FieldHashes {
        FieldHashes::from_entries(
            entries
                .into_iter()
                .map(|(name, hash)| (name.into(), hash))
                .collect(),
        )
    }
}

impl<const N: usize> From<[(&str, FieldHash); N]> for FieldHashes {
    fn from(entries: [(&str, FieldHash); N]) -> FieldHashes {
        entries.into_iter().collect()
    }
}

impl std::ops::Index<&str> for FieldHashes {
    type Output = FieldHash;

    /// The hash of `field`; panics when it was not pushed (for tests and known names).
    fn index(&self, field: &str) -> &FieldHash {
        self.get(field)
            .unwrap_or_else(|| panic!("no hash for the field '{field}'"))
    }
}

impl fmt::Debug for FieldHashes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for FieldHashes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldHashes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FieldHashes, D::Error> {
        struct Entries;

        impl<'de> Visitor<'de> for Entries {
            type Value = FieldHashes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field names to 16-byte hashes")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FieldHashes, A::Error> {
                // A hostile length must not reserve memory up front.
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry::<CompactString, FieldHash>()? {
                    entries.push(entry);
                }
                Ok(FieldHashes::from_entries(entries))
            }
        }

        deserializer.deserialize_map(Entries)
    }
}
