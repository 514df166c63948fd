//! The measurements issue 14 is built on, as the two flavours reproduce them: the August 2025
//! build takes 3,000 records in one batch; 2.4.0 caps every batch (creates, upserts, people) at
//! 200 with its literal refusal and counts one token per request whatever its size, refused ones
//! included; and the combined lookups the engine sends (by `externalId` or by a unique value, in
//! one `or(…)`) are answered on both.

use std::time::Duration;

use fake_twenty::{FakeConfig, Profile, RateLimitConfig};
use serde_json::{json, Value};

use crate::support::{enc, lit, T};

const CAP_REFUSAL: &str = r#"{"statusCode":400,"error":"BadRequestException","messages":["Maximum number of records to upsert is 200."]}"#;
const LIMIT_REACHED: &str = r#"{"statusCode":429,"error":"HttpException","messages":["Limit reached (100 tokens per 60000 ms)"]}"#;

fn companies(n: usize, tag: &str) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"name": format!("{tag} {i}"), "externalId": format!("{tag}-{i}")}))
            .collect(),
    )
}

fn remaining_tokens(t: &T) -> u64 {
    t.fake.state_json()["faults"]["rate_limit"]["remaining"]
        .as_u64()
        .expect("a rate limit is installed")
}

#[tokio::test(flavor = "multi_thread")]
async fn august_2025_takes_3000_companies_in_one_batch() {
    let t = T::new(FakeConfig {
        with_external_id: true,
        ..FakeConfig::august_2025()
    })
    .await;
    let r = t
        .post("/rest/batch/companies", companies(3_000, "big"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["data"]["createCompanies"].as_array().unwrap().len(),
        3_000
    );
    assert_eq!(t.fake.records("companies").len(), 3_000);
    assert_eq!(t.fake.state_json()["faults"]["rate_limit"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_caps_creates_upserts_and_people_at_200() {
    let t = T::new(FakeConfig {
        with_external_id: true,
        ..FakeConfig::twenty_2_4()
    })
    .await;
    for path in ["/rest/batch/companies", "/rest/batch/companies?upsert=true"] {
        let r = t.post(path, companies(201, "over")).await;
        assert_eq!((r.status, &r.body), (400, &lit(CAP_REFUSAL)), "{path}");
    }
    let people: Vec<Value> = (0..201)
        .map(|i| json!({"emails": {"primaryEmail": format!("p{i}@example.com")}}))
        .collect();
    let r = t.post("/rest/batch/people", Value::Array(people)).await;
    assert_eq!((r.status, &r.body), (400, &lit(CAP_REFUSAL)));
    assert!(t.fake.records("companies").is_empty() && t.fake.records("people").is_empty());
    let r = t
        .post("/rest/batch/companies?upsert=true", companies(200, "cap"))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_counts_one_token_per_request_whatever_its_size() {
    // A slowed clock (one token per 600 s) so that refill cannot blur the counts.
    let t = T::new(FakeConfig {
        with_external_id: true,
        rate_limit: Some(RateLimitConfig::twenty_2_4().with_time_scale(0.001)),
        ..FakeConfig::current()
    })
    .await;
    assert_eq!(remaining_tokens(&t), 100);
    let r = t.post("/rest/batch/companies", companies(200, "one")).await;
    assert_eq!(r.status, 201);
    assert_eq!(remaining_tokens(&t), 99, "200 records, one token");
    // A refused request (too many records) is counted as well.
    let r = t.post("/rest/batch/companies", companies(201, "two")).await;
    assert_eq!(r.status, 400);
    assert_eq!(remaining_tokens(&t), 98);
    for _ in 0..98 {
        assert_eq!(t.get("/rest/companies?limit=1").await.status, 200);
    }
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!((r.status, &r.body), (429, &lit(LIMIT_REACHED)));
    assert!(r.header("retry-after").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_refills_100_tokens_per_minute_continuously() {
    // ×100: 100 tokens per 0.6 s of real time, one per 6 ms.
    let t = T::new(FakeConfig {
        rate_limit: Some(RateLimitConfig::twenty_2_4().with_time_scale(100.0)),
        ..FakeConfig::current()
    })
    .await;
    let mut passed = 0;
    while t.get("/rest/companies?limit=1").await.status == 200 {
        passed += 1;
        assert!(passed < 1_000, "the limiter never refused");
    }
    assert!(passed >= 100, "a full bucket at the start: {passed}");
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(
        t.get("/rest/companies?limit=1").await.status,
        200,
        "refilled within a few tokens' time, not at the end of a window"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn combined_lookups_by_external_id_or_unique_value() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let t = T::with_external_id(profile).await;
        for (ext, email) in [
            ("p1", "one@example.com"),
            ("", "two@example.com"),
            ("p3", "three@example.com"),
        ] {
            t.fake.insert_record(
                "people",
                json!({"externalId": ext, "emails": {"primaryEmail": email}}),
            );
        }
        t.fake.insert_record(
            "companies",
            json!({"externalId": "", "domainName": {"primaryLinkUrl": "https://acme.com"}}),
        );
        // Unquoted list items, as the engine sends them to keep a 200-record lookup in one URL.
        let filter =
            "or(externalId[in]:[p1,p9],emails.primaryEmail[in]:[two@example.com,nine@example.com])";
        let r = t
            .get(&format!(
                "/rest/people?filter={}&limit=8&depth=0",
                enc(filter).replace("%2C", ",").replace("%40", "@")
            ))
            .await;
        assert_eq!(r.status, 200, "{profile:?}: {}", r.body);
        let mut emails: Vec<&str> = r.body["data"]["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["emails"]["primaryEmail"].as_str().unwrap())
            .collect();
        emails.sort_unstable();
        assert_eq!(
            emails,
            ["one@example.com", "two@example.com"],
            "{profile:?}"
        );

        let filter =
            "or(externalId[in]:[c1],domainName.primaryLinkUrl[in]:[https://acme.com,https://b.example])";
        let r = t
            .get(&format!("/rest/companies?filter={}&depth=0", enc(filter)))
            .await;
        assert_eq!(r.status, 200, "{profile:?}: {}", r.body);
        assert_eq!(r.body["totalCount"], json!(1), "{profile:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drained_bucket_refuses_until_it_refills() {
    // ×10: one token per 60 ms.
    let t = T::new(FakeConfig {
        rate_limit: Some(RateLimitConfig::twenty_2_4().with_time_scale(10.0)),
        ..FakeConfig::current()
    })
    .await;
    t.fake.faults().drain_rate_limit();
    assert_eq!(t.get("/rest/companies?limit=1").await.status, 429);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(t.get("/rest/companies?limit=1").await.status, 200);
}
