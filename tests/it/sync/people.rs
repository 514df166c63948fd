//! People and their companies: the three-tier lookup and creating a named company first.

use fake_twenty::Profile;
use serde_json::json;
use twenty_sync::domain::EntityKind;

use super::support::*;

#[tokio::test]
async fn people_are_linked_to_companies_pushed_before_them() {
    let h = harness(Profile::Legacy2025).await;
    h.person("p1", "Ada Lovelace", "ada@example.com", Some(("c1", None)));
    h.company("c1", "Acme", Some("acme.com"));
    h.sync().await.unwrap();
    let company_id = h.twenty_id(EntityKind::Company, "c1").unwrap();
    let person = &h.in_twenty("people", "p1")[0];
    assert_eq!(person["companyId"], company_id.as_str());
    assert_eq!(person["name"]["firstName"], "Ada");
    assert_eq!(person["name"]["lastName"], "Lovelace");
    assert_eq!(person["emails"]["primaryEmail"], "ada@example.com");
}

#[tokio::test]
async fn an_unknown_named_company_is_created_first() {
    let h = harness(Profile::Legacy2025).await;
    h.person(
        "p1",
        "Ada Lovelace",
        "ada@example.com",
        Some(("c9", Some("Analytical Engines"))),
    );
    h.person(
        "p2",
        "Charles Babbage",
        "charles@example.com",
        Some(("c9", Some("Analytical Engines"))),
    );
    h.sync().await.unwrap();
    let companies = h.in_twenty("companies", "c9");
    assert_eq!(companies.len(), 1);
    assert_eq!(companies[0]["name"], "Analytical Engines");
    for person in ["p1", "p2"] {
        assert_eq!(
            h.in_twenty("people", person)[0]["companyId"],
            companies[0]["id"]
        );
    }
    // The created company is an intent in the log like any other.
    assert_eq!(h.counters().intents, 3);
}

#[tokio::test]
async fn a_company_known_only_in_twenty_is_found_there() {
    let h = harness(Profile::Legacy2025).await;
    h.fake.create_external_id_fields();
    let company = h
        .fake
        .insert_record("companies", json!({"name": "Acme", "externalId": "c1"}));
    h.person(
        "p1",
        "Ada",
        "ada@example.com",
        Some(("c1", Some("Should not be created"))),
    );
    h.sync().await.unwrap();
    assert_eq!(h.fake.records("companies").len(), 1);
    assert_eq!(h.in_twenty("people", "p1")[0]["companyId"], company["id"]);
}

#[tokio::test]
async fn a_person_whose_company_is_unknown_and_unnamed_is_pushed_without_it() {
    let h = harness(Profile::Legacy2025).await;
    h.person("p1", "Ada", "ada@example.com", Some(("ghost", None)));
    h.sync().await.unwrap();
    let person = &h.in_twenty("people", "p1")[0];
    assert!(person["companyId"].is_null());
    assert_eq!(h.fake.records("companies").len(), 0);
}
