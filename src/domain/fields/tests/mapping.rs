//! Tests for automatic mapping, overrides, findings and reading targets people type.

use super::*;

fn mapped(kind: EntityKind, headers: &[&str], overrides: &MappingOverrides) -> ColumnMapping {
    let model = workspace();
    propose_mapping(kind, headers, model.object(kind), overrides)
}

fn target_of(kind: EntityKind, header: &str) -> Option<String> {
    let mapping = mapped(kind, &[header], &MappingOverrides::default());
    mapping.columns[0].target.as_ref().map(ToString::to_string)
}

#[test]
fn company_headers_find_their_fields_and_parts() {
    let cases = [
        ("Name", "name"),
        ("website", "domainName.primaryLinkUrl"),
        ("Domain", "domainName.primaryLinkUrl"),
        ("Domain Name", "domainName.primaryLinkUrl"),
        ("Address", "address.addressStreet1"),
        ("Address City", "address.addressCity"),
        ("Address › City", "address.addressCity"),
        ("Address / Post Code", "address.addressPostcode"),
        ("City (address)", "address.addressCity"),
        ("addressCity", "address.addressCity"),
        ("address_street_2", "address.addressStreet2"),
        ("city", "address.addressCity"),
        ("zip", "address.addressPostcode"),
        ("Country", "address.addressCountry"),
        ("LinkedIn", "linkedinLink.primaryLinkUrl"),
        ("linkedinLink", "linkedinLink.primaryLinkUrl"),
        ("linkedin url", "linkedinLink.primaryLinkUrl"),
        ("Linkedin secondary", "linkedinLink.secondaryLinks"),
        ("website secondary", "domainName.secondaryLinks"),
        ("additional websites", "domainName.secondaryLinks"),
        ("X", "xLink.primaryLinkUrl"),
        ("Employees", "employees"),
        ("ARR", "annualRecurringRevenue.amountMicros"),
        ("ARR currency", "annualRecurringRevenue.currencyCode"),
        ("currency", "annualRecurringRevenue.currencyCode"),
        ("amount", "annualRecurringRevenue.amountMicros"),
        ("Category", "category"),
        ("CATEGORY", "category"),
        ("Listing URL", "listingUrl.primaryLinkUrl"),
        ("listing-url", "listingUrl.primaryLinkUrl"),
        ("Listing", "listingUrl.primaryLinkUrl"),
        ("verifie", "verified"),
        ("external_id", "external_id"),
        ("ID", "external_id"),
        ("type", "type"),
    ];
    for (header, expected) in cases {
        assert_eq!(
            target_of(EntityKind::Company, header).as_deref(),
            Some(expected),
            "{header}"
        );
    }
}

#[test]
fn person_headers_keep_todays_aliases() {
    let cases = [
        ("Name", "name"),
        ("Full Name", "name"),
        ("First Name", "name.firstName"),
        ("last_name", "name.lastName"),
        ("surname", "name.lastName"),
        ("E-mail", "emails.primaryEmail"),
        ("email address", "emails.primaryEmail"),
        ("email additional", "emails.additionalEmails"),
        ("Additional Emails", "emails.additionalEmails"),
        ("phone", "phones.primaryPhoneNumber"),
        ("Mobile", "phones.primaryPhoneNumber"),
        ("phone calling code", "phones.primaryPhoneCallingCode"),
        (
            "Phones / Primary Phone Country Code",
            "phones.primaryPhoneCountryCode",
        ),
        ("phone additional", "phones.additionalPhones"),
        ("title", "jobTitle"),
        ("Job Title", "jobTitle"),
        ("position", "jobTitle"),
        ("city", "city"),
        ("company", "company_name"),
        ("company_id", "company_external_id"),
        ("X", "xLink.primaryLinkUrl"),
    ];
    for (header, expected) in cases {
        assert_eq!(
            target_of(EntityKind::Person, header).as_deref(),
            Some(expected),
            "{header}"
        );
    }
}

