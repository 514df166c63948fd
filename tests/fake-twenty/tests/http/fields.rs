//! The workspace data model of issue 15 on both builds: standard and directory custom fields of
//! every type in the metadata (GraphQL per object with cursors, REST listing), record writes
//! checked against it with Twenty's messages, custom values stored and returned, PATCH merging
//! only what it is given, and the control API's edit made "in Twenty".

use fake_twenty::{FakeConfig, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::T;

const BUILDS: [Profile; 2] = [Profile::Legacy2025, Profile::Current];

fn config(profile: Profile) -> FakeConfig {
    match profile {
        Profile::Legacy2025 => FakeConfig::august_2025(),
        Profile::Current => FakeConfig {
            rate_limit: None,
            ..FakeConfig::twenty_2_4()
        },
    }
    .directory()
}

/// Every field node of one object, read through the GraphQL fields connection page by page.
async fn graphql_fields(t: &T, object: &str) -> Vec<Value> {
    let id = t.fake.object_metadata_id(object);
    let mut all = Vec::new();
    let mut after = String::new();
    for _ in 0..50 {
        let query = format!(
            "{{ objects(paging:{{first:1}}, filter:{{id:{{eq:\"{id}\"}}}}) {{ edges {{ node {{ id \
             fields(paging:{{first:7{after}}}) {{ edges {{ node {{ id name label type options \
             isNullable isUnique isActive isCustom isSystem defaultValue }} }} pageInfo {{ \
             hasNextPage endCursor }} }} }} }} }} }}"
        );
        let (status, body) = t.post("/metadata", json!({ "query": query })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let fields = &body["data"]["objects"]["edges"][0]["node"]["fields"];
        for edge in fields["edges"].as_array().unwrap() {
            all.push(edge["node"].clone());
        }
        if fields["pageInfo"]["hasNextPage"] != json!(true) {
            return all;
        }
        after = format!(
            ", after:\"{}\"",
            fields["pageInfo"]["endCursor"].as_str().unwrap()
        );
    }
    panic!("no last page");
}

fn named<'a>(fields: &'a [Value], name: &str) -> &'a Value {
    fields
        .iter()
        .find(|f| f["name"] == json!(name))
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn option_values(field: &Value) -> Vec<&str> {
    field["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metadata_describes_every_field_with_its_type_and_options() {
    for profile in BUILDS {
        let t = T::new(config(profile)).await;
        let company = graphql_fields(&t, "companies").await;
        let types: Vec<(&str, &str)> = [
            ("name", "TEXT"),
            ("domainName", "LINKS"),
            ("address", "ADDRESS"),
            ("employees", "NUMBER"),
            ("linkedinLink", "LINKS"),
            ("xLink", "LINKS"),
            ("annualRecurringRevenue", "CURRENCY"),
            ("idealCustomerProfile", "BOOLEAN"),
            ("position", "POSITION"),
            ("createdBy", "ACTOR"),
            ("accountOwner", "RELATION"),
            ("category", "SELECT"),
            ("tags", "MULTI_SELECT"),
            ("listingUrl", "LINKS"),
            ("rating", "RATING"),
            ("foundedOn", "DATE"),
            ("lastReviewedAt", "DATE_TIME"),
            ("score", "NUMERIC"),
            ("aliases", "ARRAY"),
            ("extra", "RAW_JSON"),
            ("verified", "BOOLEAN"),
        ]
        .into();
        for (name, ftype) in &types {
            assert_eq!(
                named(&company, name)["type"],
                json!(ftype),
                "{profile:?} {name}"
            );
        }
        let category = named(&company, "category");
        assert_eq!(category["isCustom"], json!(true));
        assert_eq!(category["isActive"], json!(true));
        assert_eq!(category["isSystem"], json!(false));
        assert_eq!(category["isNullable"], json!(true));
        assert_eq!(category["isUnique"], json!(false));
        assert_eq!(
            option_values(category),
            ["AGENCY", "FINTECH", "IN_PROGRESS", "CAFE", "A_B"]
        );
        let cafe = &category["options"][3];
        assert_eq!(cafe["label"], json!("Café"));
        assert_eq!(cafe["position"], json!(3));
        assert!(
            cafe["color"].is_string() && cafe["id"].is_string(),
            "{cafe}"
        );
        assert_eq!(
            option_values(named(&company, "rating")),
            ["RATING_1", "RATING_2", "RATING_3", "RATING_4", "RATING_5"]
        );
        assert_eq!(named(&company, "listingUrl")["label"], json!("Listing URL"));
        assert_eq!(named(&company, "name")["isCustom"], json!(false));
        assert_eq!(named(&company, "name")["defaultValue"], json!("''"));
        assert_eq!(named(&company, "position")["isSystem"], json!(true));
        assert_eq!(named(&company, "domainName")["isUnique"], json!(true));
        assert_eq!(
            named(&company, "address")["defaultValue"]["addressCity"],
            json!("''")
        );
        assert!(named(&company, "employees")["options"].is_null());

        let person = graphql_fields(&t, "people").await;
        for (name, ftype) in [
            ("name", "FULL_NAME"),
            ("emails", "EMAILS"),
            ("phones", "PHONES"),
            ("linkedinLink", "LINKS"),
            ("xLink", "LINKS"),
            ("jobTitle", "TEXT"),
            ("city", "TEXT"),
            ("avatarUrl", "TEXT"),
            ("company", "RELATION"),
            ("seniority", "SELECT"),
            ("nickname", "TEXT"),
        ] {
            assert_eq!(
                named(&person, name)["type"],
                json!(ftype),
                "{profile:?} {name}"
            );
        }
        assert_eq!(named(&person, "emails")["isUnique"], json!(true));
        assert_eq!(
            option_values(named(&person, "seniority")),
            ["JUNIOR", "SENIOR", "LEAD"]
        );
        assert_eq!(person.len(), {
            let (_, v) = t
                .post(
                    "/metadata",
                    json!({"query": "{ objects(paging:{first:200}) { edges { node { nameSingular fields(paging:{first:1000}) { edges { node { name } } } } } } }"}),
                )
                .await;
            v["data"]["objects"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["node"]["nameSingular"] == json!("person"))
                .unwrap()["node"]["fields"]["edges"]
                .as_array()
                .unwrap()
                .len()
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_listing_serves_the_same_fields_where_it_answers() {
    let t = T::new(config(Profile::Current)).await;
    let (status, body) = t.get("/rest/metadata/objects").await;
    assert_eq!(status, StatusCode::OK);
    let company = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["nameSingular"] == json!("company"))
        .unwrap();
    let fields = company["fields"].as_array().unwrap();
    let tags = named(fields, "tags");
    assert_eq!(tags["type"], json!("MULTI_SELECT"));
    assert_eq!(tags["options"][0]["value"], json!("AGENCY"));
    assert_eq!(tags["options"][0]["label"], json!("Agency"));
    assert_eq!(named(fields, "score")["type"], json!("NUMERIC"));
    // The Aug-2025 build keeps refusing the REST listing.
    let t = T::new(config(Profile::Legacy2025)).await;
    assert_eq!(
        t.get("/rest/metadata/objects").await.0,
        StatusCode::BAD_REQUEST
    );
}

fn full_company() -> Value {
    json!({
        "name": "Café Rive",
        "domainName": {"primaryLinkUrl": "https://cafe-rive.example"},
        "address": {"addressStreet1": "1 quai", "addressCity": "Paris", "addressPostcode": "75001", "addressCountry": "France"},
        "employees": 12,
        "linkedinLink": {"primaryLinkUrl": "https://linkedin.com/company/cafe-rive"},
        "annualRecurringRevenue": {"amountMicros": 1500000000, "currencyCode": "EUR"},
        "idealCustomerProfile": true,
        "category": "CAFE",
        "tags": ["CAFE", "A_B"],
        "listingUrl": {"primaryLinkUrl": "https://dir.example/cafe-rive", "primaryLinkLabel": "Listing"},
        "rating": "RATING_4",
        "foundedOn": "2011-05-03",
        "lastReviewedAt": "2026-01-02T03:04:05.000Z",
        "score": "12.5",
        "aliases": ["Rive", "Cafe Rive"],
        "extra": {"source": "directory", "stars": [1, 2]},
        "verified": true,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn records_store_and_return_every_type() {
    for profile in BUILDS {
        let t = T::new(config(profile)).await;
        let (status, body) = t.post("/rest/companies", full_company()).await;
        assert_eq!(status, StatusCode::CREATED, "{profile:?} {body}");
        let created = &body["data"]["createCompany"];
        let id = created["id"].as_str().unwrap().to_string();
        let (status, body) = t.get(&format!("/rest/companies/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let got = &body["data"]["company"];
        assert_eq!(got, created);
        assert_eq!(got["category"], json!("CAFE"));
        assert_eq!(got["tags"], json!(["CAFE", "A_B"]));
        assert_eq!(got["rating"], json!("RATING_4"));
        assert_eq!(got["foundedOn"], json!("2011-05-03"));
        assert_eq!(got["score"], json!("12.5"));
        assert_eq!(got["aliases"], json!(["Rive", "Cafe Rive"]));
        assert_eq!(got["extra"]["stars"], json!([1, 2]));
        assert_eq!(got["verified"], json!(true));
        assert_eq!(got["address"]["addressCity"], json!("Paris"));
        assert_eq!(got["address"]["addressState"], json!(""));
        assert_eq!(
            got["listingUrl"]["primaryLinkUrl"],
            json!("https://dir.example/cafe-rive")
        );
        assert_eq!(
            got["annualRecurringRevenue"],
            json!({"amountMicros": 1500000000, "currencyCode": "EUR"})
        );

        // A company written without the custom fields holds their defaults.
        let (_, body) = t.post("/rest/companies", json!({"name": "Bare"})).await;
        let bare = &body["data"]["createCompany"];
        assert!(
            bare["category"].is_null() && bare["tags"].is_null(),
            "{bare}"
        );
        assert_eq!(bare["verified"], json!(false));
        assert_eq!(bare["listingUrl"]["primaryLinkUrl"], json!(""));

        // Batch and person custom fields.
        let (status, body) = t
            .post(
                "/rest/batch/people",
                json!([{"name": {"firstName": "Ada", "lastName": "L"}, "seniority": "LEAD", "nickname": "Countess", "jobTitle": "Analyst"}]),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let person = &body["data"]["createPeople"][0];
        assert_eq!(person["seniority"], json!("LEAD"));
        assert_eq!(person["nickname"], json!("Countess"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_changes_only_the_fields_it_is_given() {
    for profile in BUILDS {
        let t = T::new(config(profile)).await;
        let (_, body) = t.post("/rest/companies", full_company()).await;
        let before = body["data"]["createCompany"].clone();
        let id = before["id"].as_str().unwrap();
        let (status, body) = t
            .send(
                "PATCH",
                &format!("/rest/companies/{id}"),
                Some(json!({"category": "AGENCY", "address": {"addressCity": "Lyon"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let after = &body["data"]["updateCompany"];
        assert_eq!(after["category"], json!("AGENCY"));
        // A composite is replaced whole: the street that was not sent is gone.
        assert_eq!(after["address"]["addressCity"], json!("Lyon"));
        assert_eq!(after["address"]["addressStreet1"], json!(""));
        for untouched in ["name", "tags", "listingUrl", "rating", "extra", "employees"] {
            assert_eq!(
                after[untouched], before[untouched],
                "{profile:?} {untouched}"
            );
        }
    }
}

/// A company create, for the value checks.
async fn refusal(t: &T, body: Value) -> (StatusCode, Value) {
    t.post("/rest/companies", body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn values_outside_the_options_are_refused_with_twentys_message() {
    for profile in BUILDS {
        let t = T::new(config(profile)).await;
        for (body, message) in [
            (
                json!({"category": "BAKERY"}),
                "Invalid value 'BAKERY' for field \"category\"",
            ),
            (
                json!({"rating": "RATING_9"}),
                "Invalid value 'RATING_9' for field \"rating\"",
            ),
            (
                json!({"tags": ["CAFE", "Bakery"]}),
                "Invalid value [ 'CAFE', 'Bakery' ] for multi select field \"tags\"",
            ),
            // A label is not a value.
            (
                json!({"category": "Café"}),
                "Invalid value 'Café' for field \"category\"",
            ),
            (
                json!({"listingUrl": {"url": "https://x.example"}}),
                "Invalid subfield url for links field \"listingUrl\"",
            ),
            (
                json!({"address": {"addressTown": "Paris"}}),
                "Invalid subfield addressTown for address field \"address\"",
            ),
        ] {
            let (status, answer) = refusal(&t, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{profile:?} {body}");
            assert_eq!(answer["messages"], json!([message]), "{profile:?} {body}");
            assert_eq!(answer["statusCode"], json!(400));
            assert_eq!(answer["error"], json!("BadRequestException"));
            let code = match profile {
                Profile::Legacy2025 => Value::Null,
                Profile::Current => json!("INVALID_ARGS_DATA"),
            };
            assert_eq!(answer.get("code").cloned().unwrap_or(Value::Null), code);
        }
        // A batch with one bad value creates nothing; PATCH and upsert check the same way.
        let (status, _) = t
            .post(
                "/rest/batch/companies",
                json!([{"name": "Ok", "category": "AGENCY"}, {"name": "Bad", "category": "NOPE"}]),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(t.fake.records("companies").is_empty());
        let (_, body) = t.post("/rest/companies", json!({"name": "Ok"})).await;
        let id = body["data"]["createCompany"]["id"].as_str().unwrap();
        let (status, body) = t
            .send(
                "PATCH",
                &format!("/rest/companies/{id}"),
                Some(json!({"tags": ["NOPE"]})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["messages"],
            json!(["Invalid value [ 'NOPE' ] for multi select field \"tags\""])
        );
        let (status, _) = t
            .post(
                "/rest/companies?upsert=true",
                json!({"name": "Ok", "rating": "five"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Unknown field: each build's literal answer.
        let (status, body) = t.post("/rest/people", json!({"bogusField": 1})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let expected = match profile {
            Profile::Legacy2025 => {
                "Field metadata for field \"bogusField\" is missing in object metadata person"
            }
            Profile::Current => "Object person doesn't have any \"bogusField\" field.",
        };
        assert_eq!(body["messages"], json!([expected]));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_json_types_are_refused_with_twentys_messages_on_2_4() {
    let t = T::new(config(Profile::Current)).await;
    for (body, message) in [
        (
            json!({"employees": "twelve"}),
            "Invalid number value 'twelve' for field \"employees\"",
        ),
        (
            json!({"score": "high"}),
            "Invalid number value NaN for field \"score\"",
        ),
        (
            json!({"verified": "yes"}),
            "Invalid boolean value 'yes' for field \"verified\"",
        ),
        (
            json!({"name": 12}),
            "Invalid string value 12 for text field \"name\"",
        ),
        (
            json!({"category": 3}),
            "Invalid string value 3 for text field \"category\"",
        ),
        (
            json!({"foundedOn": "03/05/2011"}),
            "Invalid value '03/05/2011' for date field \"foundedOn\". Expected format: 'YYYY-MM-DD'",
        ),
        (
            json!({"lastReviewedAt": "yesterday"}),
            "Invalid value 'yesterday' for date-time field \"lastReviewedAt\". Expected format: 'YYYY-MM-DDTHH:mm:ssZ'",
        ),
        (
            json!({"aliases": ["a", 2]}),
            "Invalid value [ 'a', 2 ] for field \"aliases - Array values need to be string\"",
        ),
        (
            json!({"extra": "not json"}),
            "Invalid object value 'not json' for field \"extra\"",
        ),
        (
            json!({"listingUrl": "https://x.example"}),
            "Invalid object value 'https://x.example' for field \"listingUrl\"",
        ),
        (
            json!({"listingUrl": {"primaryLinkUrl": 5}}),
            "Invalid string value 5 for text field \"listingUrl.primaryLinkUrl\"",
        ),
        (
            json!({"annualRecurringRevenue": {"amountMicros": "lots"}}),
            "Invalid number value NaN for field \"annualRecurringRevenue.amountMicros\"",
        ),
    ] {
        let (status, answer) = refusal(&t, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["messages"], json!([message]), "{body}");
        assert_eq!(answer["code"], json!("INVALID_ARGS_DATA"));
    }
    // Null clears any field; a numeric string is a NUMERIC; a JSON string is a RAW_JSON.
    let (status, body) = refusal(
        &t,
        json!({"category": null, "tags": null, "score": 7, "extra": "{\"a\":1}"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["createCompany"]["extra"], json!({"a": 1}));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_json_types_keep_the_august_2025_message() {
    let t = T::new(config(Profile::Legacy2025)).await;
    let (status, body) = refusal(&t, json!({"verified": "yes"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["messages"],
        json!(["Invalid value '\"yes\"' for field \"verified\" of object company"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_made_in_twenty_survives_and_is_not_logged() {
    for profile in BUILDS {
        let t = T::new(config(profile)).await;
        let (_, body) = t
            .post(
                "/rest/people",
                json!({"name": {"firstName": "Ada", "lastName": "L"}, "jobTitle": "Analyst", "city": "London"}),
            )
            .await;
        let id = body["data"]["createPerson"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.fake.clear_requests();

        // Through the control API, as Playwright or another process would.
        let http = crate::support::client();
        let answer = http
            .patch(format!(
                "{}/__fake/records/people/{id}",
                t.fake.control_url()
            ))
            .json(&json!({"jobTitle": "Countess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let edited: Value = answer.json().await.unwrap();
        assert_eq!(edited["jobTitle"], json!("Countess"));
        assert_eq!(
            t.fake.request_count(),
            0,
            "a control edit is not an API request"
        );

        // A later API PATCH of another field leaves the edit alone.
        let (status, body) = t
            .send(
                "PATCH",
                &format!("/rest/people/{id}"),
                Some(json!({"city": "Paris"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let person = &body["data"]["updatePerson"];
        assert_eq!(person["jobTitle"], json!("Countess"));
        assert_eq!(person["city"], json!("Paris"));

        // The same through the library, with Twenty's refusal of a bad value.
        let edited = t
            .fake
            .edit_record("people", &id, json!({"seniority": "SENIOR"}))
            .unwrap();
        assert_eq!(edited["seniority"], json!("SENIOR"));
        assert_eq!(
            t.fake
                .edit_record("people", &id, json!({"seniority": "BOSS"}))
                .unwrap_err(),
            "Invalid value 'BOSS' for field \"seniority\""
        );
        let answer = http
            .patch(format!(
                "{}/__fake/records/people/{}",
                t.fake.control_url(),
                uuid_absent()
            ))
            .json(&json!({"jobTitle": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    }
}

fn uuid_absent() -> &'static str {
    "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_fields_can_be_added_later_and_through_the_control_api() {
    let t = T::new(FakeConfig::august_2025()).await;
    assert!(!t.fake.has_field("companies", "category"));
    let answer = crate::support::client()
        .post(format!("{}/__fake/config", t.fake.control_url()))
        .json(&json!({"directory_fields": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(t.fake.has_field("companies", "category"));
    assert!(t.fake.has_field("people", "seniority"));
    t.fake.add_directory_fields();
    let fields = graphql_fields(&t, "companies").await;
    assert_eq!(
        fields
            .iter()
            .filter(|f| f["name"] == json!("category"))
            .count(),
        1
    );
    // A SELECT created through the metadata API keeps the options it was given.
    let object = t.fake.object_metadata_id("people");
    let (status, body) = t
        .post(
            "/rest/metadata/fields",
            json!({"objectMetadataId": object, "type": "SELECT", "name": "stage", "label": "Stage",
                   "options": [{"value": "NEW", "label": "New", "color": "blue", "position": 0},
                               {"value": "WON", "label": "Won", "color": "green", "position": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["data"]["createOneField"]["options"][1]["value"],
        json!("WON")
    );
    let (status, _) = t.post("/rest/people", json!({"stage": "LOST"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = t.post("/rest/people", json!({"stage": "WON"})).await;
    assert_eq!(status, StatusCode::CREATED);
}
