//! Values named `FIELD[.PART]` outside a file: fixed targets routed into the intent's fixed
//! fields, the others typed, errors naming the key, and the relay's JSON read back to the very
//! values that were sent.

use serde_json::{json, Value};

use super::*;
use crate::domain::intent::{EntityKind, IntentFields};

fn read(
    kind: EntityKind,
    inputs: &Value,
    fixed: &mut IntentFields,
) -> Result<FieldValues, Vec<FieldInputError>> {
    let model = workspace();
    read_field_inputs(
        model.object(kind),
        inputs
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v)),
        ReadHints::default(),
        fixed,
    )
}

#[test]
fn fixed_targets_fill_the_fixed_fields_and_the_others_are_values() {
    let mut fixed = IntentFields::default();
    let inputs = json!({
        "name": "Ada Lovelace",
        "emails": "ADA@example.com",
        "Job Title": "Countess",
        "city": "London",
        "phones.primaryPhoneNumber": "+44 20 7946 0000",
        "company_external_id": "c1",
        "linkedinLink": "linkedin.com/in/ada",
    });
    let values = read(EntityKind::Person, &inputs, &mut fixed).unwrap();
    assert_eq!(fixed.first_name.as_deref(), Some("Ada"));
    assert_eq!(fixed.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(fixed.email.as_deref(), Some("ada@example.com"));
    assert_eq!(fixed.job_title.as_deref(), Some("Countess"));
    assert_eq!(fixed.city.as_deref(), Some("London"));
    assert!(fixed.phone.is_some());
    assert_eq!(fixed.company_external_id.as_deref(), Some("c1"));
    let targets: Vec<String> = values.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(targets, ["linkedinLink.primaryLinkUrl"]);

    // A fixed field given both ways keeps the one given first (the flag).
    let mut fixed = IntentFields {
        name: Some("Acme".into()),
        ..IntentFields::default()
    };
    let values = read(
        EntityKind::Company,
        &json!({"name": "Other", "domainName": "acme.com", "address.city": "Paris"}),
        &mut fixed,
    )
    .unwrap();
    assert_eq!(fixed.name.as_deref(), Some("Acme"));
    assert_eq!(fixed.website.as_deref(), Some("https://acme.com"));
    assert_eq!(
        values.len(),
        1,
        "a company's city is its address city, a value"
    );
}

#[test]
fn every_error_names_its_key() {
    let mut fixed = IntentFields::default();
    let errors = read(
        EntityKind::Company,
        &json!({
            "category": "Fintek",
            "nosuch": "1",
            "external_id": "c2",
            "address.nowhere": "x",
            "revenue": "many",
            "keywords": ["a", 3],
            "ignore": "x",
        }),
        &mut fixed,
    )
    .unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "address.nowhere",
            "category",
            "external_id",
            "nosuch",
            "revenue"
        ]
    );
    assert!(errors[1].message.contains("Fintech"), "{:?}", errors[1]);
}

#[test]
fn the_relay_reads_back_the_values_it_was_sent() {
    let mut fixed = IntentFields::default();
    let inputs = json!({
        "category": "fintech",
        "tags": "Agency, Café",
        "listingUrl": "dir.example/acme",
        "listingUrl.secondaryLinks": "a.example, b.example",
        "stars": "★★★",
        "founded": "2001-02-03",
        "lastContact": "2025-03-04T05:06:07Z",
        "revenue": "1234567.125",
        "extra": "{\"b\": [1, 2], \"a\": null}",
        "keywords": "x, y, x",
        "verified": "x",
        "employees": "1 200",
        "annualRecurringRevenue": "-12.5",
        "annualRecurringRevenue.currencyCode": "eur",
        "address.street1": "1 Main St",
    });
    let sent = match read(EntityKind::Company, &inputs, &mut fixed) {
        Ok(values) => values,
        Err(errors) => panic!("{errors:?}"),
    };
    let wire = Value::Object(inputs_of(&sent));
    let mut again = IntentFields::default();
    let model = workspace();
    let relay_hints = ReadHints {
        decimal: DecimalSeparator::Dot,
        dates: DateOrder::Auto,
    };
    let received = read_field_inputs(
        model.object(EntityKind::Company),
        wire.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v)),
        relay_hints,
        &mut again,
    )
    .unwrap_or_else(|errors| panic!("{errors:?} reading {wire}"));
    assert_eq!(received, sent, "{wire}");
}
