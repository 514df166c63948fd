//! Tests for the JSON each field is sent as, the normalised form and hash per field, and the
//! update body holding only what changed.

use serde_json::json;

use super::*;

fn values(entries: &[(&str, CellValue)]) -> FieldValues {
    let mut values = FieldValues::new();
    for (text, value) in entries {
        assert!(values.set(target(text), value.clone()), "{text} set twice");
    }
    values
}

fn text(value: &str) -> CellValue {
    CellValue::Text(value.into())
}

fn number(value: &str) -> CellValue {
    CellValue::Number(Decimal::parse(value, DecimalSeparator::Dot).expect("a number"))
}

#[test]
fn todays_fields_keep_todays_shapes() {
    let company = values(&[
        ("name", text("Acme")),
        ("domainName.primaryLinkUrl", text("https://acme.com")),
    ]);
    assert_eq!(
        serde_json::Value::Object(company.body()),
        json!({"name": "Acme", "domainName": {"primaryLinkUrl": "https://acme.com", "primaryLinkLabel": "", "secondaryLinks": []}})
    );
    let person = values(&[
        (
            "name",
            CellValue::FullName {
                first: "Ada".into(),
                last: "Lovelace".into(),
            },
        ),
        ("emails.primaryEmail", text("ada@example.com")),
        ("phones.primaryPhoneNumber", text("+33612345678")),
        ("jobTitle", text("Engineer")),
        ("city", text("London")),
    ]);
    assert_eq!(
        serde_json::Value::Object(person.body()),
        json!({
            "name": {"firstName": "Ada", "lastName": "Lovelace"},
            "emails": {"primaryEmail": "ada@example.com", "additionalEmails": []},
            "phones": {"primaryPhoneNumber": "+33612345678", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "", "additionalPhones": []},
            "jobTitle": "Engineer",
            "city": "London",
        })
    );
}

#[test]
fn every_type_has_its_wire_shape() {
    let record = values(&[
        ("address.addressCity", text("Paris")),
        ("address.addressCountry", text("France")),
        (
            "annualRecurringRevenue.amountMicros",
            CellValue::Micros(1_500_000),
        ),
        ("annualRecurringRevenue.currencyCode", text("EUR")),
        ("employees", number("42")),
        ("revenue", number("123456789012345678901234567890.5")),
        ("verified", CellValue::Boolean(true)),
        (
            "tags",
            CellValue::List(vec!["AGENCY".into(), "FINTECH".into()]),
        ),
        ("category", text("AGENCY")),
        ("extra", CellValue::Json("{\"a\":[1]}".into())),
        (
            "linkedinLink.primaryLinkUrl",
            text("https://linkedin.com/company/acme"),
        ),
        (
            "linkedinLink.secondaryLinks",
            CellValue::List(vec!["https://a.com".into()]),
        ),
        ("founded", text("2025-04-03")),
    ]);
    let person = values(&[
        (
            "emails.additionalEmails",
            CellValue::List(vec!["b@x.com".into()]),
        ),
        (
            "phones.additionalPhones",
            CellValue::List(vec!["+442079460000".into()]),
        ),
        ("phones.primaryPhoneCallingCode", text("+44")),
        ("name.lastName", text("Hopper")),
    ]);
    assert_eq!(
        serde_json::Value::Object(record.body()),
        json!({
            "address": {"addressStreet1": "", "addressStreet2": "", "addressCity": "Paris", "addressPostcode": "", "addressState": "", "addressCountry": "France"},
            "annualRecurringRevenue": {"amountMicros": 1_500_000, "currencyCode": "EUR"},
            "employees": 42,
            "revenue": "123456789012345678901234567890.5",
            "verified": true,
            "tags": ["AGENCY", "FINTECH"],
            "category": "AGENCY",
            "extra": {"a": [1]},
            "linkedinLink": {"primaryLinkUrl": "https://linkedin.com/company/acme", "primaryLinkLabel": "", "secondaryLinks": [{"url": "https://a.com", "label": ""}]},
            "founded": "2025-04-03",
        })
    );
    assert_eq!(
        serde_json::Value::Object(person.body()),
        json!({
            "emails": {"primaryEmail": "", "additionalEmails": ["b@x.com"]},
            "phones": {"primaryPhoneNumber": "", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "+44",
                       "additionalPhones": [{"number": "+442079460000", "callingCode": "", "countryCode": ""}]},
            "name": {"firstName": "", "lastName": "Hopper"},
        })
    );
    let amount_only = values(&[("annualRecurringRevenue.currencyCode", text("USD"))]);
    assert_eq!(
        amount_only.to_wire()["annualRecurringRevenue"],
        json!({"amountMicros": null, "currencyCode": "USD"})
    );
}

