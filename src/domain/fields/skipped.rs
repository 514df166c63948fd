//! Stored record values read without being kept: inside [`values_skipped`], a [`FieldValues`]
//! is decoded as far as checking its bytes (every target, every value, valid UTF-8) and comes out
//! empty. The fold of the log never reads an intent's values, and a rebuild decodes a million
//! intents: keeping their values was most of its allocations.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::cells::CellValue;
use super::wire::{FieldTarget, FieldValues};

thread_local! {
    static SKIPPING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `decode` with every [`FieldValues`] it deserializes (from a compact format such as the
/// store's bincode) checked and left empty.
pub fn values_skipped<T>(decode: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SKIPPING.with(|skipping| skipping.set(self.0));
        }
    }
    let _restore = Restore(SKIPPING.with(|skipping| skipping.replace(true)));
    decode()
}

/// The stored form of [`FieldValues`], kept.
#[derive(Deserialize)]
#[serde(rename = "FieldValues")]
struct Kept {
    values: BTreeMap<FieldTarget, CellValue>,
}

/// The stored form of [`FieldValues`], checked and dropped.
#[derive(Deserialize)]
#[serde(rename = "FieldValues")]
struct Skipped {
    #[serde(rename = "values")]
    _values: SkippedMap,
}

struct SkippedMap;

impl<'de> Deserialize<'de> for SkippedMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SkippedMap, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = SkippedMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field targets to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SkippedMap, A::Error> {
                while map
                    .next_entry::<SkippedTarget<'de>, SkippedCell<'de>>()?
                    .is_some()
                {}
                Ok(SkippedMap)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A stored [`FieldTarget`] (field name, part's wire name), borrowed.
#[derive(Deserialize)]
#[expect(dead_code, reason = "read to check the stored bytes, never kept")]
struct SkippedTarget<'a>(#[serde(borrow)] &'a str, #[serde(borrow)] Option<&'a str>);

/// A stored [`CellValue`], borrowed: the same variants in the same order.
#[derive(Deserialize)]
#[expect(dead_code, reason = "read to check the stored bytes, never kept")]
#[serde(rename = "CellValue")]
enum SkippedCell<'a> {
    Text(#[serde(borrow)] &'a str),
    List(#[serde(borrow)] Vec<&'a str>),
    Number(#[serde(borrow)] &'a str),
    Boolean(bool),
    Micros(i64),
    Json(#[serde(borrow)] &'a str),
    FullName {
        #[serde(borrow)]
        first: &'a str,
        #[serde(borrow)]
        last: &'a str,
    },
}

impl<'de> Deserialize<'de> for FieldValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FieldValues, D::Error> {
        if !deserializer.is_human_readable() && SKIPPING.with(Cell::get) {
            Skipped::deserialize(deserializer)?;
            return Ok(FieldValues::default());
        }
        Kept::deserialize(deserializer).map(|kept| FieldValues {
            values: kept.values,
        })
    }
}
