//! The mapping table of a file's beginning, against a workspace with custom fields, and a
//! column's choice kept as an override on a real store.

use super::*;
use crate::app::ops::MappingSet;
use crate::clock::ManualClock;
use crate::config::Settings;
use crate::domain::fields::{DataModel, FieldDef, MappingOverrides};
use crate::store::Store;

fn custom(name: &str, label: &str, field_type: FieldType, options: &[&str]) -> FieldDef {
    let options: Vec<(String, &str)> = options.iter().map(|l| (l.to_uppercase(), *l)).collect();
    let options: Vec<(&str, &str)> = options.iter().map(|(v, l)| (v.as_str(), *l)).collect();
    FieldDef::custom(EntityKind::Company, name, label, field_type).with_options(&options)
}

/// Twenty's standard fields with the directory's category, tags and listing URL.
fn in_force() -> FieldsInForce {
    let standard = DataModel::standard();
    let mut companies: Vec<FieldDef> = standard
        .object(EntityKind::Company)
        .iter()
        .cloned()
        .collect();
    companies.extend([
        custom(
            "category",
            "Category",
            FieldType::Select,
            &["Agency", "Fintech", "Retail"],
        ),
        custom(
            "tags",
            "Tags",
            FieldType::MultiSelect,
            &["Agency", "Fintech", "Retail"],
        ),
        custom("listingUrl", "Listing URL", FieldType::Links, &[]),
    ]);
    let people: Vec<FieldDef> = standard
        .object(EntityKind::Person)
        .iter()
        .cloned()
        .collect();
    FieldsInForce {
        model: DataModel::new(companies, people),
        overrides: MappingOverrides::default(),
        read_from: Some("https://crm.example.com".to_string()),
    }
}

fn request(file_name: &str, text: &str) -> ImportPreview {
    ImportPreview {
        file_name: file_name.to_string(),
        text: text.to_string(),
        complete: true,
        ..ImportPreview::default()
    }
}

fn column<'a>(reply: &'a PreviewReply, header: &str) -> (usize, &'a PreviewColumn) {
    reply
        .columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.header == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", reply.columns))
}

const CSV: &str = "Name;ID;Town;LinkedIn;Employees;Category;Tags;Listing URL;Notes\n\
    Acme;c-1;Lyon;linkedin.com/company/acme;12;Agency;\"Agency, Retail\";https://dir.example/acme;hi\n\
    Bolt;c-2;Paris;linkedin.com/company/bolt;many;Fintek;Retail;https://dir.example/bolt;\n";

#[test]
fn a_csv_is_mapped_and_each_value_checked() {
    let reply = preview(&request("companies.csv", CSV), &in_force()).unwrap();
    assert_eq!(reply.format, "csv (;)");
    assert_eq!(reply.kind, "company");
    assert_eq!(reply.kinds, ["company"]);
    assert!(reply.kind_note.contains("file name"), "{}", reply.kind_note);
    let target = |h: &str| column(&reply, h).1.target.clone();
    assert_eq!(target("Name").as_deref(), Some("name"));
    assert_eq!(target("ID").as_deref(), Some("external_id"));
    assert_eq!(target("Category").as_deref(), Some("category"));
    assert_eq!(target("Tags").as_deref(), Some("tags"));
    assert_eq!(
        target("Listing URL").as_deref(),
        Some("listingUrl.primaryLinkUrl")
    );
    assert_eq!(
        target("LinkedIn").as_deref(),
        Some("linkedinLink.primaryLinkUrl")
    );
    assert_eq!(target("Employees").as_deref(), Some("employees"));
    // An unknown column: not imported, and said so.
    assert_eq!(target("Notes"), None);
    assert!(
        reply
            .findings
            .iter()
            .any(|f| f.contains("'Notes' matches no field")),
        "{:?}",
        reply.findings
    );
    assert_eq!(reply.rows.len(), 2);
    assert_eq!(reply.rows_read, 2);
    let (category, _) = column(&reply, "Category");
    assert!(reply.rows[0].cells[category].valid);
    let wrong = &reply.rows[1].cells[category];
    assert!(!wrong.valid);
    assert_eq!(wrong.value, "Fintek");
    assert!(
        wrong.problem.as_deref().unwrap().contains("Fintek"),
        "{wrong:?}"
    );
    assert_eq!(wrong.allowed, ["Agency", "Fintech", "Retail"]);
    let (employees, _) = column(&reply, "Employees");
    assert!(reply.rows[0].cells[employees].valid);
    assert!(!reply.rows[1].cells[employees].valid);
    let (tags, _) = column(&reply, "Tags");
    assert_eq!(reply.rows[0].cells[tags].value, "Agency, Retail");
    assert!(reply.rows[0].cells[tags].valid);
    // The choices offered: don't import, the record columns, every field and part.
    let values: Vec<&str> = reply.targets.iter().map(|t| t.value.as_str()).collect();
    assert_eq!(values[0], "ignore");
    for expected in [
        "external_id",
        "category",
        "address.addressCity",
        "listingUrl.primaryLinkUrl",
    ] {
        assert!(values.contains(&expected), "{expected} not in {values:?}");
    }
    let city = reply
        .targets
        .iter()
        .find(|t| t.value == "address.addressCity")
        .unwrap();
    assert_eq!(city.field_type, "ADDRESS");
    assert!(city.label.starts_with("Address › "), "{}", city.label);
}