#[test]
fn what_cannot_be_filled_is_not_mapped() {
    for header in ["People", "position", "Old code", "notes", "website"] {
        // Relations, system and inactive fields, unknown columns; a person has no website field.
        let kind = if header == "website" {
            EntityKind::Person
        } else {
            EntityKind::Company
        };
        let mapping = mapped(kind, &[header], &MappingOverrides::default());
        assert_eq!(mapping.columns[0].target, None, "{header}");
        assert_eq!(
            mapping.findings,
            vec![MappingFinding::Unmapped {
                column: header.into()
            }],
            "{header}"
        );
    }
    let mapping = mapped(
        EntityKind::Company,
        &["", "  "],
        &MappingOverrides::default(),
    );
    assert!(mapping.findings.is_empty());
}

#[test]
fn a_header_naming_two_fields_is_reported_and_left_out() {
    let mut companies: Vec<FieldDef> = workspace()
        .object(EntityKind::Company)
        .iter()
        .cloned()
        .collect();
    companies.push(custom(
        EntityKind::Company,
        "notesA",
        "Notes",
        FieldType::Text,
    ));
    companies.push(custom(
        EntityKind::Company,
        "notesB",
        "Notes",
        FieldType::Text,
    ));
    companies.push(custom(
        EntityKind::Company,
        "billing",
        "Billing",
        FieldType::Address,
    ));
    let fields = ObjectFields::new(EntityKind::Company, companies);
    let mapping = propose_mapping(
        EntityKind::Company,
        &["notes", "zip", "city"],
        &fields,
        &MappingOverrides::default(),
    );
    assert_eq!(mapping.columns[0].target, None);
    assert_eq!(
        mapping.findings[0],
        MappingFinding::Ambiguous {
            column: "notes".into(),
            candidates: vec!["notesA".into(), "notesB".into()]
        }
    );
    assert!(mapping.findings[0]
        .to_string()
        .contains("could fill notesA or notesB"));
    // Two address fields: `zip` alone names neither; `city` is still today's alias.
    assert_eq!(mapping.columns[1].target, None);
    assert_eq!(
        mapping.columns[2].target,
        Some(ColumnTarget::Field(target("address.addressCity")))
    );
}

#[test]
fn two_columns_filling_one_target_are_reported_and_the_first_non_empty_wins() {
    let model = workspace();
    let people = model.object(EntityKind::Person);
    let mapping = propose_mapping(
        EntityKind::Person,
        &["Email", "E-mail", "id"],
        people,
        &MappingOverrides::default(),
    );
    assert_eq!(
        mapping.findings,
        vec![MappingFinding::SameTarget {
            columns: vec!["Email".into(), "E-mail".into()],
            target: "emails.primaryEmail".into()
        }]
    );
    let row = mapping.read_row(people, &["", "Ada@Example.com", "p1"], ReadHints::default());
    assert_eq!(
        row.fields.get(&target("emails.primaryEmail")),
        Some(&CellValue::Text("ada@example.com".into()))
    );
    assert_eq!(
        row.record
            .get(&RecordColumn::ExternalId)
            .map(String::as_str),
        Some("p1")
    );
    let row = mapping.read_row(people, &["a@x.com", "b@x.com"], ReadHints::default());
    assert_eq!(
        row.fields.get(&target("emails.primaryEmail")),
        Some(&CellValue::Text("a@x.com".into()))
    );
}

