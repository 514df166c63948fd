//! Numbers as people write them in files (`1234.5`, `1,234.5`, `1.234,5`, `1 234,5`, `1e6`), read
//! into an exact decimal in one canonical spelling, and turned into what Twenty takes: a JSON
//! number, or for a currency amount an integer of micros (amount × 1,000,000).
//!
//! Which mark is the decimal separator:
//! - both `,` and `.` appear: the last one (`1,234.5` and `1.234,5` are both 1234.5);
//! - one mark appears more than once: it groups thousands (`1,234,567`, `1.234.567`);
//! - one `.` once: a decimal point (`1.234` is 1.234), as every program writes numbers;
//! - one `,` once: a decimal comma (`1,5` is 1.5), except when it could as well group thousands —
//!   one to three digits before it (not `0`), exactly three after, nothing else — where `1,234`
//!   is refused as ambiguous unless the file says which mark is decimal ([`DecimalSeparator`]);
//! - spaces (also no-break and thin spaces) and apostrophes always group thousands.
//!
//! Thousands groups must be well formed (`1,23,4` is refused), and at most [`MAX_DIGITS`] digits
//! are kept, so `1e400`, `NaN` and `inf` are refused rather than sent.

use serde::{Deserialize, Serialize};

/// The most digits a number may have (before and after the decimal mark together).
pub const MAX_DIGITS: usize = 40;

/// Which mark a file uses for decimals, when it says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalSeparator {
    /// Decided per value by the rules of this module; `1,234` is refused as ambiguous.
    #[default]
    Auto,
    /// `1,234.5`: `.` is decimal, `,` groups thousands.
    Dot,
    /// `1.234,5`: `,` is decimal, `.` groups thousands.
    Comma,
}

/// An exact decimal number in its canonical spelling: an optional `-`, the integer digits
/// without leading zeros (`0` when there are none), and when there is a fraction, `.` and its
/// digits without trailing zeros (`-12.5`, `0.001`, `1200`). Equal numbers are equal strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal(String);

/// Why a text is not a number we accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    NotANumber,
    /// `1,234` without a hint: both readings, for the message.
    Ambiguous {
        grouped: String,
        decimal: String,
    },
    TooManyDigits,
}

const GROUP_MARKS: &[char] = &[' ', '\u{a0}', '\u{202f}', '\u{2009}', '\'', '\u{2019}'];

impl Decimal {
    /// Reads a number; see the module's rules for `,` and `.`.
    pub fn parse(text: &str, separator: DecimalSeparator) -> Result<Decimal, NumberProblem> {
        let text = text.trim();
        let (negative, body) = match text.chars().next() {
            Some('-') | Some('\u{2212}') => {
                (true, &text[text.chars().next().map_or(0, char::len_utf8)..])
            }
            Some('+') => (false, &text[1..]),
            _ => (false, text),
        };
        if body.contains(['e', 'E']) {
            return scientific(negative, body);
        }
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || GROUP_MARKS.contains(&c))
        {
            return Err(NumberProblem::NotANumber);
        }
        let decimal_mark = decimal_mark(body, separator)?;
        if decimal_mark.is_some_and(|mark| body.matches(mark).count() > 1) {
            return Err(NumberProblem::NotANumber);
        }
        let (integer, fraction) = match decimal_mark {
            Some(mark) => {
                let at = body.rfind(mark).unwrap_or(body.len());
                (&body[..at], &body[at + 1..])
            }
            None => (body, ""),
        };
        if !fraction.chars().all(|c| c.is_ascii_digit())
            || (decimal_mark.is_some() && fraction.is_empty())
        {
            return Err(NumberProblem::NotANumber);
        }
        let integer = ungroup(integer)?;
        if integer.is_empty() && fraction.is_empty() {
            return Err(NumberProblem::NotANumber);
        }
        canonical(negative, &integer, fraction)
    }

    /// The canonical spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64` (always finite: at most [`MAX_DIGITS`] digits).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }

    /// The number as a NUMBER field stores it (a double): rounded to the nearest `f64` and
    /// spelled as that double prints, so sending and reading back give the same value.
    pub fn rounded_to_double(&self) -> Decimal {
        let value = self.to_f64();
        Decimal::parse(&format!("{value}"), DecimalSeparator::Dot).unwrap_or_else(|_| self.clone())
    }

    /// The number in JSON: an integer when it is one and fits 64 bits, else a double when the
    /// double prints back as this number, else the canonical text (Twenty's NUMERIC takes
    /// numbers as strings too: `validate-numeric-field-or-throw.util.ts`).
    pub fn to_json(&self) -> serde_json::Value {
        if let Ok(integer) = self.0.parse::<i64>() {
            return integer.into();
        }
        let double = self.to_f64();
        if self.rounded_to_double() == *self {
            if let Some(number) = serde_json::Number::from_f64(double) {
                return serde_json::Value::Number(number);
            }
        }
        serde_json::Value::String(self.0.clone())
    }

    /// An amount in micros (× 1,000,000, rounded half away from zero, as Twenty's importer
    /// converts currency amounts), or `None` past 64 bits.
    pub fn to_micros(&self) -> Option<i64> {
        let (negative, digits) = match self.0.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, self.0.as_str()),
        };
        let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut micros: String = integer.to_string();
        micros.extend(fraction.chars().chain(std::iter::repeat('0')).take(6));
        let mut value: i128 = micros.parse().ok()?;
        if fraction.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
            value += 1;
        }
        i64::try_from(if negative { -value } else { value }).ok()
    }

    /// The number written with `separator` as the decimal mark, and thousands grouped with the
    /// other mark when `grouped` (`Auto` writes like `Dot`).
    pub fn format(&self, separator: DecimalSeparator, grouped: bool) -> String {
        let (decimal, group) = match separator {
            DecimalSeparator::Comma => (',', '.'),
            _ => ('.', ','),
        };
        let (sign, digits) = match self.0.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", self.0.as_str()),
        };
        let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let mut out = sign.to_string();
        for (i, digit) in integer.chars().enumerate() {
            if grouped && i > 0 && (integer.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(digit);
        }
        if !fraction.is_empty() {
            out.push(decimal);
            out.push_str(fraction);
        }
        out
    }
}

