//! Each kind of value checked on its own, with the sentence that says what is wrong and what to
//! write instead: numbers and amounts, booleans, dates, codes, phone numbers, JSON, plain text,
//! select options and ratings.

use super::cells::{CellError, ReadHints};
use super::choices::{match_options, match_rating, parse_boolean};
use super::dates::{parse_date, parse_date_time, DateProblem};
use super::model::{FieldDef, FieldOption, FieldType};
use super::numbers::{Decimal, NumberProblem, MAX_DIGITS};
use super::parts::Part;
use super::text::{clean_text, shown, ListProblem, TextProblem};
use crate::domain::intent::MAX_TEXT_CHARS;

/// What is wrong with a value, as the end of "column 'x': …".
pub type Problem = String;

pub fn number(text: &str, hints: ReadHints) -> Result<Decimal, Problem> {
    let shown_value = shown(text);
    Decimal::parse(text, hints.decimal).map_err(|problem| match problem {
        NumberProblem::NotANumber => {
            format!("'{shown_value}' is not a number; write it like 1234.5, 1,234.5 or 1 234,5")
        }
        NumberProblem::Ambiguous { grouped, decimal } => format!(
            "'{shown_value}' could be {grouped} or {decimal}; write {grouped} or {decimal}, or say \
             which decimal separator the file uses"
        ),
        NumberProblem::TooManyDigits => format!(
            "'{shown_value}' has more than {MAX_DIGITS} digits (or is too large or too small)"
        ),
    })
}

pub fn micros(text: &str, hints: ReadHints) -> Result<i64, Problem> {
    number(text, hints)?
        .to_micros()
        .ok_or_else(|| format!("'{}' is too large for an amount", shown(text)))
}

pub fn boolean(text: &str) -> Result<bool, Problem> {
    parse_boolean(text).ok_or_else(|| {
        format!(
            "'{}' is not yes or no; write yes, no, true, false, 1, 0 or x",
            shown(text)
        )
    })
}

pub fn date(text: &str, hints: ReadHints) -> Result<String, Problem> {
    parse_date(text, hints.dates).map_err(|problem| date_problem(text, problem))
}

pub fn date_time(text: &str) -> Result<String, Problem> {
    parse_date_time(text).map_err(|problem| date_problem(text, problem))
}

fn date_problem(text: &str, problem: DateProblem) -> Problem {
    let shown_value = shown(text);
    match problem {
        DateProblem::NotADate => {
            format!("'{shown_value}' is not a date; write it as year-month-day, like 2025-04-03")
        }
        DateProblem::Ambiguous {
            day_first,
            month_first,
        } => format!(
            "'{shown_value}' could be {day_first} or {month_first}; write it as year-month-day, \
             or say whether the file's dates are day-first or month-first"
        ),
        DateProblem::NotInCalendar => format!("'{shown_value}' is not a day of the calendar"),
        DateProblem::TwoDigitYear => {
            format!("'{shown_value}' has a two-digit year; write the year with four digits")
        }
        DateProblem::NoTimeZone => {
            format!("'{shown_value}' has no time zone; add Z for UTC or an offset such as +02:00")
        }
        DateProblem::NoTime => format!(
            "'{shown_value}' is a date without a time; write a date and time like \
             2025-04-03T09:30:00Z"
        ),
    }
}

/// Digits, optionally after `+`; spaces, dashes, dots, slashes and brackets between them are
/// dropped (`+33 6 12-34-56-78` → `+33612345678`). Three to twenty digits. (Twenty's importer
/// wants digits only in the number; the calling code is not split off: that needs the
/// numbering plan of every country.)
pub fn phone_number(text: &str) -> Result<String, Problem> {
    let (plus, rest) = match text.trim().strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", text.trim()),
    };
    let separators_only = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}'));
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if separators_only && (3..=20).contains(&digits.len()) {
        return Ok(format!("{plus}{digits}"));
    }
    Err(format!(
        "'{}' is not a phone number; write its digits, with + and the country code if you like",
        shown(text)
    ))
}

/// Two letters, upper-cased (`fr` → `FR`).
pub fn country_code(text: &str) -> Result<String, Problem> {
    letters(text, 2).ok_or_else(|| {
        format!(
            "'{}' is not a country code; write two letters such as FR or US",
            shown(text)
        )
    })
}

/// `+` and one to four digits (`33` → `+33`).
pub fn calling_code(text: &str) -> Result<String, Problem> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if (1..=4).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(format!("+{digits}"));
    }
    Err(format!(
        "'{}' is not a calling code; write + and one to four digits, such as +33",
        shown(text)
    ))
}

