//! Property tests: normalising is idempotent, numbers and dates read back what they print, list
//! cells read back their items, and the changed fields are exactly the ones that differ.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::domain::fields::dates::parse_date;
use crate::domain::fields::text::split_list;

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<bool>(), 0u64..=u64::MAX, "[0-9]{0,12}").prop_map(|(negative, integer, fraction)| {
        let sign = if negative { "-" } else { "" };
        let text = if fraction.is_empty() {
            format!("{sign}{integer}")
        } else {
            format!("{sign}{integer}.{fraction}")
        };
        Decimal::parse(&text, DecimalSeparator::Dot).expect("a plain number")
    })
}

proptest! {
    #[test]
    fn folding_and_compacting_are_idempotent(text in "\\PC{0,40}") {
        let folded = fold(&text);
        prop_assert_eq!(fold(&folded), folded.clone());
        let compact = compact_header(&text);
        prop_assert_eq!(compact_header(&compact), compact);
    }

    #[test]
    fn a_read_value_reads_back_as_itself(text in "[-+]?[0-9., ]{1,16}") {
        if let Ok(number) = Decimal::parse(&text, DecimalSeparator::Auto) {
            prop_assert_eq!(Decimal::parse(number.as_str(), DecimalSeparator::Auto), Ok(number.clone()));
            prop_assert_eq!(number.rounded_to_double().rounded_to_double(), number.rounded_to_double());
        }
    }

    #[test]
    fn numbers_read_back_as_they_are_printed(number in decimal(), grouped in any::<bool>()) {
        for separator in [DecimalSeparator::Dot, DecimalSeparator::Comma] {
            let printed = number.format(separator, grouped);
            prop_assert_eq!(Decimal::parse(&printed, separator), Ok(number.clone()), "{}", printed);
        }
        prop_assert_eq!(Decimal::parse(&number.format(DecimalSeparator::Auto, false), DecimalSeparator::Auto), Ok(number.clone()));
    }

    #[test]
    fn dates_read_back_in_every_order(days in 0i64..3_000_000) {
        let date = chrono::NaiveDate::from_ymd_opt(1000, 1, 1).expect("date") + chrono::Duration::days(days);
        let iso = date.format("%Y-%m-%d").to_string();
        prop_assert_eq!(parse_date(&iso, DateOrder::Auto), Ok(iso.clone()));
        prop_assert_eq!(parse_date(&date.format("%d/%m/%Y").to_string(), DateOrder::DayFirst), Ok(iso.clone()));
        prop_assert_eq!(parse_date(&date.format("%m/%d/%Y").to_string(), DateOrder::MonthFirst), Ok(iso.clone()));
        prop_assert_eq!(parse_date(&date.format("%d.%m.%Y").to_string(), DateOrder::Auto), Ok(iso));
    }

    #[test]
    fn quoted_list_items_read_back(items in proptest::collection::vec("[^\\s][^\\x00-\\x1f]{0,10}[^\\s]", 0..8)) {
        let cell = items
            .iter()
            .map(|item| format!("\"{}\"", item.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" , ");
        prop_assert_eq!(split_list(&cell), Ok(items));
    }

    #[test]
    fn changed_fields_are_exactly_those_that_differ(
        before in proptest::collection::btree_map("[a-e]", "[a-c]{0,2}", 0..5),
        after in proptest::collection::btree_map("[a-e]", "[a-c]{0,2}", 0..5),
    ) {
        let record = |fields: &BTreeMap<String, String>| {
            let mut values = FieldValues::new();
            for (name, value) in fields {
                values.set(FieldTarget::new(name.clone(), None), CellValue::Text(value.clone()));
            }
            values
        };
        let (old, new) = (record(&before), record(&after));
        prop_assert!(changed_fields(&old.hashes(), &old.hashes()).is_empty());
        let expected: Vec<String> = after
            .iter()
            .filter(|(name, value)| before.get(*name) != Some(*value))
            .map(|(name, _)| name.clone())
            .collect();
        prop_assert_eq!(changed_fields(&old.hashes(), &new.hashes()), expected.clone());
        let body = new.changed_body(&old.hashes());
        prop_assert_eq!(body.keys().cloned().collect::<Vec<_>>(), expected);
    }
}

/// A value written back as a cell, the way a person (or an export) would write it.
fn as_cell(value: &CellValue) -> String {
    match value {
        CellValue::Text(text) | CellValue::Json(text) => text.clone(),
        CellValue::List(items) => items
            .iter()
            .map(|item| format!("\"{}\"", item.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", "),
        CellValue::Number(number) => number.to_string(),
        CellValue::Boolean(flag) => flag.to_string(),
        CellValue::Micros(micros) => {
            let amount = Decimal::parse(&format!("{micros}e-6"), DecimalSeparator::Dot);
            amount.map(|a| a.to_string()).unwrap_or_default()
        }
        CellValue::FullName { first, last } => format!("{first} {last}"),
    }
}

fn cell_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        "[\\x00-\\x7f]{0,12}",
        "[-+]?[0-9][0-9., ']{0,10}(e[-+]?[0-9]{1,3})?",
        "[a-zA-Z.]{1,8}@[a-zA-Z]{1,8}\\.[a-z]{2,3}",
        "(https?://)?[a-z]{1,8}\\.[a-z]{2,3}(/[a-zA-Z]{0,5})?",
        "[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
        "(agency|FINTECH|in progress|Café|\"A, B\"|yes|no|x|★★|RATING_3|[1-6])(, ?(agency|cafe|Fintech))?",
        "\\+?[0-9 ()-]{2,16}",
        "[{\\[\"a-z0-9:, \\]}]{0,16}",
    ]
}

proptest! {
    /// Any cell, for any target of the workspace: no panic, and a value read once reads back as
    /// itself (normalising is idempotent), with a wire shape.
    #[test]
    fn every_target_reads_any_cell_without_panicking_and_normalises_once(cell in cell_text()) {
        let model = workspace();
        for kind in EntityKind::ALL {
            for field in model.object(kind).iter() {
                let parts: Vec<Option<Part>> = if field.field_type.is_composite() {
                    field.field_type.parts().iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                for part in parts {
                    let Ok(Some(value)) = parse_cell(field, part, "col", &cell, ReadHints::default()) else {
                        continue;
                    };
                    let again = parse_cell(field, part, "col", &as_cell(&value), ReadHints::default());
                    prop_assert_eq!(again, Ok(Some(value.clone())), "{} {:?} {:?}", field.name, part, cell);
                    let mut values = FieldValues::new();
                    values.set(FieldTarget::new(field.name.clone(), part), value);
                    prop_assert_eq!(values.to_wire().len(), 1);
                }
            }
        }
    }
}

proptest! {
    /// Folding as it goes gives exactly the folded text (select options are compared that way).
    #[test]
    fn folding_as_it_goes_is_folding(text in "\\PC{0,24}|[ _\\-aZé\u{301}\u{1}]{0,12}") {
        prop_assert_eq!(crate::domain::fields::text::folded(&text).collect::<String>(), fold(&text));
    }
}