impl TryFrom<String> for Decimal {
    type Error = String;
    fn try_from(text: String) -> Result<Decimal, String> {
        Decimal::parse(&text, DecimalSeparator::Dot)
            .map_err(|_| format!("'{text}' is not a number"))
    }
}

impl From<Decimal> for String {
    fn from(decimal: Decimal) -> String {
        decimal.0
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which mark (if any) is the decimal mark of `body` (digits, `,`, `.` and group marks).
fn decimal_mark(body: &str, separator: DecimalSeparator) -> Result<Option<char>, NumberProblem> {
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    Ok(match (dots, commas, separator) {
        (0, 0, _) => None,
        (_, _, DecimalSeparator::Dot) => (dots > 0).then_some('.'),
        (_, _, DecimalSeparator::Comma) => (commas > 0).then_some(','),
        (d, c, _) if d > 0 && c > 0 => {
            let last = if body.rfind('.') > body.rfind(',') {
                '.'
            } else {
                ','
            };
            Some(last)
        }
        (1, 0, _) => Some('.'),
        (0, 1, _) => {
            let (before, after) = body.split_once(',').unwrap_or((body, ""));
            let could_group = (1..=3).contains(&before.len())
                && before != "0"
                && before.chars().all(|c| c.is_ascii_digit())
                && after.len() == 3
                && after.chars().all(|c| c.is_ascii_digit());
            if could_group {
                return Err(NumberProblem::Ambiguous {
                    grouped: format!("{before}{after}"),
                    decimal: format!("{before}.{after}"),
                });
            }
            Some(',')
        }
        _ => None,
    })
}

/// The digits of an integer part, its thousands marks checked and removed: one kind of mark,
/// a first group of one to three digits, then groups of exactly three.
fn ungroup(integer: &str) -> Result<String, NumberProblem> {
    let mut marks = integer.chars().filter(|c| !c.is_ascii_digit());
    let Some(mark) = marks.next() else {
        return Ok(integer.to_string());
    };
    if marks.any(|other| other != mark) {
        return Err(NumberProblem::NotANumber);
    }
    let groups: Vec<&str> = integer.split(mark).collect();
    let well_formed = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups.iter().skip(1).all(|g| g.len() == 3);
    if !well_formed {
        return Err(NumberProblem::NotANumber);
    }
    Ok(groups.concat())
}

/// `1.5e3`, `-2E-4`: a plain decimal mantissa (dot only) and an integer exponent.
fn scientific(negative: bool, body: &str) -> Result<Decimal, NumberProblem> {
    let (mantissa, exponent) = body
        .split_once(['e', 'E'])
        .ok_or(NumberProblem::NotANumber)?;
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (integer.is_empty() && fraction.is_empty())
        || !digits_only(integer)
        || !digits_only(fraction)
    {
        return Err(NumberProblem::NotANumber);
    }
    let exponent_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exponent_digits.is_empty() || !digits_only(exponent_digits) {
        return Err(NumberProblem::NotANumber);
    }
    // Past the digit limit either way: no need to read a longer exponent.
    let exponent: i64 = if exponent_digits.len() > 4 {
        return Err(NumberProblem::TooManyDigits);
    } else {
        exponent.parse().map_err(|_| NumberProblem::NotANumber)?
    };
    let digits = format!("{integer}{fraction}");
    let point = integer.len() as i64 + exponent;
    if point > (MAX_DIGITS as i64) + 1 || point < -(MAX_DIGITS as i64) - 1 {
        return Err(NumberProblem::TooManyDigits);
    }
    let (integer, fraction) = if point <= 0 {
        (
            String::new(),
            "0".repeat(point.unsigned_abs() as usize) + &digits,
        )
    } else if point as usize >= digits.len() {
        (
            digits.clone() + &"0".repeat(point as usize - digits.len()),
            String::new(),
        )
    } else {
        let (i, f) = digits.split_at(point as usize);
        (i.to_string(), f.to_string())
    };
    canonical(negative, &integer, &fraction)
}

/// The canonical spelling of sign, integer digits and fraction digits.
fn canonical(negative: bool, integer: &str, fraction: &str) -> Result<Decimal, NumberProblem> {
    let integer = integer.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    if integer.len() + fraction.len() > MAX_DIGITS {
        return Err(NumberProblem::TooManyDigits);
    }
    let mut out = String::with_capacity(integer.len() + fraction.len() + 3);
    if negative && !(integer.is_empty() && fraction.is_empty()) {
        out.push('-');
    }
    out.push_str(if integer.is_empty() { "0" } else { integer });
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    Ok(Decimal(out))
}