/// Three letters, upper-cased (`eur` → `EUR`).
pub fn currency_code(text: &str) -> Result<String, Problem> {
    letters(text, 3).ok_or_else(|| {
        format!(
            "'{}' is not a currency code; write three letters such as EUR or USD",
            shown(text)
        )
    })
}

fn letters(text: &str, count: usize) -> Option<String> {
    (text.len() == count && text.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

/// Valid JSON, as canonical text.
pub fn json(text: &str) -> Result<String, Problem> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|value| super::wire::canonical_json(&value))
        .map_err(|_| {
            format!(
                "'{}' is not valid JSON; check its brackets, quotes and commas",
                shown(text)
            )
        })
}

/// Text trimmed, without control characters, at most [`MAX_TEXT_CHARS`] characters, as the
/// fixed fields of an intent.
pub fn plain_text(text: &str) -> Result<String, Problem> {
    match clean_text(text, MAX_TEXT_CHARS) {
        Ok(value) => Ok(value.unwrap_or_default()),
        Err(TextProblem::ControlCharacters) => Err("contains control characters (line breaks, \
             tabs or invisible codes); remove them"
            .to_string()),
        Err(TextProblem::TooLong(max)) => {
            Err(format!("is longer than {} characters", thousands(max)))
        }
    }
}

pub fn list_problem(text: &str, problem: ListProblem) -> Problem {
    let shown_value = shown(text);
    match problem {
        ListProblem::UnclosedQuote => format!("'{shown_value}' opens a quote it does not close"),
        ListProblem::TextAfterQuote => {
            format!("'{shown_value}' has text after a closing quote; put a comma between values")
        }
    }
}

/// The value of the select option `text` names, or the error listing the options.
pub fn option(field: &FieldDef, column: &str, text: &str) -> Result<String, CellError> {
    let options = field.effective_options();
    match_options(&options, text)
        .map_err(|candidates| option_error(field, column, text, &options, candidates))
}

/// The rating `text` gives, or the error listing the ratings.
pub fn rating(field: &FieldDef, column: &str, text: &str) -> Result<String, CellError> {
    let options = field.effective_options();
    match_rating(&options, text)
        .ok_or_else(|| option_error(field, column, text, &options, Vec::new()))
}

fn option_error(
    field: &FieldDef,
    column: &str,
    value: &str,
    options: &[FieldOption],
    candidates: Vec<String>,
) -> CellError {
    let labels: Vec<String> = options.iter().map(|o| o.label.clone()).collect();
    let problem = if candidates.len() > 1 {
        format!(
            "'{}' matches several options of {} ({}); write the option's exact value",
            shown(value),
            field.label,
            listed(&candidates)
        )
    } else if labels.is_empty() {
        format!(
            "{} has no options in Twenty yet; add '{}' there first",
            field.label,
            shown(value)
        )
    } else {
        format!(
            "'{}' is not an option of {}; use one of {}",
            shown(value),
            field.label,
            listed(&labels)
        )
    };
    CellError {
        column: column.to_string(),
        value: value.trim().to_string(),
        problem,
        allowed: labels,
    }
}

/// Up to twelve names, then how many more.
fn listed(names: &[String]) -> String {
    let mut list = names
        .iter()
        .take(12)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 12 {
        list.push_str(&format!(" and {} more", names.len() - 12));
    }
    list
}

/// Why a field (or part) cannot take a value at all.
pub fn not_writable(field: &FieldDef, part: Option<Part>) -> Problem {
    let field_type = &field.field_type;
    match part {
        Some(part) if !field_type.parts().contains(&part) => {
            format!("{} ({}) has no part {}", field.label, field_type, part)
        }
        None if field_type.is_composite() => format!(
            "{} is filled part by part; map the column to one of its parts ({})",
            field.label,
            field_type
                .parts()
                .iter()
                .map(|p| p.wire_name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "{} is a {} field, which twenty-sync does not fill",
            field.label, field_type
        ),
    }
}

/// Whether a target holds a list: MULTI_SELECT, ARRAY, and the list parts.
pub fn is_list(field: &FieldDef, part: Option<Part>) -> bool {
    match part {
        Some(part) => part.is_list(),
        None => matches!(field.field_type, FieldType::MultiSelect | FieldType::Array),
    }
}

pub fn thousands(n: usize) -> String {
    use ::thousands::Separable;
    n.separate_with_commas()
}