#[test]
fn overrides_win_and_name_columns_loosely() {
    let model = workspace();
    let companies = model.object(EntityKind::Company);
    let mut overrides = MappingOverrides::default();
    let parse = |text: &str| parse_target(text, companies).expect("a target");
    overrides.set(EntityKind::Company, "Client Ref", parse("external_id"));
    overrides.set(EntityKind::Company, "Twitter", parse("xLink"));
    overrides.set(EntityKind::Company, "name", OverrideTarget::Ignore);
    overrides.set(
        EntityKind::Company,
        "Gone",
        OverrideTarget::Field(target("vanished")),
    );
    overrides.set(EntityKind::Person, "Name", OverrideTarget::Ignore);
    let mapping = propose_mapping(
        EntityKind::Company,
        &["client-ref", "LinkedIn", "twitter", "Name", "gone"],
        companies,
        &overrides,
    );
    let targets: Vec<Option<String>> = mapping
        .columns
        .iter()
        .map(|c| c.target.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(
        targets,
        [
            Some("external_id".into()),
            Some("linkedinLink.primaryLinkUrl".into()),
            Some("xLink.primaryLinkUrl".into()),
            None,
            None
        ]
    );
    assert_eq!(mapping.columns[0].matched_by, Some(MatchedBy::Override));
    assert_eq!(mapping.columns[1].matched_by, Some(MatchedBy::FieldName));
    assert_eq!(
        mapping.findings,
        vec![MappingFinding::OverrideUnusable {
            column: "gone".into(),
            target: "vanished".into()
        }]
    );
    assert!(overrides.unset(EntityKind::Company, "CLIENT_REF"));
    assert!(!overrides.unset(EntityKind::Company, "client ref"));
    assert_eq!(overrides.of_kind(EntityKind::Company).count(), 3);
    overrides.set(EntityKind::Company, "TWITTER", OverrideTarget::Ignore);
    assert_eq!(
        overrides.get(EntityKind::Company, "twitter"),
        Some(&OverrideTarget::Ignore)
    );
    assert_eq!(overrides.of_kind(EntityKind::Company).count(), 3);
    let text = serde_json::to_string(&overrides).expect("json");
    assert_eq!(
        serde_json::from_str::<MappingOverrides>(&text).expect("back"),
        overrides
    );
}

#[test]
fn targets_people_type_are_read_against_the_model() {
    let model = workspace();
    let companies = model.object(EntityKind::Company);
    let people = model.object(EntityKind::Person);
    let field = |text: &str, fields: &ObjectFields| match parse_target(text, fields) {
        Ok(OverrideTarget::Field(target)) => target.to_string(),
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        field("linkedinLink", companies),
        "linkedinLink.primaryLinkUrl"
    );
    assert_eq!(field("address.city", companies), "address.addressCity");
    assert_eq!(
        field("address.addressCity", companies),
        "address.addressCity"
    );
    assert_eq!(
        field("Address.Post Code", companies),
        "address.addressPostcode"
    );
    assert_eq!(
        field("annualRecurringRevenue.amount", companies),
        "annualRecurringRevenue.amountMicros"
    );
    assert_eq!(
        field("linkedinLink.secondary", companies),
        "linkedinLink.secondaryLinks"
    );
    assert_eq!(field("Listing URL", companies), "listingUrl.primaryLinkUrl");
    assert_eq!(field("name", people), "name");
    assert_eq!(field("name.first", people), "name.firstName");
    assert_eq!(field("Job Title", people), "jobTitle");
    assert_eq!(parse_target("IGNORE", people), Ok(OverrideTarget::Ignore));
    assert_eq!(
        parse_target("externalId", people),
        Ok(OverrideTarget::Record(RecordColumn::ExternalId))
    );
    assert_eq!(
        parse_target("company_name", people),
        Ok(OverrideTarget::Record(RecordColumn::CompanyName))
    );
    let error = |text: &str| parse_target(text, companies).expect_err(text).to_string();
    assert_eq!(
        error(" "),
        "no field was named; give a field such as jobTitle or address.city, or ignore"
    );
    assert_eq!(
        error("nope"),
        "company has no field 'nope'; `twenty-sync fields company` lists them"
    );
    assert!(error("position").contains("POSITION field, which twenty-sync does not fill"));
    assert!(error("people").contains("RELATION field"));
    assert!(error("oldCode").contains("inactive"));
    assert_eq!(
        error("name.first"),
        "name is a TEXT field, which has no parts; name the field alone"
    );
    assert!(
        error("address.moon").starts_with("address has no part 'moon'; use one of addressStreet1")
    );
}

#[test]
fn todays_columns_and_aliases_still_recognise() {
    assert_eq!(
        KnownColumn::recognise("\u{feff}External ID"),
        Some(KnownColumn::ExternalId)
    );
    assert_eq!(
        KnownColumn::recognise("Téléphone"),
        Some(KnownColumn::Phone)
    );
    assert_eq!(KnownColumn::recognise("notes"), None);
    for column in KnownColumn::ALL {
        assert_eq!(KnownColumn::recognise(column.as_str()), Some(column));
        assert_eq!(KnownColumn::from_field(column.as_str()), Some(column));
    }
    assert_eq!(compact_header(" Address › City (2) "), "addresscity2");
}

#[test]
fn a_mapping_survives_json() {
    let mapping = mapped(
        EntityKind::Company,
        &["Name", "zip", "junk"],
        &MappingOverrides::default(),
    );
    let text = serde_json::to_string(&mapping).expect("json");
    assert!(text.contains("\"address.addressPostcode\""), "{text}");
    assert_eq!(
        serde_json::from_str::<ColumnMapping>(&text).expect("back"),
        mapping
    );
}

#[test]
fn each_column_says_how_it_was_matched() {
    let mapping = mapped(
        EntityKind::Company,
        &["id", "Category", "Address City", "website", "zip"],
        &MappingOverrides::default(),
    );
    let how: Vec<Option<MatchedBy>> = mapping.columns.iter().map(|c| c.matched_by).collect();
    assert_eq!(
        how,
        [
            Some(MatchedBy::RecordColumn),
            Some(MatchedBy::FieldName),
            Some(MatchedBy::FieldPart),
            Some(MatchedBy::Alias),
            Some(MatchedBy::PartName),
        ]
    );
}

#[test]
fn a_row_reports_every_bad_cell_and_keeps_the_good_ones() {
    let model = workspace();
    let companies = model.object(EntityKind::Company);
    let headers = ["id", "Name", "Category", "Employees", "Founded", "junk"];
    let mapping = propose_mapping(
        EntityKind::Company,
        &headers,
        companies,
        &MappingOverrides::default(),
    );
    let row = mapping.read_row(
        companies,
        &["c1", "Acme", "Fintek", "12", "2025-02-30", "whatever"],
        ReadHints::default(),
    );
    assert_eq!(
        row.record
            .get(&RecordColumn::ExternalId)
            .map(String::as_str),
        Some("c1")
    );
    assert_eq!(row.fields.len(), 2, "{:?}", row.fields);
    let columns: Vec<&str> = row.errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["Category", "Founded"]);
    assert_eq!(
        row.errors[1].to_string(),
        "column 'Founded': '2025-02-30' is not a day of the calendar"
    );
    // A short row: the missing cells are empty.
    let row = mapping.read_row(companies, &["c2", "Beta"], ReadHints::default());
    assert!(row.errors.is_empty());
    assert_eq!(row.fields.len(), 1);
}

