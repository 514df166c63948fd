//! Table-driven tests for reading one cell of every field type: valid, invalid, edge and hostile.

use super::*;

/// Reads `cell` for the company field `name` (and `part`, by wire name) of the test workspace.
fn read(name: &str, part: Option<&str>, cell: &str) -> Result<Option<CellValue>, CellError> {
    let model = workspace();
    let field = model
        .field(EntityKind::Company, name)
        .or_else(|| model.field(EntityKind::Person, name))
        .expect("a field")
        .clone();
    let part = part.map(|wire| {
        Part::ALL
            .into_iter()
            .find(|p| p.wire_name() == wire)
            .expect("a part")
    });
    parse_cell(&field, part, "col", cell, ReadHints::default())
}

fn ok(name: &str, part: Option<&str>, cell: &str) -> CellValue {
    match read(name, part, cell) {
        Ok(Some(value)) => value,
        other => panic!("{name} {cell:?}: {other:?}"),
    }
}

fn problem(name: &str, part: Option<&str>, cell: &str) -> String {
    match read(name, part, cell) {
        Err(error) => error.problem,
        other => panic!("{name} {cell:?} should fail: {other:?}"),
    }
}

fn text(value: &str) -> CellValue {
    CellValue::Text(value.into())
}

fn list(values: &[&str]) -> CellValue {
    CellValue::List(values.iter().map(|v| v.to_string()).collect())
}

#[test]
fn empty_cells_send_nothing_whatever_the_type() {
    for (name, part) in [
        ("name", None),
        ("employees", None),
        ("verified", None),
        ("category", None),
        ("tags", None),
        ("founded", None),
        ("extra", None),
        ("address", Some("addressCity")),
        ("keywords", None),
    ] {
        assert_eq!(read(name, part, "  "), Ok(None), "{name}");
    }
}

#[test]
fn text_is_trimmed_and_checked() {
    assert_eq!(ok("name", None, "  Acme  "), text("Acme"));
    assert!(problem("name", None, "Acme\nLtd").contains("control characters"));
    assert_eq!(
        problem("name", None, &"x".repeat(1_001)),
        "is longer than 1,000 characters"
    );
    assert_eq!(ok("address", Some("addressCity"), " Paris "), text("Paris"));
    assert_eq!(
        ok("listingUrl", Some("primaryLinkLabel"), "Our page"),
        text("Our page")
    );
}

#[test]
fn numbers_by_field_type() {
    assert_eq!(
        ok("employees", None, "1,5"),
        CellValue::Number(Decimal::parse("1.5", DecimalSeparator::Dot).expect("n"))
    );
    assert_eq!(
        ok("employees", None, "1 200"),
        CellValue::Number(Decimal::parse("1200", DecimalSeparator::Dot).expect("n"))
    );
    let exact = "123456789012345678901234567890.5";
    assert_eq!(
        ok("revenue", None, exact),
        CellValue::Number(Decimal::parse(exact, DecimalSeparator::Dot).expect("n"))
    );
    assert_eq!(
        problem("employees", None, "abc"),
        "'abc' is not a number; write it like 1234.5, 1,234.5 or 1 234,5"
    );
    assert_eq!(
        problem("employees", None, "1,234"),
        "'1,234' could be 1234 or 1.234; write 1234 or 1.234, or say which decimal separator the file uses"
    );
    for hostile in ["NaN", "inf", "1e400", "-1e400"] {
        assert!(read("employees", None, hostile).is_err(), "{hostile}");
    }
    let model = workspace();
    let employees = model
        .field(EntityKind::Company, "employees")
        .expect("field");
    let comma = ReadHints {
        decimal: DecimalSeparator::Comma,
        ..ReadHints::default()
    };
    assert_eq!(
        parse_cell(employees, None, "col", "1.234", comma),
        Ok(Some(CellValue::Number(
            Decimal::parse("1234", DecimalSeparator::Dot).expect("n")
        )))
    );
}

