//! Tests for reading numbers (decimal marks, thousands, limits) and dates (orders, calendar).

use super::*;
use crate::domain::fields::dates::{parse_date, parse_date_time, DateProblem};
use crate::domain::fields::numbers::NumberProblem;

fn number(text: &str, separator: DecimalSeparator) -> Result<String, NumberProblem> {
    Decimal::parse(text, separator).map(|d| d.as_str().to_string())
}

#[test]
fn numbers_are_read_with_either_decimal_mark() {
    use DecimalSeparator::{Auto, Comma, Dot};
    let cases = [
        ("1234", Auto, "1234"),
        ("1234.5", Auto, "1234.5"),
        ("1,234.5", Auto, "1234.5"),
        ("1.234,5", Auto, "1234.5"),
        ("1 234,5", Auto, "1234.5"),
        ("1\u{a0}234", Auto, "1234"),
        ("1'234'567.25", Auto, "1234567.25"),
        ("1,5", Auto, "1.5"),
        ("0,123", Auto, "0.123"),
        ("12345,678", Auto, "12345.678"),
        ("1,2345", Auto, "1.2345"),
        (",5", Auto, "0.5"),
        (".5", Auto, "0.5"),
        (" -12.50 ", Auto, "-12.5"),
        ("+3", Auto, "3"),
        ("\u{2212}7", Auto, "-7"),
        ("-0", Auto, "0"),
        ("-0.000", Auto, "0"),
        ("007", Auto, "7"),
        ("1,234,567", Auto, "1234567"),
        ("1.234.567", Auto, "1234567"),
        ("1.234", Auto, "1.234"),
        ("1e6", Auto, "1000000"),
        ("1.5E-3", Auto, "0.0015"),
        ("-2.5e+2", Auto, "-250"),
        ("1,234", Dot, "1234"),
        ("1,234", Comma, "1.234"),
        ("1.234", Comma, "1234"),
        ("1.234,5", Comma, "1234.5"),
        ("1,234.5", Dot, "1234.5"),
    ];
    for (text, separator, expected) in cases {
        assert_eq!(
            number(text, separator).as_deref(),
            Ok(expected),
            "{text} {separator:?}"
        );
    }
}

#[test]
fn numbers_that_are_not_clear_are_refused() {
    use DecimalSeparator::{Auto, Comma, Dot};
    assert_eq!(
        number("1,234", Auto),
        Err(NumberProblem::Ambiguous {
            grouped: "1234".into(),
            decimal: "1.234".into()
        })
    );
    let not_numbers = [
        ("abc", Auto),
        ("", Auto),
        ("-", Auto),
        ("1,23,4", Auto),
        ("1.2.3,4", Auto),
        ("1.", Auto),
        ("NaN", Auto),
        ("inf", Auto),
        ("-Infinity", Auto),
        ("1,5", Dot),
        ("1.5", Comma),
        ("12 34", Auto),
        ("1e", Auto),
        ("e5", Auto),
        ("--1", Auto),
        ("1 234'567", Auto),
        ("0x10", Auto),
        ("1_000", Auto),
        ("1.234,5", Dot),
        ("1,234.5", Comma),
        ("1.234.567", Dot),
        ("1,234,567", Comma),
        ("1.2.3", Dot),
    ];
    for (text, separator) in not_numbers {
        assert_eq!(
            number(text, separator),
            Err(NumberProblem::NotANumber),
            "{text:?} {separator:?}"
        );
    }
    let forty_one = "9".repeat(41);
    for text in ["1e400", "1e-400", "1e99999", forty_one.as_str(), "1e40"] {
        assert_eq!(
            number(text, Auto),
            Err(NumberProblem::TooManyDigits),
            "{text}"
        );
    }
    assert_eq!(number(&"9".repeat(40), Auto).map(|d| d.len()), Ok(40));
}

#[test]
fn amounts_become_micros_rounded_half_away_from_zero() {
    let micros = |text: &str| {
        Decimal::parse(text, DecimalSeparator::Auto)
            .expect(text)
            .to_micros()
    };
    assert_eq!(micros("12.5"), Some(12_500_000));
    assert_eq!(micros("1,234.56"), Some(1_234_560_000));
    assert_eq!(micros("0.0000005"), Some(1));
    assert_eq!(micros("-0.0000005"), Some(-1));
    assert_eq!(micros("0.00000049"), Some(0));
    assert_eq!(micros("9223372036854.775807"), Some(i64::MAX));
    assert_eq!(micros("9223372036855"), None);
}

