//! What a duplicate collided with, and how its failure says it, as case tables.

use serde_json::json;

use super::*;

const LEGACY_EMAIL: &str =
    "Duplicate Emails with value ada.real@example.com. Please set a unique one.";
const LEGACY_DOMAIN: &str =
    "Duplicate Domain Name with value https://sampleco-real.example.com. Please set a unique one.";
const LEGACY_EXTERNAL_ID: &str = "Duplicate External ID with value ext-1. Please set a unique one.";
const CURRENT: &str = "A duplicate entry was detected";

fn found(field: &str, value: &str, lookup: Option<&'static str>) -> Option<Collision> {
    Some(Collision {
        field: field.into(),
        value: value.into(),
        lookup,
    })
}

#[test]
fn the_collision_is_what_twenty_names_else_the_records_own_unique_value() {
    use EntityKind::*;
    let person = json!({"externalId": "p1", "emails": {"primaryEmail": "ada@example.com"}});
    let company = json!({"externalId": "c1", "name": "Acme", "domainName": {"primaryLinkUrl": "https://acme.com"}});
    let nameless_company = json!({"externalId": "c1", "name": "Acme"});
    let email = Some("emails.primaryEmail");
    let domain = Some("domainName.primaryLinkUrl");
    // (kind, Twenty's message, body sent) → collision
    let cases = [
        (
            Person,
            Some(LEGACY_EMAIL),
            &person,
            found("emails.primaryEmail", "ada.real@example.com", email),
        ),
        (
            Company,
            Some(LEGACY_DOMAIN),
            &company,
            found(
                "domainName.primaryLinkUrl",
                "https://sampleco-real.example.com",
                domain,
            ),
        ),
        // Our own externalId: already looked up by the conflict handling, no second lookup.
        (
            Company,
            Some(LEGACY_EXTERNAL_ID),
            &company,
            found("externalId", "ext-1", None),
        ),
        // A field with no API name here: named by its label, not looked up.
        (
            Company,
            Some("Duplicate Tax Number with value 42. Please set a unique one."),
            &company,
            found("Tax Number", "42", None),
        ),
        // 2.4.0 names nothing: the record's own unique value.
        (
            Person,
            Some(CURRENT),
            &person,
            found("emails.primaryEmail", "ada@example.com", email),
        ),
        (
            Company,
            Some(CURRENT),
            &company,
            found("domainName.primaryLinkUrl", "https://acme.com", domain),
        ),
        (
            Company,
            Some(CURRENT),
            &nameless_company,
            found("name", "Acme", Some("name")),
        ),
        (
            Company,
            None,
            &company,
            found("domainName.primaryLinkUrl", "https://acme.com", domain),
        ),
        (Person, Some(CURRENT), &json!({"externalId": "p1"}), None),
    ];
    for (kind, message, body, expected) in cases {
        assert_eq!(
            collision(kind, message, body),
            expected,
            "{kind} {message:?}"
        );
    }
}

fn holder(
    id: &str,
    name: Option<&str>,
    external_id: Option<&str>,
    in_trash: bool,
) -> ConflictHolder {
    ConflictHolder {
        twenty_id: id.into(),
        name: name.map(Into::into),
        external_id: external_id.map(Into::into),
        in_trash,
    }
}

#[test]
fn the_message_names_field_value_and_record_and_what_to_do() {
    let conflict = |holder: Option<ConflictHolder>| Conflict {
        field: "emails.primaryEmail".into(),
        value: "ada@example.com".into(),
        holder,
    };
    let start = "Duplicate emails.primaryEmail \"ada@example.com\": ";
    // (holder, record mapped already) → the message after `start`
    let cases = [
        (
            Some(holder("t-1", Some("Ada King"), None, false)),
            false,
            "the person \"Ada King\" (t-1) in Twenty already has it, without an externalId; link this record to it, change the value, or dismiss the failure",
        ),
        (
            Some(holder("t-1", Some("Ada King"), None, false)),
            true,
            "the person \"Ada King\" (t-1) in Twenty already has it, without an externalId; change the value, or dismiss the failure",
        ),
        (
            Some(holder("t-1", None, Some("p-9"), false)),
            false,
            "the person (t-1) in Twenty already has it (externalId p-9); change the value, or dismiss the failure",
        ),
        (
            Some(holder("t-1", Some("Ada"), None, true)),
            false,
            "the person \"Ada\" (t-1) in Twenty's trash still holds it; restore it or delete it for good in Twenty, then retry",
        ),
        (
            None,
            false,
            "another person in Twenty holds it, but none was found among its records (it may be in Twenty's trash); change the value, or empty the trash and retry, or dismiss the failure",
        ),
    ];
    for (holder, mapped, expected) in cases {
        let conflict = conflict(holder);
        assert_eq!(
            message(EntityKind::Person, &conflict, mapped),
            format!("{start}{expected}")
        );
    }
}

#[test]
fn only_a_live_holder_without_an_external_id_can_be_linked() {
    let cases = [
        (holder("t-1", None, None, false), true),
        (holder("t-1", None, Some("p-9"), false), false),
        (holder("t-1", None, None, true), false),
    ];
    for (holder, linkable) in cases {
        let conflict = Conflict {
            field: "name".into(),
            value: "Acme".into(),
            holder: Some(holder.clone()),
        };
        assert_eq!(conflict.linkable_holder().is_some(), linkable, "{holder:?}");
    }
}

#[test]
fn a_holder_is_named_as_twenty_shows_it() {
    let person = RemoteRecord::from_value(json!({
        "id": "t-1", "externalId": "", "name": {"firstName": "Ada", "lastName": "King"}
    }))
    .unwrap();
    assert_eq!(
        super::holder(EntityKind::Person, &person),
        holder("t-1", Some("Ada King"), None, false)
    );
    let company =
        RemoteRecord::from_value(json!({"id": "t-2", "externalId": "c-9", "name": "Acme"}))
            .unwrap();
    assert_eq!(
        in_trash("c1", &company, EntityKind::Company).holder,
        Some(holder("t-2", Some("Acme"), Some("c-9"), true))
    );
}
