//! Tests for a file's mapping: the split between fixed fields and values, rows read into drafts
//! (cell errors, JSON lists and objects), the warnings, and one run's `--map`.

use super::*;
use crate::domain::fields::{CellValue, FieldType};

fn custom(kind: EntityKind, name: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef::custom(kind, name, label, field_type)
}

fn options(field: FieldDef, values: &[(&str, &str)]) -> FieldDef {
    field.with_options(values)
}

/// The standard model with a directory's custom company fields.
fn directory() -> ImportFields {
    use EntityKind::{Company as C, Person as P};
    let standard = DataModel::standard();
    let mut companies: Vec<FieldDef> = standard.object(C).iter().cloned().collect();
    companies.extend([
        options(
            custom(C, "category", "Category", FieldType::Select),
            &[("AGENCY", "Agency"), ("FINTECH", "Fintech")],
        ),
        options(
            custom(C, "tags", "Tags", FieldType::MultiSelect),
            &[("B2B", "B2B"), ("SAAS", "SaaS"), ("LOCAL", "Local")],
        ),
        custom(C, "listingUrl", "Listing URL", FieldType::Links),
        custom(C, "extra", "Extra", FieldType::RawJson),
    ]);
    let people: Vec<FieldDef> = standard.object(P).iter().cloned().collect();
    ImportFields {
        model: DataModel::new(companies, people),
        overrides: MappingOverrides::default(),
    }
}

fn mapping(fields: ImportFields, kind: Option<EntityKind>, headers: &[&str]) -> FileMapping {
    FileMapping::new(
        Arc::new(fields),
        kind,
        &Headers::of(headers.iter().copied()),
    )
}

fn text(cells: &[&str]) -> Vec<(usize, Cell)> {
    cells
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(c, t)| (c, Cell::Text(t.to_string())))
        .collect()
}

fn target(text: &str) -> FieldTarget {
    FieldTarget::try_from(text.to_string()).expect("a target")
}

#[test]
fn the_fixed_fields_are_the_targets_record_values_fills() {
    use EntityKind::{Company, Person};
    let cases = [
        (Company, "name", Some(Fixed::Name)),
        (Company, "domainName.primaryLinkUrl", Some(Fixed::Website)),
        (Company, "domainName.primaryLinkLabel", None),
        (Company, "address.addressCity", None),
        (Company, "employees", None),
        (Person, "name", Some(Fixed::Name)),
        (Person, "name.firstName", Some(Fixed::FirstName)),
        (Person, "name.lastName", Some(Fixed::LastName)),
        (Person, "emails.primaryEmail", Some(Fixed::Email)),
        (Person, "emails.additionalEmails", None),
        (Person, "phones.primaryPhoneNumber", Some(Fixed::Phone)),
        (Person, "phones.primaryPhoneCountryCode", None),
        (Person, "jobTitle", Some(Fixed::JobTitle)),
        (Person, "city", Some(Fixed::City)),
        (Person, "linkedinLink.primaryLinkUrl", None),
        (Person, "domainName.primaryLinkUrl", None),
        (Company, "jobTitle", None),
    ];
    for (kind, given, expected) in cases {
        assert_eq!(
            fixed_field(kind, &target(given)),
            expected,
            "{kind} {given}"
        );
    }
}

#[test]
fn a_row_fills_the_fixed_fields_as_text_and_every_other_field_as_a_value() {
    let headers = [
        "id",
        "Name",
        "Website",
        "Address City",
        "linkedinLink",
        "Category",
        "Tags",
        "Employees",
        "Listing URL",
        "Notes",
    ];
    let file = mapping(directory(), Some(EntityKind::Company), &headers);
    let cells = text(&[
        "c1",
        "Acme",
        "acme.example",
        "Lyon",
        "https://linkedin.com/company/acme",
        "fintech",
        "saas, B2B",
        "1200",
        "https://dir.example/acme",
        "call back",
    ]);
    let row = file.draft(EntityKind::Company, &cells);
    assert_eq!(row.errors, vec![]);
    assert_eq!(row.draft.external_id.as_deref(), Some("c1"));
    assert_eq!(row.draft.fields.name.as_deref(), Some("Acme"));
    // The fixed field keeps the text as given: `push`'s validation normalises it.
    assert_eq!(row.draft.fields.website.as_deref(), Some("acme.example"));
    let values = &row.draft.values;
    let value = |t: &str| values.get(&target(t)).cloned();
    assert_eq!(
        value("address.addressCity"),
        Some(CellValue::Text("Lyon".into()))
    );
    assert_eq!(value("category"), Some(CellValue::Text("FINTECH".into())));
    assert_eq!(
        value("tags"),
        Some(CellValue::List(vec!["B2B".into(), "SAAS".into()]))
    );
    assert!(value("employees").is_some());
    assert!(value("listingUrl.primaryLinkUrl").is_some());
    assert!(value("linkedinLink.primaryLinkUrl").is_some());
    assert_eq!(values.len(), 6);
    assert_eq!(
        file.warnings(),
        vec!["column 'Notes' matches no field and is ignored; map it to a field to send it"]
    );
}

