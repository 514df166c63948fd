//! Tests for header normalisation, aliases and kinds from file names.

use super::*;

#[test]
fn headers_are_compared_loosely() {
    for header in [
        "external_id",
        "External ID",
        "external-id",
        "EXTERNALID",
        "externalId",
        " id ",
    ] {
        assert_eq!(
            Column::recognise(header),
            Some(Column::ExternalId),
            "{header}"
        );
    }
    assert_eq!(Column::recognise("\u{feff}id"), Some(Column::ExternalId));
    assert_eq!(Column::recognise("First Name"), Some(Column::FirstName));
    assert_eq!(Column::recognise("lastname"), Some(Column::LastName));
    assert_eq!(Column::recognise("notes"), None);
}

#[test]
fn aliases_map_to_our_columns() {
    let cases = [
        ("company", Column::CompanyName),
        ("e-mail", Column::Email),
        ("mail", Column::Email),
        ("URL", Column::Website),
        ("domain", Column::Website),
        ("Phone Number", Column::Phone),
        ("title", Column::JobTitle),
        ("job", Column::JobTitle),
        ("company_id", Column::CompanyExternalId),
        ("Type", Column::Type),
    ];
    for (header, column) in cases {
        assert_eq!(Column::recognise(header), Some(column), "{header}");
    }
}

#[test]
fn file_names_imply_kinds() {
    assert_eq!(
        kind_from_file_name("companies-2024.csv"),
        Some(EntityKind::Company)
    );
    assert_eq!(
        kind_from_file_name("Company.json"),
        Some(EntityKind::Company)
    );
    assert_eq!(kind_from_file_name("people.csv"), Some(EntityKind::Person));
    assert_eq!(
        kind_from_file_name("persons.ndjson"),
        Some(EntityKind::Person)
    );
    assert_eq!(
        kind_from_file_name("contacts_export.csv"),
        Some(EntityKind::Person)
    );
    assert_eq!(kind_from_file_name("export.csv"), None);
}
