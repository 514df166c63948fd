//! Values on the way to Twenty: the values of one record by target ([`FieldValues`]), each
//! field's JSON as Twenty takes it (composites assembled whole from their parts), its normalised
//! form and stable hash, and the body of an update holding only the fields that changed.
//!
//! Composite fields are always sent whole, the parts not given empty (`""`, `[]`, `null` for an
//! amount): releases up to mid-2026 null out the parts a PATCH leaves out (rest-api.md §4.6,
//! Twenty issues #23024 and #13211). The shapes are those of `wire.rs` of the Twenty client
//! (`{"primaryLinkUrl","primaryLinkLabel":"","secondaryLinks":[]}`, …) and Twenty's composite
//! types; secondary links are `{url, label}` and additional phones `{number, callingCode,
//! countryCode}` objects, as `buildRecordFromImportedStructuredRow.ts` sends them.

use std::collections::BTreeMap;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::cells::CellValue;
use super::hashes::FieldHashes;
use super::model::FieldType;
use super::parts::Part;

/// What a column fills: a field, and for a composite field one of its parts (`None` for a whole
/// FULL_NAME and for fields without parts). Written `field` or `field.part` (wire names).
///
/// Stored (bincode) as the field's name and the part's wire name, with no text put together;
/// in JSON as the `field.part` text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldTarget {
    /// Inline when short (every name Twenty makes is): no heap value per stored cell.
    pub field: CompactString,
    pub part: Option<Part>,
}

impl FieldTarget {
    pub fn new(field: impl Into<CompactString>, part: Option<Part>) -> FieldTarget {
        FieldTarget {
            field: field.into(),
            part,
        }
    }
}

impl std::fmt::Display for FieldTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.part {
            Some(part) => write!(f, "{}.{}", self.field, part.wire_name()),
            None => f.write_str(&self.field),
        }
    }
}

impl TryFrom<String> for FieldTarget {
    type Error = String;
    /// The stored spelling only (`address.addressCity`); for what people type, see
    /// [`super::mapping::parse_target`].
    fn try_from(text: String) -> Result<FieldTarget, String> {
        let (field, part) = match text.split_once('.') {
            Some((field, part)) => {
                let part = Part::ALL
                    .into_iter()
                    .find(|p| p.wire_name() == part)
                    .ok_or_else(|| format!("'{part}' is not a part of a composite field"))?;
                (field, Some(part))
            }
            None => (text.as_str(), None),
        };
        if field.is_empty() {
            return Err(format!("'{text}' names no field"));
        }
        Ok(FieldTarget::new(field, part))
    }
}

impl From<FieldTarget> for String {
    fn from(target: FieldTarget) -> String {
        target.to_string()
    }
}

impl Serialize for FieldTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            (self.field.as_str(), self.part.map(Part::wire_name)).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for FieldTarget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FieldTarget, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            return FieldTarget::try_from(String::deserialize(deserializer)?)
                .map_err(D::Error::custom);
        }
        let (field, part) = <(CompactString, Option<CompactString>)>::deserialize(deserializer)?;
        if field.is_empty() {
            return Err(D::Error::custom("a stored field target names no field"));
        }
        let part = match part {
            None => None,
            Some(name) => Some(
                Part::ALL
                    .into_iter()
                    .find(|p| p.wire_name() == name)
                    .ok_or_else(|| {
                        D::Error::custom(format!("'{name}' is not a part of a composite field"))
                    })?,
            ),
        };
        Ok(FieldTarget { field, part })
    }
}

/// The stable hash of one field's normalised value: equal hashes mean "nothing to send".
pub type FieldHash = [u8; 16];

/// The values of one record, by target. A target set twice keeps its first value (as an import
/// keeps the first non-empty of two columns filling the same field).
///
/// Deserialized as stored, or checked and dropped inside [`super::skipped::values_skipped`] (what
/// a fold of the log reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldValues {
    pub(super) values: BTreeMap<FieldTarget, CellValue>,
}

impl FieldValues {
    pub fn new() -> FieldValues {
        FieldValues::default()
    }

    /// Sets a target's value unless it has one; `false` when it had.
    pub fn set(&mut self, target: FieldTarget, value: CellValue) -> bool {
        match self.values.entry(target) {
            std::collections::btree_map::Entry::Occupied(_) => false,
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(value);
                true
            }
        }
    }

    pub fn get(&self, target: &FieldTarget) -> Option<&CellValue> {
        self.values.get(target)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&FieldTarget, &CellValue)> {
        self.values.iter()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Each field's JSON as Twenty takes it, by field name.
    pub fn to_wire(&self) -> BTreeMap<String, Value> {
        let mut by_field: BTreeMap<&str, Vec<(Option<Part>, &CellValue)>> = BTreeMap::new();
        for (target, value) in &self.values {
            by_field
                .entry(target.field.as_str())
                .or_default()
                .push((target.part, value));
        }
        by_field
            .into_iter()
            .map(|(field, values)| (field.to_string(), field_json(&values)))
            .collect()
    }

    /// Each field's normalised form: its JSON as canonical text (keys sorted, no spaces). Two
    /// records send the same field exactly when these are equal.
    pub fn normalised(&self) -> BTreeMap<String, String> {
        self.to_wire()
            .into_iter()
            .map(|(field, value)| (field, canonical_json(&value)))
            .collect()
    }

    /// The hash of each field's normalised form.
    pub fn hashes(&self) -> FieldHashes {
        hashes_of(&self.to_wire())
    }

    /// The body of a create: every field.
    pub fn body(&self) -> Map<String, Value> {
        self.to_wire().into_iter().collect()
    }

    /// The body of an update: only the fields whose value changed since `last_pushed` (fields
    /// never pushed count as changed; fields pushed before but not given now are left alone).
    pub fn changed_body(&self, last_pushed: &FieldHashes) -> Map<String, Value> {
        let wire = self.to_wire();
        let changed = changed_fields(last_pushed, &hashes_of(&wire));
        wire.into_iter()
            .filter(|(field, _)| changed.contains(field))
            .collect()
    }
}

