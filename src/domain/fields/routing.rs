//! Field values named `FIELD[.PART]` outside a file (`push --field`, the relay API's `fields`):
//! each read with [`parse_target`] and [`parse_cell`] against the fields in force, the fixed
//! targets (a company's `name` and `domainName`, a person's name, e-mail, phone, job title and
//! city) routed into [`IntentFields`] as an import's fixed columns are, every other one kept as
//! a typed value; and the way back, a typed value as the JSON a relay reads again.

use serde_json::Value;

use super::cells::{parse_cell, parse_items, CellValue, ReadHints};
use super::known_columns::RecordColumn;
use super::model::{FieldType, ObjectFields};
use super::standard::{fixed_field, FixedField};
use super::targets::{parse_target, OverrideTarget};
use super::wire::{canonical_json, FieldTarget, FieldValues};
use crate::domain::intent::{EntityKind, IntentFields};

/// A value named by a key that could not be read, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInputError {
    /// The key as given (`category`, `address.city`).
    pub key: String,
    pub message: String,
}

/// Reads `key → value` pairs for a record of `fields.kind`: strings as cells, arrays of strings
/// as a list's items, numbers and booleans by their JSON text, objects (for RAW_JSON) as JSON.
/// Fixed targets and the company link (`company_external_id`, `company_name`) land in `fixed`
/// (a value already there is kept); the rest in the returned values. Every pair is read, so all errors are reported at once.
pub fn read_field_inputs<'a>(
    fields: &ObjectFields,
    inputs: impl IntoIterator<Item = (&'a str, &'a Value)>,
    hints: ReadHints,
    fixed: &mut IntentFields,
) -> Result<FieldValues, Vec<FieldInputError>> {
    let mut values = FieldValues::new();
    let mut errors = Vec::new();
    for (key, value) in inputs {
        let fail = |message: String| FieldInputError {
            key: key.to_string(),
            message,
        };
        let target = match parse_target(key, fields) {
            Ok(OverrideTarget::Field(target)) => target,
            Ok(OverrideTarget::Record(column)) => {
                let text = text_of(value).trim().to_string();
                let slot = match column {
                    RecordColumn::CompanyExternalId => &mut fixed.company_external_id,
                    RecordColumn::CompanyName => &mut fixed.company_name,
                    RecordColumn::ExternalId | RecordColumn::Kind => {
                        errors.push(fail(format!(
                            "{} says which record this is, not a field; give it as the \
                             record's own {} instead",
                            column.as_str(),
                            column.as_str()
                        )));
                        continue;
                    }
                };
                if !text.is_empty() {
                    slot.get_or_insert(text);
                }
                continue;
            }
            Ok(OverrideTarget::Ignore) => continue,
            Err(error) => {
                errors.push(fail(error.to_string()));
                continue;
            }
        };
        let Some(field) = fields.get(&target.field) else {
            continue;
        };
        let read = match value {
            Value::Array(items) if field.field_type != FieldType::RawJson => {
                let texts: Vec<String> = items.iter().map(text_of).collect();
                parse_items(field, target.part, key, &texts)
            }
            Value::Object(_) | Value::Array(_) => {
                parse_cell(field, target.part, key, &canonical_json(value), hints)
            }
            other => parse_cell(field, target.part, key, &text_of(other), hints),
        };
        match read {
            Ok(Some(value)) => {
                if !route_fixed(fields.kind, &target, &value, fixed) {
                    values.set(target, value);
                }
            }
            Ok(None) => {}
            Err(error) => errors.push(fail(error.problem)),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Puts a fixed target's value in its [`IntentFields`] slot (unless one is there); `false` for
/// any other target. The fixed targets are the ones `record_values` sends from the fixed fields.
pub fn route_fixed(
    kind: EntityKind,
    target: &FieldTarget,
    value: &CellValue,
    fixed: &mut IntentFields,
) -> bool {
    let Some(place) = fixed_field(kind, target) else {
        return false;
    };
    match value {
        CellValue::Text(text) => {
            place.slot(fixed).get_or_insert(text.clone());
        }
        CellValue::FullName { first, last } if place == FixedField::Name => {
            if kind == EntityKind::Person {
                if fixed.first_name.is_none() && fixed.last_name.is_none() {
                    fixed.first_name = Some(first.clone());
                    fixed.last_name = Some(last.clone());
                }
            } else {
                fixed
                    .name
                    .get_or_insert(format!("{first} {last}").trim().to_string());
            }
        }
        _ => return false,
    }
    true
}

/// A typed value as the JSON [`read_field_inputs`] reads back to the same value: texts as
/// strings, lists as arrays, numbers and amounts as exact decimal strings, booleans, RAW_JSON
/// as its JSON, a whole name as `first last`.
pub fn input_of(value: &CellValue) -> Value {
    match value {
        CellValue::Text(text) => Value::String(text.clone()),
        CellValue::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        CellValue::Number(number) => Value::String(number.to_string()),
        CellValue::Boolean(flag) => Value::Bool(*flag),
        CellValue::Micros(micros) => Value::String(micros_text(*micros)),
        CellValue::Json(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        CellValue::FullName { first, last } => {
            Value::String(format!("{first} {last}").trim().to_string())
        }
    }
}

/// An amount in micros as a decimal of units: `12500000` → `12.5`.
fn micros_text(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let (units, fraction) = (abs / 1_000_000, abs % 1_000_000);
    if fraction == 0 {
        return format!("{sign}{units}");
    }
    let fraction = format!("{fraction:06}");
    format!("{sign}{units}.{}", fraction.trim_end_matches('0'))
}

/// Every value of an intent as the relay API's `fields` keys (`FIELD[.PART]` → JSON).
pub fn inputs_of(values: &FieldValues) -> serde_json::Map<String, Value> {
    values
        .iter()
        .map(|(target, value)| (target.to_string(), input_of(value)))
        .collect()
}
