//! One cell read for one target, validated against the field's type: the typed, normalised
//! value ([`CellValue`]), or a [`CellError`] naming the column, the value and what to write
//! instead (for a select, the options).

use serde::{Deserialize, Serialize};

use super::checks::{self, is_list, not_writable, thousands};
use super::dates::DateOrder;
use super::model::{FieldDef, FieldType};
use super::numbers::{Decimal, DecimalSeparator};
use super::parts::Part;
use super::text::{split_list, MAX_CELL_BYTES};
use crate::domain::intent::{normalise_email, normalise_website};

/// The most values one list cell (multi-select, array, additional e-mails, …) may hold.
pub const MAX_LIST_ITEMS: usize = 1_000;

/// A cell's value, typed and normalised; what it means follows from its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellValue {
    /// TEXT, SELECT (the option's value), RATING (`RATING_n`), DATE (`YYYY-MM-DD`), DATE_TIME
    /// (RFC 3339, UTC), and the text parts: an e-mail, a URL, a phone number, a name, a code.
    Text(String),
    /// MULTI_SELECT (option values, in the options' order), ARRAY (in the cell's order), and the
    /// list parts: additional e-mails and phones, secondary links.
    List(Vec<String>),
    /// NUMBER (already rounded to a double) and NUMERIC (exact).
    Number(Decimal),
    Boolean(bool),
    /// A currency amount in micros.
    Micros(i64),
    /// RAW_JSON, as canonical JSON text (keys sorted, no spaces).
    Json(String),
    /// A whole name for a FULL_NAME field, split at its first space.
    FullName {
        first: String,
        last: String,
    },
}

/// What a file says about how it writes numbers and dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadHints {
    pub decimal: DecimalSeparator,
    pub dates: DateOrder,
}

/// A cell that cannot be sent as it is, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("column '{column}': {problem}")]
pub struct CellError {
    pub column: String,
    /// The value as given (trimmed).
    pub value: String,
    /// What is wrong and what to write instead: `'Fintek' is not an option of Category; use
    /// one of Agency, Fintech, Retail`.
    pub problem: String,
    /// For select and rating fields: the options' labels.
    pub allowed: Vec<String>,
}

/// Reads one cell for `field` (and `part`, for a composite field). An empty cell is `Ok(None)`:
/// nothing to send. `column` is the header, for the error.
pub fn parse_cell(
    field: &FieldDef,
    part: Option<Part>,
    column: &str,
    cell: &str,
    hints: ReadHints,
) -> Result<Option<CellValue>, CellError> {
    let fail = |problem: String| CellError {
        column: column.to_string(),
        value: cell.trim().to_string(),
        problem,
        allowed: Vec::new(),
    };
    if cell.len() > MAX_CELL_BYTES {
        let max = thousands(MAX_CELL_BYTES);
        return Err(fail(format!("the value is longer than {max} characters")));
    }
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if part.is_some_and(|part| !field.field_type.parts().contains(&part)) {
        return Err(fail(not_writable(field, part)));
    }
    if is_list(field, part) {
        let items =
            split_list(text).map_err(|problem| fail(checks::list_problem(text, problem)))?;
        return parse_items(field, part, column, &items);
    }
    use CellValue::{Boolean, Json, Micros, Number, Text};
    let value = match (&field.field_type, part) {
        (FieldType::Number, None) => Number(
            checks::number(text, hints)
                .map_err(fail)?
                .rounded_to_double(),
        ),
        (FieldType::Numeric, None) => Number(checks::number(text, hints).map_err(fail)?),
        (FieldType::Currency, Some(Part::AmountMicros)) => {
            Micros(checks::micros(text, hints).map_err(fail)?)
        }
        (FieldType::Currency, Some(Part::CurrencyCode)) => {
            Text(checks::currency_code(text).map_err(fail)?)
        }
        (FieldType::Boolean, None) => Boolean(checks::boolean(text).map_err(fail)?),
        (FieldType::Date, None) => Text(checks::date(text, hints).map_err(fail)?),
        (FieldType::DateTime, None) => Text(checks::date_time(text).map_err(fail)?),
        (FieldType::Select, None) => Text(checks::option(field, column, text)?),
        (FieldType::Rating, None) => Text(checks::rating(field, column, text)?),
        (FieldType::RawJson, None) => Json(checks::json(text).map_err(fail)?),
        (FieldType::Emails, Some(Part::PrimaryEmail)) => Text(normalise_email(text).map_err(fail)?),
        (FieldType::Links, Some(Part::PrimaryLinkUrl)) => {
            Text(normalise_website(text).map_err(fail)?)
        }
        (FieldType::Phones, Some(Part::PrimaryPhoneNumber)) => {
            Text(checks::phone_number(text).map_err(fail)?)
        }
        (FieldType::Phones, Some(Part::PrimaryPhoneCountryCode)) => {
            Text(checks::country_code(text).map_err(fail)?)
        }
        (FieldType::Phones, Some(Part::PrimaryPhoneCallingCode)) => {
            Text(checks::calling_code(text).map_err(fail)?)
        }
        (FieldType::FullName, None) => {
            let name = checks::plain_text(text).map_err(fail)?;
            let (first, last) = name.split_once(char::is_whitespace).unwrap_or((&name, ""));
            CellValue::FullName {
                first: first.to_string(),
                last: last.trim().to_string(),
            }
        }
        (FieldType::Text, None)
        | (FieldType::FullName, Some(Part::FirstName | Part::LastName))
        | (FieldType::Links, Some(Part::PrimaryLinkLabel))
        | (FieldType::Address, Some(_)) => Text(checks::plain_text(text).map_err(fail)?),
        _ => return Err(fail(not_writable(field, part))),
    };
    Ok(Some(value))
}

