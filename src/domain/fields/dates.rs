//! Dates and date-times as people write them in files, read into the forms Twenty stores:
//! `YYYY-MM-DD` for a DATE field (Twenty's `validate-date-field-or-throw.util.ts` expects it) and
//! an RFC 3339 instant in UTC for a DATE_TIME field.
//!
//! A DATE cell may be ISO (`2025-04-03`, also with `/` or `.`), day or month first with a
//! four-digit year (`03/04/2025`, `3-4-2025`, `03.04.2025`), or with an English month name
//! (`3 April 2025`, `Apr 3, 2025`). Day and month are told apart when one of them is over 12 or
//! both are the same; otherwise the value is refused as ambiguous unless the file says which
//! comes first ([`DateOrder`]), except with dots, which only day-first writing uses. A date not
//! in the calendar (`2025-02-30`) is refused. Two-digit years are refused (which century?).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Whether a file writes dates day first or month first, when it says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateOrder {
    /// Decided per value; `03/04/2025` is refused as ambiguous.
    #[default]
    Auto,
    /// `03/04/2025` is 3 April 2025.
    DayFirst,
    /// `03/04/2025` is 4 March 2025.
    MonthFirst,
}

/// Why a text is not a date (or date-time) we accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    NotADate,
    /// Day and month could be swapped: both readings, as ISO dates, for the message.
    Ambiguous {
        day_first: String,
        month_first: String,
    },
    NotInCalendar,
    TwoDigitYear,
    /// A date-time without `Z` or an offset.
    NoTimeZone,
    /// A DATE_TIME cell holding a date only.
    NoTime,
}

/// English month names, as `chrono` reads them.
const NAMED_MONTH_FORMATS: &[&str] = &[
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%d %b. %Y",
    "%b. %d, %Y",
];

/// A DATE cell as `YYYY-MM-DD`.
pub fn parse_date(text: &str, order: DateOrder) -> Result<String, DateProblem> {
    let text = text.trim();
    if text.chars().any(|c| c.is_ascii_alphabetic()) {
        return NAMED_MONTH_FORMATS
            .iter()
            .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
            .map(iso)
            .ok_or(DateProblem::NotADate);
    }
    let separator = text
        .chars()
        .find(|c| matches!(c, '-' | '/' | '.'))
        .ok_or(DateProblem::NotADate)?;
    let parts: Vec<&str> = text.split(separator).collect();
    let numeric = |part: &&str| {
        !part.is_empty() && part.len() <= 4 && part.chars().all(|c| c.is_ascii_digit())
    };
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(DateProblem::NotADate);
    }
    let number = |part: &str| part.parse::<u32>().map_err(|_| DateProblem::NotADate);
    if parts[0].len() == 4 {
        if parts[1].len() > 2 || parts[2].len() > 2 {
            return Err(DateProblem::NotADate);
        }
        return calendar(
            number(parts[0])? as i32,
            number(parts[1])?,
            number(parts[2])?,
        );
    }
    if parts[2].len() != 4 {
        return Err(if parts[2].len() == 2 {
            DateProblem::TwoDigitYear
        } else {
            DateProblem::NotADate
        });
    }
    if parts[0].len() > 2 || parts[1].len() > 2 {
        return Err(DateProblem::NotADate);
    }
    let (first, second, year) = (
        number(parts[0])?,
        number(parts[1])?,
        number(parts[2])? as i32,
    );
    let day_first = match order {
        DateOrder::DayFirst => true,
        DateOrder::MonthFirst => false,
        DateOrder::Auto if first > 12 || first == second || separator == '.' => true,
        DateOrder::Auto if second > 12 => false,
        DateOrder::Auto => {
            return match (calendar(year, second, first), calendar(year, first, second)) {
                (Ok(day_first), Ok(month_first)) => Err(DateProblem::Ambiguous {
                    day_first,
                    month_first,
                }),
                (Ok(date), Err(_)) | (Err(_), Ok(date)) => Ok(date),
                (Err(problem), Err(_)) => Err(problem),
            };
        }
    };
    if day_first {
        calendar(year, second, first)
    } else {
        calendar(year, first, second)
    }
}

/// A DATE_TIME cell as an RFC 3339 instant in UTC (`2025-04-03T07:30:00Z`, fractions of a second
/// kept when given). The cell must be RFC 3339: a date, `T` (or a space), a time and `Z` or an
/// offset; a time without a zone is refused rather than guessed.
pub fn parse_date_time(text: &str) -> Result<String, DateProblem> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }
    let local_formats = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    if local_formats
        .iter()
        .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok())
    {
        return Err(DateProblem::NoTimeZone);
    }
    match parse_date(text, DateOrder::Auto) {
        Ok(_) | Err(DateProblem::Ambiguous { .. }) => return Err(DateProblem::NoTime),
        Err(DateProblem::NotInCalendar) => return Err(DateProblem::NotInCalendar),
        Err(_) => {}
    }
    // `2025-02-30T10:00:00Z`: say what is wrong with the date part.
    match text.get(..10).map(|date| parse_date(date, DateOrder::Auto)) {
        Some(Err(DateProblem::NotInCalendar)) => Err(DateProblem::NotInCalendar),
        _ => Err(DateProblem::NotADate),
    }
}

fn calendar(year: i32, month: u32, day: u32) -> Result<String, DateProblem> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1..=9999).contains(&year) {
        return Err(DateProblem::NotADate);
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .map(iso)
        .ok_or(DateProblem::NotInCalendar)
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}