#[test]
fn a_composite_part_chosen_on_the_screen_is_used_and_a_wrong_choice_named() {
    let mut asked = request("companies.csv", CSV);
    asked.overrides = vec![
        ColumnChoice {
            column: "Town".into(),
            target: "address.city".into(),
        },
        ColumnChoice {
            column: "Notes".into(),
            target: "nosuchfield".into(),
        },
        ColumnChoice {
            column: "Employees".into(),
            target: "category".into(),
        },
    ];
    let reply = preview(&asked, &in_force()).unwrap();
    let (town, town_column) = column(&reply, "Town");
    assert_eq!(town_column.target.as_deref(), Some("address.addressCity"));
    assert_eq!(town_column.matched_by, Some(MatchedBy::Override));
    assert!(reply.rows[0].cells[town].valid);
    let (_, notes) = column(&reply, "Notes");
    assert_eq!(notes.target, None);
    assert!(
        notes.error.as_deref().unwrap().contains("nosuchfield"),
        "{notes:?}"
    );
    // Employees as a category: 12 is not an option.
    let (employees, _) = column(&reply, "Employees");
    assert!(!reply.rows[0].cells[employees].valid);
}

#[test]
fn stored_overrides_apply_and_are_shown_as_saved() {
    let mut fields = in_force();
    fields.overrides.set(
        EntityKind::Company,
        "town",
        OverrideTarget::from_stored("address.addressCity").unwrap(),
    );
    let reply = preview(&request("companies.csv", CSV), &fields).unwrap();
    let (_, town) = column(&reply, "Town");
    assert_eq!(town.target.as_deref(), Some("address.addressCity"));
    assert_eq!(town.saved.as_deref(), Some("address.addressCity"));
}

