//! Golden tests of the JSON bodies, the lookup filters and the response envelopes.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::{EntityKind, IntentFields};
use crate::twenty::wire::*;

fn golden(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => panic!("bad golden JSON {text}: {e}"),
    }
}

fn fields() -> IntentFields {
    IntentFields::default()
}

#[test]
fn company_without_website() {
    let body = company_body(
        "acme-1",
        &IntentFields {
            name: Some("Acme".into()),
            ..fields()
        },
    );
    assert_eq!(body, golden(r#"{"externalId":"acme-1","name":"Acme"}"#));
}

#[test]
fn company_with_website() {
    let body = company_body(
        "acme-1",
        &IntentFields {
            name: Some("Acme".into()),
            website: Some("https://acme.com".into()),
            ..fields()
        },
    );
    assert_eq!(
        body,
        golden(
            r#"{"externalId":"acme-1","name":"Acme",
                "domainName":{"primaryLinkUrl":"https://acme.com","primaryLinkLabel":"","secondaryLinks":[]}}"#
        )
    );
}

#[test]
fn person_with_first_and_last_name_phone_and_company() {
    let body = person_body(
        "p-1",
        &IntentFields {
            name: Some("Ada Lovelace".into()),
            first_name: Some("Augusta Ada".into()),
            last_name: Some("King".into()),
            email: Some("Ada@Example.COM".into()),
            phone: Some("+44 20 7946 0000".into()),
            job_title: Some("Analyst".into()),
            city: Some("London".into()),
            company_external_id: Some("acme-1".into()),
            company_name: Some("Acme".into()),
            ..fields()
        },
        Some("384d064f-5395-4032-90c0-1a0e9fb891fc"),
    );
    assert_eq!(
        body,
        golden(
            r#"{"externalId":"p-1",
                "name":{"firstName":"Augusta Ada","lastName":"King"},
                "emails":{"primaryEmail":"ada@example.com","additionalEmails":[]},
                "phones":{"primaryPhoneNumber":"+44 20 7946 0000","primaryPhoneCountryCode":"",
                          "primaryPhoneCallingCode":"","additionalPhones":[]},
                "jobTitle":"Analyst","city":"London",
                "companyId":"384d064f-5395-4032-90c0-1a0e9fb891fc"}"#
        )
    );
}

#[test]
fn person_name_is_split_on_the_first_space_and_absent_fields_are_omitted() {
    let body = person_body(
        "p-2",
        &IntentFields {
            name: Some("Ada King Lovelace".into()),
            email: Some("ada@example.com".into()),
            ..fields()
        },
        None,
    );
    assert_eq!(
        body,
        golden(
            r#"{"externalId":"p-2",
                "name":{"firstName":"Ada","lastName":"King Lovelace"},
                "emails":{"primaryEmail":"ada@example.com","additionalEmails":[]}}"#
        )
    );
    assert!(body.get("companyId").is_none(), "no null companyId");
    assert!(body.get("phones").is_none(), "no phones without a phone");
}

#[test]
fn person_single_word_name_and_only_a_first_or_last_name() {
    let one = person_body(
        "p-3",
        &IntentFields {
            name: Some("Plato".into()),
            email: Some("plato@example.com".into()),
            ..fields()
        },
        None,
    );
    assert_eq!(one["name"], json!({"firstName": "Plato", "lastName": ""}));

    let last_only = person_body(
        "p-4",
        &IntentFields {
            name: Some("Curie".into()),
            last_name: Some("Curie".into()),
            email: Some("curie@example.com".into()),
            ..fields()
        },
        None,
    );
    assert_eq!(
        last_only["name"],
        json!({"firstName": "", "lastName": "Curie"})
    );
}

#[test]
fn idempotency_key_is_stable_per_intent() {
    let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    assert_eq!(
        idempotency_key(id),
        "twenty-sync-01900000-0000-7000-8000-000000000001"
    );
    assert_eq!(idempotency_key(id), idempotency_key(id));
    assert_ne!(idempotency_key(id), idempotency_key(Uuid::from_u128(2)));
}