#[test]
fn currency_amounts_and_codes() {
    let arr = "annualRecurringRevenue";
    assert_eq!(
        ok(arr, Some("amountMicros"), "1,234.56"),
        CellValue::Micros(1_234_560_000)
    );
    assert_eq!(
        ok(arr, Some("amountMicros"), "-0,5"),
        CellValue::Micros(-500_000)
    );
    assert!(problem(arr, Some("amountMicros"), "12.5 EUR").contains("is not a number"));
    assert!(
        problem(arr, Some("amountMicros"), "99999999999999999").contains("too large for an amount")
    );
    assert_eq!(ok(arr, Some("currencyCode"), "eur"), text("EUR"));
    assert!(problem(arr, Some("currencyCode"), "euro").contains("three letters"));
}

#[test]
fn booleans_in_every_usual_spelling() {
    for (cell, expected) in [
        ("yes", true),
        ("No", false),
        ("TRUE", true),
        ("false", false),
        ("1", true),
        ("0", false),
        ("x", true),
        ("X", true),
        ("✓", true),
        ("on", true),
        ("Off", false),
        ("y", true),
        ("N", false),
    ] {
        assert_eq!(
            ok("verified", None, cell),
            CellValue::Boolean(expected),
            "{cell}"
        );
    }
    assert_eq!(
        problem("verified", None, "maybe"),
        "'maybe' is not yes or no; write yes, no, true, false, 1, 0 or x"
    );
}

#[test]
fn dates_and_date_times_with_their_messages() {
    assert_eq!(ok("founded", None, "13/04/2025"), text("2025-04-13"));
    assert_eq!(
        problem("founded", None, "03/04/2025"),
        "'03/04/2025' could be 2025-04-03 or 2025-03-04; write it as year-month-day, or say whether the file's dates are day-first or month-first"
    );
    assert_eq!(
        problem("founded", None, "2025-02-30"),
        "'2025-02-30' is not a day of the calendar"
    );
    let model = workspace();
    let founded = model.field(EntityKind::Company, "founded").expect("field");
    let month_first = ReadHints {
        dates: DateOrder::MonthFirst,
        ..ReadHints::default()
    };
    assert_eq!(
        parse_cell(founded, None, "col", "03/04/2025", month_first),
        Ok(Some(text("2025-03-04")))
    );
    assert_eq!(
        ok("lastContact", None, "2025-04-03T09:30:00+02:00"),
        text("2025-04-03T07:30:00Z")
    );
    assert!(problem("lastContact", None, "2025-04-03T09:30:00").contains("has no time zone"));
}

#[test]
fn select_values_match_an_options_value_or_label_ignoring_case_and_accents() {
    for (cell, expected) in [
        ("agency", "AGENCY"),
        ("AGENCY", "AGENCY"),
        ("Fintech", "FINTECH"),
        ("in progress", "IN_PROGRESS"),
        ("In-Progress", "IN_PROGRESS"),
        ("in_progress", "IN_PROGRESS"),
        ("cafe", "CAFE"),
        ("CAFÉ", "CAFE"),
        ("Café", "CAFE"),
    ] {
        assert_eq!(ok("category", None, cell), text(expected), "{cell}");
    }
    let error = read("category", None, "Fintek").expect_err("not an option");
    assert_eq!(error.to_string(), "column 'col': 'Fintek' is not an option of Category; use one of Agency, Fintech, In progress, Café, A, B");
    assert_eq!(error.value, "Fintek");
    assert_eq!(
        error.allowed,
        ["Agency", "Fintech", "In progress", "Café", "A, B"]
    );
    let twins = with_options(
        custom(EntityKind::Company, "twin", "Twin", FieldType::Select),
        &[("X1", "Same"), ("X2", "Same")],
    );
    let error =
        parse_cell(&twins, None, "col", "same", ReadHints::default()).expect_err("two options");
    assert!(
        error
            .problem
            .contains("matches several options of Twin (Same, Same)"),
        "{}",
        error.problem
    );
    let empty = custom(EntityKind::Company, "bare", "Bare", FieldType::Select);
    let error = parse_cell(&empty, None, "col", "a", ReadHints::default()).expect_err("no options");
    assert_eq!(
        error.problem,
        "Bare has no options in Twenty yet; add 'a' there first"
    );
}