#[test]
fn json_arrays_and_ndjson_give_their_keys_in_order_and_lists_directly() {
    let json = r#"[{"id": "c-1", "name": "Acme", "tags": ["Agency", "Retail"], "employees": 12},
                   {"id": "c-2", "name": "Bolt", "tags": ["Nope"], "employees": null},
                   {"id": "c-3", "name": "Ha"#;
    let mut asked = request("companies.json", json);
    asked.complete = false;
    let reply = preview(&asked, &in_force()).unwrap();
    assert_eq!(reply.format, "json");
    let headers: Vec<&str> = reply.columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(headers, ["id", "name", "tags", "employees"]);
    assert_eq!(reply.rows.len(), 2, "the half-written object is dropped");
    assert!(reply.partial);
    let (tags, _) = column(&reply, "tags");
    assert_eq!(reply.rows[0].cells[tags].value, "Agency, Retail");
    assert!(reply.rows[0].cells[tags].valid);
    assert!(!reply.rows[1].cells[tags].valid);

    let ndjson = "{\"type\": \"person\", \"id\": \"p-1\", \"first name\": \"Ada\"}\n\
                  {\"type\": \"company\", \"id\": \"c-1\", \"name\": \"Acme\"}\n\
                  {\"type\": \"robot\", \"id\": \"x\"}\n";
    let reply = preview(&request("export.ndjson", ndjson), &in_force()).unwrap();
    assert_eq!(reply.format, "ndjson");
    assert_eq!(reply.kinds, ["company", "person"]);
    assert_eq!(reply.kind, "company");
    assert!(
        reply.kind_note.contains("type column"),
        "{}",
        reply.kind_note
    );
    // The company row, and the row whose type is wrong (shown, marked).
    assert_eq!(reply.rows.len(), 2);
    let (kind, _) = column(&reply, "type");
    assert!(reply.rows[0].cells[kind].valid);
    assert!(!reply.rows[1].cells[kind].valid);
    let mut people = request("export.ndjson", ndjson);
    people.kind = Some("person".into());
    let reply = preview(&people, &in_force()).unwrap();
    assert_eq!(reply.rows.len(), 2);
    assert_eq!(reply.rows[0].number, 1);
    assert_eq!(
        column(&reply, "first name").1.target.as_deref(),
        Some("name.firstName")
    );
}

#[test]
fn a_half_written_last_line_is_dropped_and_a_quoted_line_break_kept() {
    let text = "name,id,city\nAcme,c-1,\"Lyon\nCentre\"\nBolt,c-2,Par";
    let mut asked = request("companies.csv", text);
    asked.complete = false;
    let reply = preview(&asked, &in_force()).unwrap();
    assert_eq!(reply.rows.len(), 1);
    assert_eq!(reply.rows[0].cells[2].value, "Lyon\nCentre");
    // The whole file: its last line counts without a line break.
    asked.complete = true;
    assert_eq!(preview(&asked, &in_force()).unwrap().rows.len(), 2);
}

#[test]
fn too_much_text_and_no_text_are_refused_with_a_sentence() {
    let big = "name\n".to_string() + &"x\n".repeat(MAX_PREVIEW_BYTES / 2 + 1);
    let error = preview(&request("companies.csv", &big), &in_force()).unwrap_err();
    assert!(matches!(error, PreviewError::TooBig { .. }));
    assert!(error.to_string().contains("256 KiB"), "{error}");
    let error = preview(&request("companies.csv", "  \n"), &in_force()).unwrap_err();
    assert_eq!(error.to_string(), "companies.csv is empty: nothing to map");
    let error = preview(
        &request("companies.json", "[{\"a\": 1} {\"b\": 2}]"),
        &in_force(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("cannot be read"), "{error}");
}

#[test]
fn a_file_that_does_not_say_its_kind_offers_both() {
    let reply = preview(&request("export.csv", "Name,ID\nAcme,c-1\n"), &in_force()).unwrap();
    assert_eq!(reply.kinds, ["company", "person"]);
    assert!(reply.kind_note.contains("choose"), "{}", reply.kind_note);
}

#[test]
fn requests_come_by_their_op_names() {
    let request = super::super::Request::from_json(serde_json::json!({
        "op": "import_preview", "file_name": "companies.csv", "text": "name\n",
        "overrides": [{"column": "Town", "target": "address.city"}]
    }))
    .unwrap();
    assert!(matches!(request, super::super::Request::ImportPreview(_)));
    assert!(
        !format!("{request:?}").contains("name\\n"),
        "the text is not shown"
    );
    let request = super::super::Request::from_json(serde_json::json!({
        "op": "mapping_set", "kind": "company", "column": "Town", "target": "address.city"
    }))
    .unwrap();
    assert!(matches!(request, super::super::Request::MappingSet(_)));
}

#[test]
fn a_choice_is_stored_as_an_override_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), ManualClock::starting_at(1_764_000_000_000)).unwrap();
    let set = MappingSet {
        kind: EntityKind::Company,
        column: " Town ".into(),
        target: "Address.City".into(),
    };
    let stored = set.save(&store, &Settings::default(), "ui").unwrap();
    assert_eq!(stored.target, "address.addressCity");
    assert_eq!(stored.column, "Town");
    let row = store.config().unwrap().unwrap();
    assert_eq!(
        row.values.get("mapping:company:Town").map(String::as_str),
        Some("address.addressCity")
    );
    assert_eq!(row.created_by, "ui");
    let overrides = MappingOverrides::from_config(&row.values);
    assert!(overrides.get(EntityKind::Company, "town").is_some());
    let events = store.last_seq();
    set.save(&store, &Settings::default(), "ui").unwrap();
    assert_eq!(store.last_seq(), events, "no change, no event");
    let wrong = MappingSet {
        target: "nosuch".into(),
        ..set
    };
    let error = wrong.save(&store, &Settings::default(), "ui").unwrap_err();
    assert_eq!(
        error
            .reply()
            .fields
            .get("target")
            .map(|m| m.contains("nosuch")),
        Some(true)
    );
}