#[test]
fn overrides_are_kept_as_configuration_values_and_read_back() {
    let key = mapping_config_key(EntityKind::Company, " Listing URL ");
    assert_eq!(key, "mapping:company:Listing URL");
    assert_eq!(
        parse_mapping_config_key(&key),
        Some((EntityKind::Company, "Listing URL"))
    );
    assert_eq!(parse_mapping_config_key("base_url"), None);
    assert_eq!(parse_mapping_config_key("mapping:planet:x"), None);
    assert_eq!(parse_mapping_config_key("mapping:person:"), None);
    let stored: std::collections::BTreeMap<String, String> = [
        (key.clone(), "listingUrl.primaryLinkUrl".to_string()),
        ("mapping:person:Town".into(), "address.addressCity".into()),
        ("mapping:person:Notes".into(), "ignore".into()),
        ("mapping:person:Ref".into(), "external_id".into()),
        ("mapping:person:Broken".into(), "a.notAPart".into()),
        ("drop_dir".into(), "/tmp/drop".into()),
    ]
    .into_iter()
    .collect();
    let overrides = MappingOverrides::from_config(&stored);
    assert_eq!(
        overrides.get(EntityKind::Company, "listing-url"),
        Some(&OverrideTarget::Field(FieldTarget::new(
            "listingUrl",
            Some(Part::PrimaryLinkUrl)
        )))
    );
    assert_eq!(
        overrides.get(EntityKind::Person, "notes"),
        Some(&OverrideTarget::Ignore)
    );
    assert_eq!(
        overrides.get(EntityKind::Person, "ref"),
        Some(&OverrideTarget::Record(RecordColumn::ExternalId))
    );
    assert_eq!(overrides.get(EntityKind::Person, "Broken"), None);
    for (kind, column, target) in [
        (
            EntityKind::Company,
            "Listing URL",
            "listingUrl.primaryLinkUrl",
        ),
        (EntityKind::Person, "Ref", "external_id"),
    ] {
        let shown = overrides.get(kind, column).unwrap().to_string();
        assert_eq!(shown, target, "stored as it is shown");
    }
}