fn hashes_of(wire: &BTreeMap<String, Value>) -> FieldHashes {
    wire.iter()
        .map(|(field, value)| (field.as_str(), field_hash(&canonical_json(value))))
        .collect()
}

/// The fields of `new` whose hash differs from `last_pushed` or that were never pushed, by name.
/// A field only in `last_pushed` is not listed: it is no longer sent, so it is left as it is.
pub fn changed_fields(last_pushed: &FieldHashes, new: &FieldHashes) -> Vec<String> {
    new.iter()
        .filter(|(field, hash)| last_pushed.get(field) != Some(*hash))
        .map(|(field, _)| field.to_string())
        .collect()
}

/// The stable hash of a field's normalised form. The encoding (a version tag, then the text) is
/// fixed here so a serde or `serde_json` upgrade never makes every field look changed.
fn field_hash(normalised: &str) -> FieldHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"twenty-sync field v1\0");
    hasher.update(normalised.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// JSON as canonical text: object keys sorted whatever the map keeps, no white space; strings
/// and numbers as `serde_json` writes them.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// One field's JSON from its values: a plain value, or a composite assembled from its parts.
fn field_json(values: &[(Option<Part>, &CellValue)]) -> Value {
    let composite = values.iter().find_map(|(part, value)| match (part, value) {
        (Some(part), _) => Some(part.composite()),
        (None, CellValue::FullName { .. }) => Some(FieldType::FullName),
        _ => None,
    });
    let Some(composite) = composite else {
        return values
            .first()
            .map_or(Value::Null, |(_, value)| plain_json(value));
    };
    let part = |wanted: Part| {
        values
            .iter()
            .find(|(part, _)| *part == Some(wanted))
            .map(|(_, value)| *value)
    };
    let text = |wanted: Part| match part(wanted) {
        Some(CellValue::Text(text)) => Value::String(text.clone()),
        _ => Value::String(String::new()),
    };
    let list = |wanted: Part| match part(wanted) {
        Some(CellValue::List(items)) => items.clone(),
        _ => Vec::new(),
    };
    let mut object = Map::new();
    match composite {
        FieldType::FullName => {
            // Either part given: the parts, as today's bodies do; else the whole name split.
            let whole = values.iter().find_map(|(_, value)| match value {
                CellValue::FullName { first, last } => Some((first, last)),
                _ => None,
            });
            let (first, last) = match (part(Part::FirstName), part(Part::LastName), whole) {
                (None, None, Some((first, last))) => (first.clone().into(), last.clone().into()),
                _ => (text(Part::FirstName), text(Part::LastName)),
            };
            object.insert("firstName".into(), first);
            object.insert("lastName".into(), last);
        }
        FieldType::Emails => {
            object.insert("primaryEmail".into(), text(Part::PrimaryEmail));
            object.insert(
                "additionalEmails".into(),
                list(Part::AdditionalEmails).into(),
            );
        }
        FieldType::Phones => {
            for wanted in [
                Part::PrimaryPhoneNumber,
                Part::PrimaryPhoneCountryCode,
                Part::PrimaryPhoneCallingCode,
            ] {
                object.insert(wanted.wire_name().into(), text(wanted));
            }
            let phones: Vec<Value> = list(Part::AdditionalPhones)
                .into_iter()
                .map(|number| json!({"number": number, "callingCode": "", "countryCode": ""}))
                .collect();
            object.insert("additionalPhones".into(), phones.into());
        }
        FieldType::Links => {
            object.insert("primaryLinkUrl".into(), text(Part::PrimaryLinkUrl));
            object.insert("primaryLinkLabel".into(), text(Part::PrimaryLinkLabel));
            let links: Vec<Value> = list(Part::SecondaryLinks)
                .into_iter()
                .map(|url| json!({"url": url, "label": ""}))
                .collect();
            object.insert("secondaryLinks".into(), links.into());
        }
        FieldType::Address => {
            for wanted in FieldType::Address.parts() {
                object.insert(wanted.wire_name().into(), text(*wanted));
            }
        }
        FieldType::Currency => {
            let amount = match part(Part::AmountMicros) {
                Some(CellValue::Micros(micros)) => Value::from(*micros),
                _ => Value::Null,
            };
            object.insert("amountMicros".into(), amount);
            object.insert("currencyCode".into(), text(Part::CurrencyCode));
        }
        _ => {}
    }
    Value::Object(object)
}

fn plain_json(value: &CellValue) -> Value {
    match value {
        CellValue::Text(text) => Value::String(text.clone()),
        CellValue::List(items) => items.clone().into(),
        CellValue::Number(number) => number.to_json(),
        CellValue::Boolean(flag) => Value::Bool(*flag),
        CellValue::Micros(micros) => Value::from(*micros),
        CellValue::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        CellValue::FullName { first, last } => {
            serde_json::json!({"firstName": first, "lastName": last})
        }
    }
}
