//! The 2.4.0 server: its table row by row (batch size, list limit, rate limit, upsert, duplicates,
//! 404s, bad key, metadata objects), upsert in detail, and a batch create that commits and
//! answers 500.

use std::time::Duration;

use fake_twenty::{Profile, RateLimitConfig};
use serde_json::{json, Value};

use crate::support::{assert_auth_answers, lit, seeded_id, HOUSECALL, T};

// ----- 2.4.0: the table, row by row ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_batch_create_size() {
    let t = T::current().await;
    let batch = |n: usize, tag: &str| {
        Value::Array(
            (0..n)
                .map(|i| json!({"name": format!("{tag}{i}")}))
                .collect(),
        )
    };
    let r = t.post("/rest/batch/companies", batch(200, "a")).await;
    assert_eq!(r.status, 201);
    let r = t.post("/rest/batch/companies", batch(201, "b")).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"error":"BadRequestException","messages":["Maximum number of records to upsert is 200."]}"#
        )
    );
    assert_eq!(t.fake.records("companies").len(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_list_limit_capped_at_200() {
    let t = T::current().await;
    for i in 0..250 {
        t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(i), "name": format!("c{i}")}),
        );
    }
    let r = t.get("/rest/companies?limit=1000").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["companies"].as_array().unwrap().len(), 200);
    assert_eq!(r.body["pageInfo"]["hasNextPage"], json!(true));
}