#[test]
fn a_whole_name_and_its_parts_make_one_name_and_either_part_wins() {
    let whole = values(&[(
        "name",
        CellValue::FullName {
            first: "Ada".into(),
            last: "Lovelace".into(),
        },
    )]);
    let parts = values(&[
        ("name.firstName", text("Ada")),
        ("name.lastName", text("Lovelace")),
    ]);
    assert_eq!(whole.hashes(), parts.hashes());
    let both = values(&[
        (
            "name",
            CellValue::FullName {
                first: "Ada".into(),
                last: "King".into(),
            },
        ),
        ("name.lastName", text("Lovelace")),
    ]);
    assert_eq!(
        both.to_wire()["name"],
        json!({"firstName": "", "lastName": "Lovelace"})
    );
}

#[test]
fn only_changed_fields_are_sent_and_fields_never_given_are_left_alone() {
    let pushed = values(&[
        ("jobTitle", text("Engineer")),
        ("city", text("London")),
        ("emails.primaryEmail", text("a@x.com")),
    ]);
    let last = pushed.hashes();
    assert!(pushed.changed_body(&last).is_empty());
    assert!(changed_fields(&last, &pushed.hashes()).is_empty());
    // The directory changes the city, stops sending the job title, and adds a phone.
    let now = values(&[
        ("city", text("Paris")),
        ("emails.primaryEmail", text("a@x.com")),
        ("phones.primaryPhoneNumber", text("+33612345678")),
    ]);
    assert_eq!(changed_fields(&last, &now.hashes()), ["city", "phones"]);
    let body = serde_json::Value::Object(now.changed_body(&last));
    assert_eq!(
        body,
        json!({"city": "Paris", "phones": {"primaryPhoneNumber": "+33612345678", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "", "additionalPhones": []}})
    );
    // A part changing sends the whole composite again.
    let more = values(&[
        ("emails.primaryEmail", text("a@x.com")),
        (
            "emails.additionalEmails",
            CellValue::List(vec!["b@x.com".into()]),
        ),
    ]);
    assert_eq!(changed_fields(&last, &more.hashes()), ["emails"]);
}

#[test]
fn the_normalised_form_is_canonical_json_and_the_hash_is_fixed() {
    let record = values(&[
        ("extra", CellValue::Json("{\"b\":2,\"a\":1}".into())),
        ("employees", number("1200")),
    ]);
    let normalised = record.normalised();
    assert_eq!(normalised["extra"], "{\"a\":1,\"b\":2}");
    assert_eq!(normalised["employees"], "1200");
    assert_eq!(
        canonical_json(&json!({"z": [1, {"b": null, "a": "é\""}], "a": true})),
        "{\"a\":true,\"z\":[1,{\"a\":\"é\\\"\",\"b\":null}]}"
    );
    // Golden: the hash of a field's normalised form must never change (it would make every
    // record look changed once).
    let hash = values(&[("city", text("London"))]).hashes()["city"];
    assert_eq!(hash, GOLDEN_CITY_LONDON, "{hash:?}");
}

const GOLDEN_CITY_LONDON: FieldHash = [
    164, 253, 214, 24, 3, 16, 202, 211, 168, 220, 29, 105, 201, 14, 10, 108,
];

#[test]
fn a_target_set_twice_keeps_its_first_value() {
    let mut record = FieldValues::new();
    assert!(record.set(target("city"), text("London")));
    assert!(!record.set(target("city"), text("Paris")));
    assert_eq!(record.get(&target("city")), Some(&text("London")));
    assert_eq!(record.len(), 1);
}

#[test]
fn values_and_targets_survive_json_and_bincode() {
    let record = values(&[
        ("address.addressCity", text("Paris")),
        ("employees", number("12.5")),
        (
            "name",
            CellValue::FullName {
                first: "A".into(),
                last: "B".into(),
            },
        ),
        ("annualRecurringRevenue.amountMicros", CellValue::Micros(-3)),
        ("verified", CellValue::Boolean(false)),
        ("tags", CellValue::List(vec!["X".into()])),
        ("extra", CellValue::Json("[]".into())),
    ]);
    let text = serde_json::to_string(&record).expect("json");
    assert!(text.contains("\"address.addressCity\""), "{text}");
    assert_eq!(
        serde_json::from_str::<FieldValues>(&text).expect("back"),
        record
    );
    let config = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(&record, config).expect("bincode");
    let (back, _): (FieldValues, usize) =
        bincode::serde::decode_from_slice(&bytes, config).expect("back");
    assert_eq!(back, record);
    assert!(serde_json::from_str::<FieldTarget>("\"address.moon\"").is_err());
    assert!(serde_json::from_str::<FieldTarget>("\".addressCity\"").is_err());
    assert!(serde_json::from_str::<Decimal>("\"1,5\"").is_err());
}

#[test]
fn targets_are_text_in_json_and_name_plus_part_when_stored() {
    let target = FieldTarget::new("address", Some(Part::AddressCity));
    assert_eq!(
        serde_json::to_value(&target).unwrap(),
        serde_json::json!("address.addressCity")
    );
    let back: FieldTarget =
        serde_json::from_value(serde_json::json!("address.addressCity")).unwrap();
    assert_eq!(back, target);
    let config = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(&target, config).unwrap();
    assert_eq!(bytes, b"\x07address\x01\x0baddressCity");
    let (stored, _): (FieldTarget, usize) =
        bincode::serde::decode_from_slice(&bytes, config).unwrap();
    assert_eq!(stored, target);
    let whole = bincode::serde::encode_to_vec(FieldTarget::new("tags", None), config).unwrap();
    assert_eq!(whole, b"\x04tags\x00");
    for hostile in [&b"\x00\x00"[..], b"\x01a\x01\x04nope", b"\x01a\x01"] {
        assert!(
            bincode::serde::decode_from_slice::<FieldTarget, _>(hostile, config).is_err(),
            "{hostile:?}"
        );
    }
}