#[test]
fn multi_selects_and_arrays_split_on_commas_outside_quotes() {
    assert_eq!(
        ok("tags", None, "Fintech, agency"),
        list(&["AGENCY", "FINTECH"])
    );
    assert_eq!(
        ok("tags", None, "\"A, B\", Agency, agency"),
        list(&["AGENCY", "A_B"])
    );
    assert_eq!(ok("tags", None, ",, Fintech ,"), list(&["FINTECH"]));
    assert!(problem("tags", None, "Agency, Nope").contains("'Nope' is not an option of Tags"));
    assert_eq!(
        problem("tags", None, "\"Agency, Fintech"),
        "'\"Agency, Fintech' opens a quote it does not close"
    );
    assert!(problem("tags", None, "\"Agency\" x, Fintech").contains("text after a closing quote"));
    assert_eq!(
        ok(
            "keywords",
            None,
            "red, \"green, light\", red, \"say \"\"hi\"\"\""
        ),
        list(&["red", "green, light", "red", "say \"hi\""])
    );
    let many = vec!["Agency"; 10_000].join(",");
    assert_eq!(
        problem("tags", None, &many),
        "the list holds 10,000 values; at most 1,000 are accepted"
    );
    assert!(problem("keywords", None, "a\u{7}b").contains("control characters"));
}

#[test]
fn ratings_by_value_position_or_stars() {
    for (cell, expected) in [
        ("3", "RATING_3"),
        ("RATING_5", "RATING_5"),
        ("rating_4", "RATING_4"),
        ("★★", "RATING_2"),
        (" 1 ", "RATING_1"),
    ] {
        assert_eq!(ok("stars", None, cell), text(expected), "{cell}");
    }
    for cell in ["0", "6", "x", "3.5", "★★★★★★"] {
        let error = read("stars", None, cell).expect_err(cell);
        assert_eq!(error.allowed, ["1", "2", "3", "4", "5"], "{cell}");
    }
}

#[test]
fn emails_links_and_phones_are_normalised() {
    assert_eq!(
        ok("emails", Some("primaryEmail"), " Ada@Example.COM "),
        text("ada@example.com")
    );
    assert!(problem("emails", Some("primaryEmail"), "nope").contains("is not an email address"));
    assert_eq!(
        ok(
            "emails",
            Some("additionalEmails"),
            "a@x.com, B@y.org, A@x.com"
        ),
        list(&["a@x.com", "b@y.org"])
    );
    assert!(problem("emails", Some("additionalEmails"), "a@x.com, bad")
        .contains("'bad' is not an email address"));
    assert_eq!(
        ok(
            "linkedinLink",
            Some("primaryLinkUrl"),
            "linkedin.com/company/Acme/"
        ),
        text("https://linkedin.com/company/Acme")
    );
    assert!(
        problem("linkedinLink", Some("primaryLinkUrl"), "ftp://acme.com")
            .contains("only http and https")
    );
    assert_eq!(
        ok("domainName", Some("secondaryLinks"), "a.com, https://B.org"),
        list(&["https://a.com", "https://b.org"])
    );
    assert_eq!(
        ok("phones", Some("primaryPhoneNumber"), "+33 6 12-34.56 78"),
        text("+33612345678")
    );
    assert_eq!(
        ok("phones", Some("primaryPhoneNumber"), "(555) 123-4567"),
        text("5551234567")
    );
    for bad in ["abc", "12", "+", "1".repeat(21).as_str(), "06 12 34 ext 5"] {
        assert!(
            problem("phones", Some("primaryPhoneNumber"), bad).contains("is not a phone number"),
            "{bad}"
        );
    }
    assert_eq!(
        ok("phones", Some("primaryPhoneCountryCode"), "fr"),
        text("FR")
    );
    assert!(problem("phones", Some("primaryPhoneCountryCode"), "FRA").contains("two letters"));
    assert_eq!(
        ok("phones", Some("primaryPhoneCallingCode"), "33"),
        text("+33")
    );
    assert!(problem("phones", Some("primaryPhoneCallingCode"), "+33333").contains("calling code"));
    assert_eq!(
        ok(
            "phones",
            Some("additionalPhones"),
            "+44 20 7946 0000, 0612345678"
        ),
        list(&["+442079460000", "0612345678"])
    );
}