#[test]
fn cells_that_do_not_fit_their_field_are_errors_naming_the_options() {
    let file = mapping(
        directory(),
        Some(EntityKind::Company),
        &["id", "name", "category", "employees"],
    );
    let row = file.draft(
        EntityKind::Company,
        &text(&["c1", "Acme", "Fintek", "many"]),
    );
    assert_eq!(row.errors.len(), 2, "{:?}", row.errors);
    assert_eq!(row.errors[0].column, "category");
    assert_eq!(row.errors[0].value, "Fintek");
    assert!(
        row.errors[0].problem.contains("Agency") && row.errors[0].problem.contains("Fintech"),
        "{}",
        row.errors[0].problem
    );
    assert_eq!(row.errors[1].column, "employees");
}

#[test]
fn people_keep_their_fixed_fields_and_send_the_rest_as_values() {
    let file = mapping(
        ImportFields::default(),
        Some(EntityKind::Person),
        &[
            "id",
            "First Name",
            "Last Name",
            "E-mail",
            "Emails Additional",
            "Title",
            "City",
            "company",
            "Phone",
        ],
    );
    let cells = text(&[
        "p1",
        "Ada",
        "Lovelace",
        "ADA@example.com",
        "a@example.org, b@example.org",
        "Countess",
        "London",
        "Acme",
        "+44 20 7946 0000",
    ]);
    let row = file.draft(EntityKind::Person, &cells);
    assert_eq!(row.errors, vec![]);
    let fields = &row.draft.fields;
    assert_eq!(fields.first_name.as_deref(), Some("Ada"));
    assert_eq!(fields.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(fields.email.as_deref(), Some("ADA@example.com"));
    assert_eq!(fields.job_title.as_deref(), Some("Countess"));
    assert_eq!(fields.city.as_deref(), Some("London"));
    assert_eq!(fields.company_name.as_deref(), Some("Acme"));
    assert_eq!(fields.phone.as_deref(), Some("+44 20 7946 0000"));
    assert_eq!(
        row.draft.values.get(&target("emails.additionalEmails")),
        Some(&CellValue::List(vec![
            "a@example.org".into(),
            "b@example.org".into()
        ]))
    );
    assert_eq!(row.draft.values.len(), 1);
    assert_eq!(file.warnings(), Vec::<String>::new());
}

#[test]
fn json_lists_and_objects_fill_list_and_composite_fields() {
    let file = mapping(
        directory(),
        Some(EntityKind::Company),
        &["id", "name", "tags", "address", "extra", "domainName"],
    );
    let cells = vec![
        (0, Cell::Text("c1".into())),
        (1, Cell::Text("Acme".into())),
        (2, Cell::Json(serde_json::json!(["local", "B2B"]))),
        (
            3,
            Cell::Json(serde_json::json!({"addressCity": "Lyon", "postcode": "69001"})),
        ),
        (4, Cell::Json(serde_json::json!({"b": 1, "a": [true]}))),
        (
            5,
            Cell::Json(
                serde_json::json!({"primaryLinkUrl": "acme.example", "primaryLinkLabel": "Home"}),
            ),
        ),
    ];
    let row = file.draft(EntityKind::Company, &cells);
    assert_eq!(row.errors, vec![]);
    let values = &row.draft.values;
    assert_eq!(
        values.get(&target("tags")),
        Some(&CellValue::List(vec!["B2B".into(), "LOCAL".into()]))
    );
    assert_eq!(
        values.get(&target("address.addressCity")),
        Some(&CellValue::Text("Lyon".into()))
    );
    assert_eq!(
        values.get(&target("address.addressPostcode")),
        Some(&CellValue::Text("69001".into()))
    );
    assert_eq!(
        values.get(&target("extra")),
        Some(&CellValue::Json("{\"a\":[true],\"b\":1}".into()))
    );
    // The primary link of the domain is the fixed website; its label a value.
    assert_eq!(row.draft.fields.website.as_deref(), Some("acme.example"));
    assert_eq!(
        values.get(&target("domainName.primaryLinkLabel")),
        Some(&CellValue::Text("Home".into()))
    );

    let bad = vec![
        (0, Cell::Json(serde_json::json!(["c1"]))),
        (3, Cell::Json(serde_json::json!({"planet": "Mars"}))),
        (1, Cell::Json(serde_json::json!(["Acme"]))),
    ];
    let row = file.draft(EntityKind::Company, &bad);
    assert_eq!(row.errors.len(), 3, "{:?}", row.errors);
    assert!(row.errors[0].problem.contains("a list"));
    assert!(row.errors[1].problem.contains("not a part of Address"));
}

#[test]
fn a_typed_file_reports_a_column_only_when_no_kind_uses_it() {
    let file = mapping(
        ImportFields::default(),
        None,
        &["type", "id", "name", "email", "website", "shoe size"],
    );
    assert!(file.typed());
    assert_eq!(
        file.warnings(),
        vec!["column 'shoe size' matches no field and is ignored; map it to a field to send it"]
    );
    let person = file.draft(
        EntityKind::Person,
        &text(&["person", "p1", "Ada", "ada@example.com", "", ""]),
    );
    assert_eq!(person.kind_cell.as_deref(), Some("person"));
    assert_eq!(
        person.draft.fields.email.as_deref(),
        Some("ada@example.com")
    );
}

#[test]
fn one_runs_map_overrides_a_header_and_refuses_what_names_no_field() {
    let fields = directory()
        .with_one_run_map(&[
            "Fiche=listingUrl".to_string(),
            "Town = address.city".to_string(),
        ])
        .expect("parses");
    let file = mapping(
        fields,
        Some(EntityKind::Company),
        &["id", "name", "Fiche", "Town"],
    );
    let row = file.draft(
        EntityKind::Company,
        &text(&["c1", "Acme", "https://dir.example/acme", "Lyon"]),
    );
    assert_eq!(row.errors, vec![]);
    assert!(row
        .draft
        .values
        .get(&target("listingUrl.primaryLinkUrl"))
        .is_some());
    assert_eq!(
        row.draft.values.get(&target("address.addressCity")),
        Some(&CellValue::Text("Lyon".into()))
    );
    assert!(file.warnings().is_empty(), "{:?}", file.warnings());

    let error = directory()
        .with_one_run_map(&["Fiche=nowhere".to_string()])
        .expect_err("no such field");
    assert!(
        error.to_string().starts_with("--map Fiche=nowhere: "),
        "{error}"
    );
    assert!(matches!(
        directory().with_one_run_map(&["Fiche".to_string()]),
        Err(MapError::Malformed { .. })
    ));
}

#[test]
fn json_keys_met_later_are_mapped_when_they_appear() {
    let mut headers = Headers::default();
    headers.key("id");
    let mut file = FileMapping::new(Arc::new(directory()), Some(EntityKind::Company), &headers);
    assert!(!file.has_fixed(Fixed::Name));
    headers.key("name");
    file.sync(&headers);
    assert!(file.has_fixed(Fixed::Name));
    // A file of ever-new keys stops growing its columns.
    for n in 0..crate::import::parse::MAX_JSON_KEYS + 5 {
        headers.key(&format!("key {n}"));
    }
    assert_eq!(headers.len(), crate::import::parse::MAX_JSON_KEYS);
    assert_eq!(headers.ignored_keys, 7);
}

#[test]
fn a_choice_read_again_gives_the_same_value_or_error_and_each_kind_reads_its_own_options() {
    use EntityKind::{Company as C, Person as P};
    let standard = DataModel::standard();
    let mut companies: Vec<FieldDef> = standard.object(C).iter().cloned().collect();
    companies.push(options(
        custom(C, "category", "Category", FieldType::Select),
        &[("AGENCY", "Agency")],
    ));
    let mut people: Vec<FieldDef> = standard.object(P).iter().cloned().collect();
    people.push(options(
        custom(P, "category", "Category", FieldType::Select),
        &[("SPEAKER", "Agency speaker")],
    ));
    let fields = ImportFields {
        model: DataModel::new(companies, people),
        overrides: MappingOverrides::default(),
    };
    let file = mapping(fields, None, &["type", "id", "name", "category"]);
    for _ in 0..3 {
        let company = file.draft(C, &text(&["company", "c1", "Acme", "agency"]));
        assert_eq!(company.errors, vec![]);
        assert_eq!(
            company.draft.values.get(&target("category")),
            Some(&CellValue::Text("AGENCY".into()))
        );
        let person = file.draft(P, &text(&["person", "p1", "Ada", "agency"]));
        assert_eq!(person.errors.len(), 1, "{:?}", person.errors);
        assert!(person.errors[0].problem.contains("Agency speaker"));
        let person = file.draft(P, &text(&["person", "p1", "Ada", "Agency speaker"]));
        assert_eq!(
            person.draft.values.get(&target("category")),
            Some(&CellValue::Text("SPEAKER".into()))
        );
    }
}