#[test]
fn field_hashes_are_kept_in_name_order_and_stored_as_a_map_of_names() {
    let hashes: FieldHashes = [("name", [1; 16]), ("address", [2; 16]), ("name", [3; 16])].into();
    assert_eq!(hashes.keys().collect::<Vec<_>>(), ["address", "name"]);
    assert_eq!(
        hashes.get("name"),
        Some(&[3; 16]),
        "the last of a name given twice"
    );
    assert_eq!(hashes.get("city"), None);
    let as_map: std::collections::BTreeMap<String, [u8; 16]> = [
        ("address".to_string(), [2; 16]),
        ("name".to_string(), [3; 16]),
    ]
    .into();
    let config = bincode::config::standard();
    let stored = bincode::serde::encode_to_vec(&hashes, config).expect("encodes");
    assert_eq!(
        stored,
        bincode::serde::encode_to_vec(&as_map, config).expect("encodes")
    );
    let (read, _): (FieldHashes, usize) =
        bincode::serde::decode_from_slice(&stored, config).expect("decodes");
    assert_eq!(read, hashes);
    let json = serde_json::to_string(&hashes).expect("json");
    assert_eq!(json, serde_json::to_string(&as_map).expect("json"));
    assert_eq!(
        serde_json::from_str::<FieldHashes>(&json).expect("json"),
        hashes
    );
}

/// Stored values as bytes, written by hand: what a corrupt store could hold.
#[derive(serde::Serialize)]
enum StoredCell {
    Text(String),
    #[allow(dead_code)]
    List(Vec<String>),
    Number(String),
}

fn stored(entries: &[((&str, Option<&str>), StoredCell)]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Stored<'a> {
        values: Vec<(&'a (&'a str, Option<&'a str>), &'a StoredCell)>,
    }
    // A map is stored as a sequence of pairs: the same bytes.
    let stored = Stored {
        values: entries
            .iter()
            .map(|(target, cell)| (target, cell))
            .collect(),
    };
    bincode::serde::encode_to_vec(&stored, bincode::config::standard()).expect("encodes")
}

fn read(bytes: &[u8], skipping: bool) -> Result<FieldValues, String> {
    let decode = || {
        bincode::serde::borrow_decode_from_slice::<FieldValues, _>(
            bytes,
            bincode::config::standard(),
        )
        .map_err(|e| e.to_string())
        .and_then(|(values, read)| {
            (read == bytes.len())
                .then_some(values)
                .ok_or("trailing bytes".to_string())
        })
    };
    if skipping {
        values_skipped(decode)
    } else {
        decode()
    }
}

#[test]
fn values_skipped_are_checked_as_reading_them_checks_them() {
    let good = stored(&[
        (
            ("address", Some("addressCity")),
            StoredCell::Text("Lyon".into()),
        ),
        (("employees", None), StoredCell::Number("12".into())),
    ]);
    assert_eq!(read(&good, false).expect("reads").len(), 2);
    assert!(read(&good, true).expect("reads").is_empty());
    for bad in [
        stored(&[(("", None), StoredCell::Text("x".into()))]),
        stored(&[(
            ("address", Some("addressTown")),
            StoredCell::Text("x".into()),
        )]),
        stored(&[(("employees", None), StoredCell::Number("twelve".into()))]),
    ] {
        assert!(read(&bad, false).is_err());
        assert!(read(&bad, true).is_err());
    }
}

#[test]
fn every_kind_of_value_has_its_skipped_twin_in_the_same_place() {
    let every = [
        CellValue::Text("a".into()),
        CellValue::List(vec!["a".into()]),
        CellValue::Number(Decimal::parse("1.5", DecimalSeparator::Dot).expect("a number")),
        CellValue::Boolean(true),
        CellValue::Micros(1),
        CellValue::Json("{}".into()),
        CellValue::FullName {
            first: "a".into(),
            last: "b".into(),
        },
    ];
    let places: Vec<usize> = every
        .iter()
        .map(super::super::skipped::same_variants)
        .collect();
    assert_eq!(places, (0..every.len()).collect::<Vec<_>>());
    for (place, value) in every.into_iter().enumerate() {
        let mut values = FieldValues::new();
        values.set(FieldTarget::new("field", None), value);
        let bytes =
            bincode::serde::encode_to_vec(&values, bincode::config::standard()).expect("encodes");
        assert!(
            read(&bytes, true).expect("skipped").is_empty(),
            "variant {place}"
        );
        assert_eq!(read(&bytes, false).expect("read"), values);
    }
}