#[test]
fn whole_names_split_at_the_first_space() {
    assert_eq!(
        ok("name", None, "Ada King Lovelace"),
        CellValue::Text("Ada King Lovelace".into())
    );
    let model = workspace();
    let name = model
        .field(EntityKind::Person, "name")
        .expect("person name");
    let read = |cell: &str| parse_cell(name, None, "col", cell, ReadHints::default());
    assert_eq!(
        read("Ada King  Lovelace"),
        Ok(Some(CellValue::FullName {
            first: "Ada".into(),
            last: "King  Lovelace".into()
        }))
    );
    assert_eq!(
        read("Plato"),
        Ok(Some(CellValue::FullName {
            first: "Plato".into(),
            last: String::new()
        }))
    );
    assert_eq!(
        parse_cell(
            name,
            Some(Part::FirstName),
            "col",
            " Ada ",
            ReadHints::default()
        ),
        Ok(Some(text("Ada")))
    );
}

#[test]
fn raw_json_is_checked_and_kept_canonical() {
    assert_eq!(
        ok("extra", None, "{ \"b\": 1, \"a\": [true, null] }"),
        CellValue::Json("{\"a\":[true,null],\"b\":1}".into())
    );
    assert_eq!(
        ok("extra", None, "\"just text\""),
        CellValue::Json("\"just text\"".into())
    );
    assert!(problem("extra", None, "{").contains("is not valid JSON"));
    assert!(read("extra", None, &"[".repeat(500)).is_err(), "too deep");
    assert_eq!(
        ok("extra", None, "{\"a\":\n1}"),
        CellValue::Json("{\"a\":1}".into())
    );
    // Floats keep every digit, so a value read twice reads the same (found by the property test).
    assert_eq!(ok("extra", None, "1e-81"), CellValue::Json("1e-81".into()));
    assert_eq!(
        ok("extra", None, "[0.1, 1.0000000000000001e-81]"),
        CellValue::Json("[0.1,1.0000000000000001e-81]".into())
    );
}

#[test]
fn hostile_and_mismatched_cells_are_refused_without_panicking() {
    let huge = "a".repeat(200_000);
    assert_eq!(
        problem("name", None, &huge),
        "the value is longer than 100,000 characters"
    );
    assert_eq!(
        problem("tags", None, &huge),
        "the value is longer than 100,000 characters"
    );
    assert!(
        problem("people", None, "x").contains("RELATION field, which twenty-sync does not fill")
    );
    assert!(problem("name", Some("addressCity"), "x").contains("has no part addressCity"));
    assert!(problem("address", None, "x")
        .contains("is filled part by part; map the column to one of its parts (addressStreet1"));
    assert!(problem("address", Some("primaryEmail"), "x").contains("has no part primaryEmail"));
    assert!(problem("category", None, "\u{0}").contains("is not an option"));
    let model = workspace();
    let name = model.field(EntityKind::Company, "name").expect("name");
    let error = parse_items(name, None, "col", &["a".into()]).expect_err("not a list");
    assert_eq!(error.problem, "Name holds one value, not a list");
}

#[test]
fn json_arrays_give_list_items_directly() {
    let model = workspace();
    let tags = model.field(EntityKind::Company, "tags").expect("tags");
    let items = vec!["A, B".to_string(), "fintech".to_string(), " ".to_string()];
    assert_eq!(
        parse_items(tags, None, "col", &items),
        Ok(Some(list(&["FINTECH", "A_B"])))
    );
    assert_eq!(parse_items(tags, None, "col", &[]), Ok(None));
}
