//! Twenty's per-type checks of a record body's values, with its own messages: the validators of
//! `packages/twenty-server/src/engine/api/common/common-args-processors/data-arg-processor/
//! validator-utils/` (2.x), which quote values the way Node's `util.inspect` prints them.
//!
//! The 2.4.0 profile answers every check with these messages (code `INVALID_ARGS_DATA`). The
//! Aug-2025 profile keeps its own type-mismatch message for plain type errors (see `input`) but
//! answers option and subfield errors with the same words: that build's own wording for them was
//! not captured.

use serde_json::Value;

use crate::schema::{FieldDef, FieldType};
use crate::util::parse_iso_millis;

/// `util.inspect(value)` for a JSON value: `'text'`, `123`, `true`, `null`, `[ 'a', 1 ]`,
/// `{ key: 'v', 'odd-key': 1 }`, `[]`, `{}`.
pub fn inspect(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => format!(
            "[ {} ]",
            items.iter().map(inspect).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", key(k), inspect(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn quote(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "\\'"))
    }
}

fn key(k: &str) -> String {
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        k.to_string()
    } else {
        quote(k)
    }
}

/// `Number(value)` as Node prints it in `validateNumericFieldOrThrow`'s message.
fn as_js_number(value: &Value) -> String {
    match value {
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(n) => n.to_string(),
            Err(_) => "NaN".into(),
        },
        Value::Bool(true) => "1".into(),
        Value::Bool(false) | Value::Null => "0".into(),
        Value::Number(n) => n.to_string(),
        _ => "NaN".into(),
    }
}

/// `validate-text-field-or-throw.util.ts`.
pub fn text(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::String(_) | Value::Null => Ok(()),
        other => Err(format!(
            "Invalid string value {} for text field \"{name}\"",
            inspect(other)
        )),
    }
}

/// `validate-number-field-or-throw.util.ts`.
pub fn number(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Number(_) | Value::Null => Ok(()),
        other => Err(format!(
            "Invalid number value {} for field \"{name}\"",
            inspect(other)
        )),
    }
}

/// `validate-numeric-field-or-throw.util.ts`: numbers and numeric strings (`''` is null).
pub fn numeric(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Number(_) | Value::Null => Ok(()),
        Value::String(s) if s.is_empty() || s.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            Ok(())
        }
        other => Err(format!(
            "Invalid number value {} for field \"{name}\"",
            as_js_number(other)
        )),
    }
}

/// `validate-boolean-field-or-throw.util.ts`.
pub fn boolean(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Bool(_) | Value::Null => Ok(()),
        other => Err(format!(
            "Invalid boolean value {} for field \"{name}\"",
            inspect(other)
        )),
    }
}

fn is_calendar_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(_), Some(m), Some(d)) => (1..=12).contains(&m) && (1..=31).contains(&d),
        _ => false,
    }
}

/// `validate-date-field-or-throw.util.ts` (the fake accepts `YYYY-MM-DD` and ISO date-times).
pub fn date(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::String(s) if is_calendar_date(s) || parse_iso_millis(s).is_some() => Ok(()),
        other => Err(format!(
            "Invalid value {} for date field \"{name}\". Expected format: 'YYYY-MM-DD'",
            inspect(other)
        )),
    }
}

/// `validate-date-time-field-or-throw.util.ts`.
pub fn date_time(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::String(s) if parse_iso_millis(s).is_some() => Ok(()),
        other => Err(format!(
            "Invalid value {} for date-time field \"{name}\". Expected format: 'YYYY-MM-DDTHH:mm:ssZ'",
            inspect(other)
        )),
    }
}

/// `validate-array-field-or-throw.util.ts`: null, a string, or an array of strings.
pub fn array(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Null | Value::String(_) => Ok(()),
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        other => Err(format!(
            "Invalid value {} for field \"{name} - Array values need to be string\"",
            inspect(other)
        )),
    }
}

/// `validate-raw-json-field-or-throw.util.ts`: null, an object or array, or a string holding JSON.
pub fn raw_json(value: &Value, name: &str) -> Result<(), String> {
    match value {
        Value::Null | Value::Object(_) | Value::Array(_) => Ok(()),
        Value::String(s) if serde_json::from_str::<Value>(s).is_ok() => Ok(()),
        other => Err(format!(
            "Invalid object value {} for field \"{name}\"",
            inspect(other)
        )),
    }
}

/// `validate-rating-and-select-field-or-throw.util.ts`: a string among the option values.
pub fn select(value: &Value, field: &FieldDef) -> Result<(), String> {
    text(value, &field.name)?;
    match value {
        Value::String(s) if !field.option_values().any(|o| o == s) => Err(format!(
            "Invalid value {} for field \"{}\"",
            inspect(value),
            field.name
        )),
        _ => Ok(()),
    }
}

/// `validate-multi-select-field-or-throw.util.ts`: every item among the option values.
pub fn multi_select(value: &Value, field: &FieldDef) -> Result<(), String> {
    array(value, &field.name)?;
    let items: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if items
        .iter()
        .any(|item| !field.option_values().any(|o| o == *item))
    {
        return Err(format!(
            "Invalid value {} for multi select field \"{}\"",
            inspect(value),
            field.name
        ));
    }
    Ok(())
}

/// The word Twenty's composite validators name the type with (`validate-links-field-or-throw`
/// says `links field`, `validate-full-name-field-or-throw` says `full name field`, …).
fn composite_word(t: FieldType) -> &'static str {
    match t {
        FieldType::FullName => "full name",
        FieldType::Emails => "emails",
        FieldType::Links => "links",
        FieldType::Phones => "phones",
        FieldType::Address => "address",
        FieldType::Currency => "currency",
        FieldType::Actor => "actor",
        _ => "composite",
    }
}

/// A composite's subfield that is not one of its type:
/// `Invalid subfield nope for links field "listingUrl"`.
pub fn unknown_subfield(field: &FieldDef, sub: &str) -> String {
    format!(
        "Invalid subfield {sub} for {} field \"{}\"",
        composite_word(field.ftype),
        field.name
    )
}

/// One subfield's value, checked as Twenty's composite validators check it (the name in the
/// message is `field.subfield`).
pub fn subfield(field: &FieldDef, sub: &str, value: &Value) -> Result<(), String> {
    let name = format!("{}.{sub}", field.name);
    match sub {
        "amountMicros" | "addressLat" | "addressLng" => numeric(value, &name),
        "additionalEmails" => array(value, &name),
        "secondaryLinks" | "additionalPhones" => raw_json(value, &name),
        _ => text(value, &name),
    }
}

/// A composite value itself: an object, null, or a string holding JSON
/// (`validate-raw-json-field-or-throw.util.ts`, the first step of every composite validator).
pub fn composite(value: &Value, field: &FieldDef) -> Result<(), String> {
    match value {
        Value::Array(_) => Err(format!(
            "Invalid object value {} for field \"{}\"",
            inspect(value),
            field.name
        )),
        other => raw_json(other, &field.name),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::inspect;

    #[test]
    fn values_are_quoted_as_node_inspects_them() {
        for (value, shown) in [
            (json!("FOO"), "'FOO'"),
            (json!("it's"), "\"it's\""),
            (json!(12), "12"),
            (json!(true), "true"),
            (json!(null), "null"),
            (json!([]), "[]"),
            (json!(["A", 1]), "[ 'A', 1 ]"),
            (json!({"odd-key": 2}), "{ 'odd-key': 2 }"),
            (json!({"url": "x"}), "{ url: 'x' }"),
        ] {
            assert_eq!(inspect(&value), shown, "{value}");
        }
    }
}
