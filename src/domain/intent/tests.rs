//! Tests of intent validation and normalisation: every refusal names the field.

use super::*;

fn draft(external_id: &str, fields: IntentFields) -> IntentDraft {
    IntentDraft {
        values: Default::default(),
        external_id: Some(external_id.to_string()),
        fields,
    }
}

fn person(external_id: &str, name: &str, email: &str) -> IntentDraft {
    draft(
        external_id,
        IntentFields {
            name: Some(name.into()),
            email: Some(email.into()),
            ..IntentFields::default()
        },
    )
}

fn company(external_id: &str, name: &str, website: Option<&str>) -> IntentDraft {
    draft(
        external_id,
        IntentFields {
            name: Some(name.into()),
            website: website.map(Into::into),
            ..IntentFields::default()
        },
    )
}

fn refused_fields(result: Result<(String, IntentFields), Vec<FieldError>>) -> Vec<&'static str> {
    result
        .expect_err("input should be refused")
        .iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn valid_person_is_trimmed_and_email_lower_cased() {
    let (id, fields) = person("  p-1 ", " Ada Lovelace ", " Ada@Example.COM ")
        .validate(EntityKind::Person)
        .unwrap();
    assert_eq!(id, "p-1");
    assert_eq!(fields.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(fields.email.as_deref(), Some("ada@example.com"));
}

#[test]
fn external_id_rules() {
    let long = "x".repeat(MAX_EXTERNAL_ID_CHARS + 1);
    for bad in ["", "   ", "a\nb", "tab\there", "nul\0", long.as_str()] {
        assert_eq!(
            refused_fields(company(bad, "Acme", None).validate(EntityKind::Company)),
            vec!["external_id"],
            "{bad:?}"
        );
    }
    let longest = "é".repeat(MAX_EXTERNAL_ID_CHARS);
    assert!(company(&longest, "Acme", None)
        .validate(EntityKind::Company)
        .is_ok());
    let missing = IntentDraft::default();
    assert!(refused_fields(missing.validate(EntityKind::Company)).contains(&"external_id"));
}

#[test]
fn names_are_required() {
    assert_eq!(
        refused_fields(company("c1", "  ", None).validate(EntityKind::Company)),
        vec!["name"]
    );
    assert_eq!(
        refused_fields(person("p1", "", "a@b.co").validate(EntityKind::Person)),
        vec!["name"]
    );
}

#[test]
fn person_named_by_first_and_last_name_only() {
    let draft = draft(
        "p1",
        IntentFields {
            first_name: Some("Grace".into()),
            last_name: Some("Hopper".into()),
            email: Some("grace@navy.mil".into()),
            ..IntentFields::default()
        },
    );
    let (_, fields) = draft.validate(EntityKind::Person).unwrap();
    assert_eq!(fields.name.as_deref(), Some("Grace Hopper"));
}

#[test]
fn person_needs_a_valid_email() {
    assert_eq!(
        refused_fields(person("p1", "Ada", "").validate(EntityKind::Person)),
        vec!["email"]
    );
    for bad in [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada @example.com",
        "ada@exa mple.com",
        "ada@-example.com",
        "ada@example..com",
    ] {
        assert_eq!(
            refused_fields(person("p1", "Ada", bad).validate(EntityKind::Person)),
            vec!["email"],
            "{bad:?}"
        );
    }
    for good in [
        "ada@example.com",
        "ada+tag@sub.example.co.uk",
        "élodie@exemple.fr",
    ] {
        assert!(
            person("p1", "Ada", good)
                .validate(EntityKind::Person)
                .is_ok(),
            "{good}"
        );
    }
}

#[test]
fn websites_are_normalised_or_refused() {
    let cases = [
        ("acme.com", "https://acme.com"),
        ("ACME.com/", "https://acme.com"),
        ("http://WWW.Acme.COM/About/", "http://www.acme.com/About"),
        ("https://acme.com:8443/x", "https://acme.com:8443/x"),
        ("https://acme.com/?q=1", "https://acme.com?q=1"),
    ];
    for (input, expected) in cases {
        let (_, fields) = company("c1", "Acme", Some(input))
            .validate(EntityKind::Company)
            .unwrap();
        assert_eq!(fields.website.as_deref(), Some(expected), "{input}");
    }
    for bad in [
        "not a url",
        "acme",
        "ftp://acme.com",
        "https://",
        "http://exa mple.com",
    ] {
        assert_eq!(
            refused_fields(company("c1", "Acme", Some(bad)).validate(EntityKind::Company)),
            vec!["website"],
            "{bad:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let draft = IntentDraft {
        values: Default::default(),
        external_id: Some(String::new()),
        fields: IntentFields {
            email: Some("nope".into()),
            city: Some("Paris\u{7}".into()),
            ..IntentFields::default()
        },
    };
    let mut fields = refused_fields(draft.validate(EntityKind::Person));
    fields.sort_unstable();
    assert_eq!(fields, vec!["city", "email", "external_id", "name"]);
}

#[test]
fn over_long_text_is_refused() {
    let mut fields = IntentFields {
        name: Some("Acme".into()),
        ..IntentFields::default()
    };
    fields.city = Some("x".repeat(MAX_TEXT_CHARS + 1));
    assert_eq!(
        refused_fields(draft("c1", fields).validate(EntityKind::Company)),
        vec!["city"]
    );
}

#[test]
fn a_company_cannot_belong_to_a_company() {
    let fields = IntentFields {
        name: Some("Acme".into()),
        company_external_id: Some("other".into()),
        ..IntentFields::default()
    };
    assert_eq!(
        refused_fields(draft("c1", fields).validate(EntityKind::Company)),
        vec!["company_external_id"]
    );
}

#[test]
fn record_keys_round_trip_and_sort_companies_first() {
    let company = RecordKey::new(EntityKind::Company, "z");
    let person = RecordKey::new(EntityKind::Person, "a");
    assert!(company.to_bytes() < person.to_bytes());
    assert_eq!(RecordKey::from_bytes(&person.to_bytes()), Some(person));
    assert_eq!(RecordKey::from_bytes(b"xabc"), None);
    assert_eq!(RecordKey::from_bytes(b""), None);
}
