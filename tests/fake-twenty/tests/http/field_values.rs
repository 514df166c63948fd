//! Record writes against the issue-15 data model on both builds: custom values of every type
//! stored and returned, PATCH merging only what it is given, Twenty's messages for values outside
//! the options, unknown subfields and wrong JSON types, and the control API's edit made "in
//! Twenty".

use fake_twenty::Profile;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::fields::{config, BUILDS};
use crate::support::T;

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
