//! Stored record values read without being kept: inside [`values_skipped`], a [`FieldValues`]
//! is checked as reading it checks it (every target and value, valid UTF-8, known parts,
//! canonical numbers) and comes out empty. The fold of the log never reads an intent's values, and a rebuild decodes a million
//! intents: keeping their values was most of its allocations.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::cells::CellValue;
use super::numbers::Decimal;
use super::parts::Part;
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
                use serde::de::Error;
                while let Some((target, cell)) =
                    map.next_entry::<SkippedTarget<'de>, SkippedCell<'de>>()?
                {
                    target.check().map_err(A::Error::custom)?;
                    cell.check().map_err(A::Error::custom)?;
                }
                Ok(SkippedMap)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A stored [`FieldTarget`] (field name, part's wire name), borrowed.
#[derive(Deserialize)]
struct SkippedTarget<'a>(#[serde(borrow)] &'a str, #[serde(borrow)] Option<&'a str>);

impl SkippedTarget<'_> {
    /// What reading a [`FieldTarget`] refuses: no field name, a part that does not exist.
    fn check(&self) -> Result<(), String> {
        if self.0.is_empty() {
            return Err("a stored field target names no field".into());
        }
        match self.1 {
            Some(part) if !Part::ALL.iter().any(|p| p.wire_name() == part) => {
                Err(format!("'{part}' is not a part of a composite field"))
            }
            _ => Ok(()),
        }
    }
}

/// A stored [`CellValue`], borrowed: the same variants in the same order (`same_variants` below
/// fails to compile when `CellValue` gains one).
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

impl SkippedCell<'_> {
    /// What reading a [`CellValue`] refuses beyond its bytes: a number not in canonical form.
    fn check(&self) -> Result<(), String> {
        match self {
            SkippedCell::Number(text) => Decimal::try_from(text.to_string()).map(|_| ()),
            _ => Ok(()),
        }
    }
}

/// Every [`CellValue`] variant has its [`SkippedCell`] twin, in the same place.
#[cfg(test)]
pub(super) fn same_variants(value: &CellValue) -> usize {
    match value {
        CellValue::Text(_) => 0,
        CellValue::List(_) => 1,
        CellValue::Number(_) => 2,
        CellValue::Boolean(_) => 3,
        CellValue::Micros(_) => 4,
        CellValue::Json(_) => 5,
        CellValue::FullName { .. } => 6,
    }
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