async fn status_of(t: &T) -> u16 {
    t.get("/rest/companies?limit=1").await.status
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_rest_rate_limit() {
    let t = T::current().await;
    // The exact burst on a slowed clock (one token per 6 s), so that refill cannot blur it.
    t.fake
        .faults()
        .rate_limit(Some(RateLimitConfig::twenty_2_4().with_time_scale(0.1)));
    for i in 0..100 {
        assert_eq!(status_of(&t).await, 200, "request {}", i + 1);
    }
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":429,"error":"HttpException","messages":["Limit reached (100 tokens per 60000 ms)"]}"#
        )
    );
    for h in [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(r.header(h).is_none(), "{h}");
    }
    // Real time: the bucket refills continuously, one token per 0.6 s.
    t.fake
        .faults()
        .rate_limit(Some(RateLimitConfig::twenty_2_4()));
    let mut drained = 0;
    while status_of(&t).await == 200 {
        drained += 1;
        assert!(drained <= 200, "the limiter never refused");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        status_of(&t).await,
        200,
        "a single request passes 0.6 s later"
    );
    let mut passed = 0;
    for _ in 0..20 {
        if status_of(&t).await == 200 {
            passed += 1;
        }
    }
    assert_eq!(passed, 0, "a burst of 20 then got 0/20");
    // Refused requests are counted: two requests 0.4 s apart never get through, although 0.8 s
    // of refill would hold a token.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status_of(&t).await, 429);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status_of(&t).await, 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_upsert_applied() {
    let t = T::with_external_id(Profile::Current).await;
    let r = t
        .post("/rest/companies", json!({"name": "A", "externalId": "e1"}))
        .await;
    let id = r.body["data"]["createCompany"]["id"].clone();
    let r = t
        .post(
            "/rest/companies?upsert=true",
            json!({"name": "A2", "externalId": "e1"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["data"]["createCompany"]["id"], id);
    assert_eq!(r.body["data"]["createCompany"]["name"], json!("A2"));
    let r = t
        .post(
            "/rest/batch/companies?upsert=true",
            json!([{"name": "A3", "externalId": "e1"}]),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["data"]["createCompanies"][0]["id"], id);
    assert_eq!(t.fake.records("companies").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_duplicate_on_create() {
    let t = T::with_external_id(Profile::Current).await;
    let dup = lit(
        r#"{"statusCode":400,"error":"BadRequestException","messages":["A duplicate entry was detected"]}"#,
    );
    t.post("/rest/companies", json!({"name": "A", "externalId": "e1"}))
        .await;
    // One record.
    let r = t
        .post("/rest/companies", json!({"name": "B", "externalId": "e1"}))
        .await;
    assert_eq!((r.status, &r.body), (400, &dup));
    // A batch with one duplicate creates nothing.
    let r = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "new", "externalId": "e2"}, {"name": "B", "externalId": "e1"}]),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup));
    assert!(t.fake.find_by_external_id("companies", "e2").is_empty());
    // The same new key twice in one batch.
    let r = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "x", "externalId": "e3"}, {"name": "y", "externalId": "e3"}]),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup));
    assert!(t.fake.find_by_external_id("companies", "e3").is_empty());
    // Domain and e-mail duplicates name no field either.
    t.post(
        "/rest/companies",
        json!({"domainName": {"primaryLinkUrl": "acme.com"}}),
    )
    .await;
    let r = t
        .post(
            "/rest/companies",
            json!({"domainName": {"primaryLinkUrl": "acme.com"}}),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup));
    t.post("/rest/people", json!({"emails": {"primaryEmail": "a@b.c"}}))
        .await;
    let r = t
        .post("/rest/people", json!({"emails": {"primaryEmail": "A@b.c"}}))
        .await;
    assert_eq!((r.status, &r.body), (400, &dup));
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_missing_record_is_404() {
    let t = T::current().await;
    let missing = "/rest/companies/6fb68711-5ffa-4a41-ba13-d95f6d652cd3";
    let not_found =
        lit(r#"{"statusCode":404,"error":"NotFoundException","messages":["Record not found"]}"#);
    for r in [
        t.get(missing).await,
        t.patch(missing, json!({"name": "x"})).await,
        t.delete(missing).await,
    ] {
        assert_eq!((r.status, &r.body), (404, &not_found));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_bad_key() {
    assert_auth_answers(&T::current().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_rest_metadata_objects() {
    let t = T::current().await;
    let r = t.get("/rest/metadata/objects").await;
    assert_eq!(r.status, 200);
    let r = t.get("/rest/metadata/objects?limit=200").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["statusCode"], json!(400));
    assert!(
        r.message().starts_with(
            "Query path '/rest/metadata/objects?limit=200' invalid. Metadata path \"objects?limit=200\" does not exist. "
        ),
        "{}",
        r.body
    );
}

// ----- 2.4.0: upsert in detail ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_upsert_details() {
    let t = T::with_external_id(Profile::Current).await;
    let existing = t
        .post(
            "/rest/companies",
            json!({"name": "Probe A", "externalId": "ext-1962e1-A", "domainName": {"primaryLinkUrl": "https://probe-1962e1-a.example"}}),
        )
        .await;
    let existing_id = existing.body["data"]["createCompany"]["id"].clone();

    // A batch holding an existing externalId (new name) and a new one.
    let r = t
        .post(
            "/rest/batch/companies?upsert=true",
            json!([{"name": "Probe A renamed", "externalId": "ext-1962e1-A"}, {"name": "Probe New", "externalId": "ext-1962e1-N"}]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let out = &r.body["data"]["createCompanies"];
    assert_eq!(out[0]["id"], existing_id, "updated in place");
    assert_eq!(out[0]["name"], json!("Probe A renamed"));
    assert_ne!(out[1]["id"], existing_id);
    assert_eq!(t.fake.records("companies").len(), 2);

    // Upsert matches on the domain too, even of a seeded company without externalId.
    let seeded = t.fake.insert_record("companies", lit(HOUSECALL));
    let r = t
        .post(
            "/rest/companies?upsert=true",
            json!({"name": "Taken over", "domainName": {"primaryLinkUrl": "housecallpro.com"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let c = &r.body["data"]["createCompany"];
    assert_eq!(c["id"], seeded["id"]);
    assert_eq!(c["name"], json!("Taken over"));
    assert_eq!(c["externalId"], json!(""));
    // ... on the stored string: https://housecallpro.com is another company.
    let r = t
        .post(
            "/rest/companies?upsert=true",
            json!({"name": "Housecall 2", "domainName": {"primaryLinkUrl": "https://housecallpro.com"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_ne!(r.body["data"]["createCompany"]["id"], seeded["id"]);
    assert_eq!(t.fake.records("companies").len(), 4);

    // People match on primary e-mail the same way.
    let p = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "ada@example.com"}, "city": "London"}),
        )
        .await;
    let pid = p.body["data"]["createPerson"]["id"].clone();
    let r = t
        .post(
            "/rest/batch/people?upsert=true",
            json!([{"emails": {"primaryEmail": "ADA@example.com"}, "jobTitle": "Countess", "externalId": "p-1"}]),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["data"]["createPeople"][0]["id"], pid);
    assert_eq!(r.body["data"]["createPeople"][0]["city"], json!("London"));

    // externalId of one record + domainName of another.
    t.post(
        "/rest/companies",
        json!({"name": "Probe B", "domainName": {"primaryLinkUrl": "https://probe-1962e1-b.example"}}),
    )
    .await;
    let r = t
        .post(
            "/rest/companies?upsert=true",
            json!({"externalId": "ext-1962e1-A", "domainName": {"primaryLinkUrl": "https://probe-1962e1-b.example"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"error":"BadRequestException","messages":["Multiple records found with the same unique field values for domainName.primaryLinkUrl: https://probe-1962e1-b.example, externalId: ext-1962e1-A. Cannot determine which record to update."]}"#
        )
    );

    // Neither id, externalId nor a unique value: a new record.
    let before = t.fake.records("companies").len();
    let r = t
        .post("/rest/companies?upsert=true", json!({"name": "Probe B"}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(t.fake.records("companies").len(), before + 1);
}

// ----- 2.4.0: a batch create that commits and answers 500 ------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn v2_4_batch_create_commits_and_answers_500() {
    let t = T::with_external_id(Profile::Current).await;
    let batch: Vec<Value> = (0..60)
        .map(|i| json!({"name": format!("c{i}"), "externalId": format!("x-{i}")}))
        .collect();
    t.fake.faults().error_after_commit_next(1);
    let r = t
        .post("/rest/batch/companies", Value::Array(batch.clone()))
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":500,"error":"InternalServerErrorException","messages":["Data validation error."]}"#
        )
    );
    assert_eq!(t.fake.records("companies").len(), 60, "committed anyway");
    let last = t.fake.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.fault.as_deref()),
        (500, Some("error_after_commit"))
    );
    // Its resend is a duplicate.
    let r = t
        .post("/rest/batch/companies", Value::Array(batch.clone()))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"error":"BadRequestException","messages":["A duplicate entry was detected"]}"#
        )
    );

    // The same switch on the control API.
    let ctl: Value = t
        .http
        .post(format!("{}/__fake/faults", t.fake.control_url()))
        .json(&json!({"error_after_commit_next": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ctl["error_after_commit_next"], json!(1));
    let r = t.post("/rest/companies", json!({"name": "one more"})).await;
    assert_eq!(r.status, 500);
    assert_eq!(t.fake.records("companies").len(), 61);
    assert_eq!(
        t.post("/rest/companies", json!({"name": "next"}))
            .await
            .status,
        201
    );
}