#[test]
fn numbers_go_out_as_json_numbers_where_exact() {
    let json = |text: &str| {
        Decimal::parse(text, DecimalSeparator::Auto)
            .expect(text)
            .to_json()
    };
    assert_eq!(json("42"), serde_json::json!(42));
    assert_eq!(json("-12.5"), serde_json::json!(-12.5));
    assert_eq!(json("0.1"), serde_json::json!(0.1));
    let long = "123456789012345678901234567890.5";
    assert_eq!(json(long), serde_json::json!(long));
    let double = Decimal::parse("12345678901234567891", DecimalSeparator::Auto)
        .expect("n")
        .rounded_to_double();
    assert_eq!(double.as_str(), "12345678901234567000");
}

#[test]
fn dates_are_read_in_iso_and_either_order() {
    use DateOrder::{Auto, DayFirst, MonthFirst};
    let cases = [
        ("2025-04-03", Auto, "2025-04-03"),
        ("2025/4/3", Auto, "2025-04-03"),
        (" 2025.04.03 ", Auto, "2025-04-03"),
        ("03/04/2025", DayFirst, "2025-04-03"),
        ("03/04/2025", MonthFirst, "2025-03-04"),
        ("13/04/2025", Auto, "2025-04-13"),
        ("04/13/2025", Auto, "2025-04-13"),
        ("4-13-2025", Auto, "2025-04-13"),
        ("03.04.2025", Auto, "2025-04-03"),
        ("05/05/2025", Auto, "2025-05-05"),
        ("29/02/2024", Auto, "2024-02-29"),
        ("3 April 2025", Auto, "2025-04-03"),
        ("Apr 3, 2025", Auto, "2025-04-03"),
        ("03-Apr-2025", Auto, "2025-04-03"),
    ];
    for (text, order, expected) in cases {
        assert_eq!(
            parse_date(text, order).as_deref(),
            Ok(expected),
            "{text} {order:?}"
        );
    }
}

#[test]
fn dates_that_are_not_clear_or_not_in_the_calendar_are_refused() {
    assert_eq!(
        parse_date("03/04/2025", DateOrder::Auto),
        Err(DateProblem::Ambiguous {
            day_first: "2025-04-03".into(),
            month_first: "2025-03-04".into()
        })
    );
    for text in ["2025-02-30", "29/02/2025", "31/04/2025", "2023-02-29"] {
        assert_eq!(
            parse_date(text, DateOrder::Auto),
            Err(DateProblem::NotInCalendar),
            "{text}"
        );
    }
    assert_eq!(
        parse_date("03/04/25", DateOrder::DayFirst),
        Err(DateProblem::TwoDigitYear)
    );
    for text in [
        "hello",
        "2025-13-01",
        "0000-01-01",
        "31/31/2025",
        "2025-04",
        "1/2/3/2025",
        "2025-04-03T10:00",
        "20250403",
        "13/13/2025",
    ] {
        assert_eq!(
            parse_date(text, DateOrder::Auto),
            Err(DateProblem::NotADate),
            "{text}"
        );
    }
    assert_eq!(
        parse_date("13/04/2025", DateOrder::MonthFirst),
        Err(DateProblem::NotADate)
    );
}

#[test]
fn date_times_are_rfc_3339_instants_in_utc() {
    let cases = [
        ("2025-04-03T09:30:00Z", "2025-04-03T09:30:00Z"),
        ("2025-04-03T09:30:00+02:00", "2025-04-03T07:30:00Z"),
        ("2025-04-03 09:30:00-01:00", "2025-04-03T10:30:00Z"),
        ("2025-04-03t09:30:00.250z", "2025-04-03T09:30:00.250Z"),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_date_time(text).as_deref(), Ok(expected), "{text}");
    }
    assert_eq!(
        parse_date_time("2025-04-03T09:30:00"),
        Err(DateProblem::NoTimeZone)
    );
    assert_eq!(
        parse_date_time("2025-04-03 09:30"),
        Err(DateProblem::NoTimeZone)
    );
    assert_eq!(parse_date_time("2025-04-03"), Err(DateProblem::NoTime));
    assert_eq!(parse_date_time("03/04/2025"), Err(DateProblem::NoTime));
    assert_eq!(
        parse_date_time("2025-02-30T00:00:00Z"),
        Err(DateProblem::NotInCalendar)
    );
    assert_eq!(parse_date_time("soon"), Err(DateProblem::NotADate));
}