#[test]
fn lookup_filters() {
    assert_eq!(
        in_list_filter("externalId", &["ext-1", "ext 2"]),
        "externalId[in]:[ext-1,ext 2]"
    );
    assert_eq!(
        any_of(vec![
            in_list_filter("externalId", &["p1"]),
            in_list_filter("emails.primaryEmail", &["a@x.com", "b@x.com"]),
        ]),
        "or(externalId[in]:[p1],emails.primaryEmail[in]:[a@x.com,b@x.com])"
    );
    assert_eq!(any_of(vec!["a[eq]:1".into()]), "a[eq]:1");
    for id in [
        "a(b", "a)b", "a,b", "a\"b", "a'b", "a[b", "a]b", "a\\b", " lead", "trail ", "",
    ] {
        assert!(!fits_in_list(id), "{id:?}");
    }
    for id in ["plain", "with space", "ümlaut", "50%_off", "a:b", "a&b=c"] {
        assert!(fits_in_list(id), "{id}");
    }
    // No parenthesis: exact match.
    assert_eq!(single_external_id_filter("a,b"), r#"externalId[eq]:"a,b""#);
    assert_eq!(
        single_external_id_filter("O'Neil"),
        r#"externalId[eq]:"O'Neil""#
    );
    // Parentheses (even balanced) or a comma next to quotes: a LIKE pattern without them.
    assert_eq!(
        single_external_id_filter("acme (paris"),
        r#"externalId[like]:"acme _paris""#
    );
    assert_eq!(
        single_external_id_filter("x(y)"),
        r#"externalId[like]:"x_y_""#
    );
    assert_eq!(
        single_external_id_filter("a\",b"),
        r#"externalId[like]:"a__b""#
    );
    for id in ["acme (paris", "x(y)", "a\",b", "(((", "a\\b"] {
        let filter = single_external_id_filter(id);
        assert!(!filter.contains(['(', ')']), "{filter}");
    }
}

#[test]
fn lookups_keep_filter_punctuation_and_fit_the_url_budget() {
    let filter = "or(externalId[in]:[p1,p2],emails.primaryEmail[in]:[a+b@x.com])";
    assert_eq!(
        lookup_path(EntityKind::Person, filter, 3, Some("c=1")),
        "/rest/people?filter=or(externalId%5Bin%5D:%5Bp1,p2%5D,emails.primaryEmail%5Bin%5D:\
         %5Ba%2Bb@x.com%5D)&limit=3&depth=0&starting_after=c%3D1"
    );
    assert_eq!(listed_len("a+b@x.com"), "a%2Bb@x.com,".len());
    // 200 ids and e-mail addresses of a directory fit in one lookup.
    let base = lookup_base_len(EntityKind::Person, Some("emails.primaryEmail"));
    let listed: usize = (0..200)
        .map(|i| listed_len(&format!("p{i:04}")) + listed_len(&format!("person{i:04}@example.com")))
        .sum();
    assert!(base + listed <= MAX_LOOKUP_URL_BYTES, "{}", base + listed);
}

#[test]
fn query_values_are_percent_encoded() {
    assert_eq!(
        query_string(&[
            ("filter", r#"externalId[in]:["a b","c%d"]"#),
            ("limit", "2")
        ]),
        "filter=externalId%5Bin%5D%3A%5B%22a%20b%22%2C%22c%25d%22%5D&limit=2"
    );
    assert_eq!(encode_query_value("a+b&c=d/é"), "a%2Bb%26c%3Dd%2F%C3%A9");
}

#[test]
fn list_envelope_with_page_info_beside_data() {
    let body = golden(
        r#"{"data":{"companies":[{"id":"20202020-a000-4485-94de-70c2a98daef2","name":"Housecall Pro"}]},
            "pageInfo":{"hasNextPage":true,"startCursor":"c1","endCursor":"c2"},"totalCount":599}"#,
    );
    let page = parse_list(EntityKind::Company, &body).expect("list shape");
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.next_cursor.as_deref(), Some("c2"));

    let last = golden(
        r#"{"data":{"people":[]},"pageInfo":{"hasNextPage":false,"startCursor":null,"endCursor":null},"totalCount":0}"#,
    );
    let page = parse_list(EntityKind::Person, &last).expect("list shape");
    assert!(page.records.is_empty());
    assert_eq!(page.next_cursor, None);
    assert!(
        parse_list(EntityKind::Company, &last).is_none(),
        "wrong object"
    );
}

#[test]
fn batch_envelope_both_keys() {
    let current = golden(r#"{"data":{"createPeople":[{"id":"1"},{"id":"2"}]}}"#);
    let intermediate = golden(r#"{"data":{"people":[{"id":"1"},{"id":"2"}]}}"#);
    assert_eq!(
        parse_batch(EntityKind::Person, &current).map(|v| v.len()),
        Some(2)
    );
    assert_eq!(
        parse_batch(EntityKind::Person, &intermediate).map(|v| v.len()),
        Some(2)
    );
    let companies = golden(r#"{"data":{"createCompanies":[{"id":"1"}]}}"#);
    assert_eq!(
        parse_batch(EntityKind::Company, &companies).map(|v| v.len()),
        Some(1)
    );
    assert!(parse_batch(EntityKind::Company, &current).is_none());
}

#[test]
fn update_envelope_and_record_fields() {
    let body = golden(
        r#"{"data":{"updatePerson":{"id":"af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a","externalId":"","jobTitle":"Countess"}}}"#,
    );
    let record = parse_update(EntityKind::Person, &body).expect("update shape");
    assert_eq!(
        record_id(&record),
        Some("af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a")
    );
    assert_eq!(
        record_external_id(&record),
        None,
        "the empty default is no external id"
    );
    assert!(parse_update(EntityKind::Company, &body).is_none());
}