/// Reads the values of a list target given as separate items (a JSON array in a JSON file, or
/// a split cell): MULTI_SELECT, ARRAY, additional e-mails and phones, secondary links. No items
/// is `Ok(None)`.
pub fn parse_items(
    field: &FieldDef,
    part: Option<Part>,
    column: &str,
    items: &[String],
) -> Result<Option<CellValue>, CellError> {
    let fail = |value: &str, problem: String| CellError {
        column: column.to_string(),
        value: value.trim().to_string(),
        problem,
        allowed: Vec::new(),
    };
    let one_value = || format!("{} holds one value, not a list", field.label);
    if part.is_some_and(|part| !field.field_type.parts().contains(&part)) {
        return Err(fail(&items.join(", "), not_writable(field, part)));
    }
    if !is_list(field, part) {
        return Err(fail(&items.join(", "), one_value()));
    }
    if items.len() > MAX_LIST_ITEMS {
        let (count, max) = (thousands(items.len()), thousands(MAX_LIST_ITEMS));
        let first: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
        let problem = format!("the list holds {count} values; at most {max} are accepted");
        return Err(fail(&first.join(", "), problem));
    }
    let mut values: Vec<String> = Vec::with_capacity(items.len());
    for item in items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
    {
        let value = match (&field.field_type, part) {
            (FieldType::MultiSelect, None) => Ok(checks::option(field, column, item)?),
            (FieldType::Array, None) => checks::plain_text(item),
            (_, Some(Part::AdditionalEmails)) => normalise_email(item),
            (_, Some(Part::SecondaryLinks)) => normalise_website(item),
            (_, Some(Part::AdditionalPhones)) => checks::phone_number(item),
            _ => Err(one_value()),
        }
        .map_err(|problem| fail(item, problem))?;
        // An array keeps repeats as given; a set of options or addresses does not.
        if field.field_type == FieldType::Array || !values.contains(&value) {
            values.push(value);
        }
    }
    if field.field_type == FieldType::MultiSelect {
        let options = field.effective_options();
        values.sort_by_key(|value| options.iter().position(|o| &o.value == value));
    }
    Ok((!values.is_empty()).then_some(CellValue::List(values)))
}
