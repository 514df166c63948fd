//! One test per section of `shared/twenty/real-server-samples.md`: each sends the documented
//! request to the fake in the matching profile (Aug-2025 build = `Legacy2025`, 2.4.0 =
//! `Current`) and asserts the literal status, body and, where the samples list them, headers.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig};
use reqwest::header::HeaderMap;
use reqwest::Client;
use serde_json::{json, Value};

// ----- helpers -------------------------------------------------------------------------------

/// How a request authenticates.
enum Auth<'a> {
    Key,
    Bare,
    Token(&'a str),
}

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn message(&self) -> &str {
        self.body["messages"][0].as_str().unwrap_or_default()
    }
}

struct T {
    fake: FakeTwenty,
    http: Client,
}

impl T {
    async fn new(cfg: FakeConfig) -> T {
        T {
            fake: FakeTwenty::start(cfg).await,
            http: Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    async fn legacy() -> T {
        T::new(FakeConfig::legacy()).await
    }

    async fn current() -> T {
        T::new(FakeConfig::current()).await
    }

    async fn with_external_id(profile: Profile) -> T {
        T::new(FakeConfig {
            with_external_id: true,
            ..FakeConfig::with_profile(profile)
        })
        .await
    }

    fn url(&self, p: &str) -> String {
        format!("{}{}", self.fake.base_url(), p)
    }

    async fn request(&self, method: &str, p: &str, body: Option<Value>, auth: Auth<'_>) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, self.url(p));
        rb = match auth {
            Auth::Key => rb.bearer_auth(self.fake.api_key()),
            Auth::Token(t) => rb.bearer_auth(t),
            Auth::Bare => rb,
        };
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn get(&self, p: &str) -> Resp {
        self.request("GET", p, None, Auth::Key).await
    }

    async fn post(&self, p: &str, b: Value) -> Resp {
        self.request("POST", p, Some(b), Auth::Key).await
    }

    async fn patch(&self, p: &str, b: Value) -> Resp {
        self.request("PATCH", p, Some(b), Auth::Key).await
    }

    async fn delete(&self, p: &str) -> Resp {
        self.request("DELETE", p, None, Auth::Key).await
    }

    /// `POST /metadata` (GraphQL).
    async fn graphql(&self, query: &str) -> Value {
        let r = self.post("/metadata", json!({ "query": query })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }
}

/// Percent-encodes a query value as a whole.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A literal JSON document from the samples file.
fn lit(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
}

/// Standard base64 with padding (cursors).
fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The sample with the run-specific members (`id`, timestamps) taken from the fake's answer.
fn pinned(sample: &Value, actual: &Value, keys: &[&str]) -> Value {
    let mut out = sample.clone();
    for k in keys {
        out[*k] = actual[*k].clone();
    }
    out
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn is_iso_millis(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
}

/// The id-ordered company ids the seeds below use (all sort after `20202020-a000-…`).
fn seeded_id(i: usize) -> String {
    format!("20202020-b{:03x}-4000-8000-{:012x}", i % 4096, i)
}

const HOUSECALL: &str = r#"{"name":"Housecall Pro","domainName":{"primaryLinkLabel":"","primaryLinkUrl":"housecallpro.com","secondaryLinks":null},"employees":894,"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"https://linkedin.com/company/housecallpro","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"annualRecurringRevenue":{"amountMicros":null,"currencyCode":""},"address":{"addressStreet1":"","addressStreet2":"","addressCity":"Denver","addressPostcode":"","addressState":"","addressCountry":"","addressLat":null,"addressLng":null},"idealCustomerProfile":false,"position":442,"createdBy":{"source":"MANUAL","workspaceMemberId":"20202020-0687-4c41-b707-ed1bfca972a7","name":"Tim A","context":null},"searchVector":"'housecall':1 'housecallpro.com':3 'pro':2","id":"20202020-a000-4485-94de-70c2a98daef2","createdAt":"2026-11-27T11:51:26.526Z","updatedAt":"2026-11-27T11:51:26.526Z","deletedAt":null,"accountOwnerId":"20202020-1553-45c6-a028-5a9064cce07f","tagline":"","introVideo":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"workPolicy":null,"visaSponsorship":false}"#;

const ADA_REQUEST: &str = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"emails":{"primaryEmail":"ada.real@example.com"},"jobTitle":"Engineer","city":"London"}"#;

const ADA: &str = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"emails":{"primaryEmail":"ada.real@example.com","additionalEmails":null},"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"jobTitle":"Engineer","phones":{"primaryPhoneNumber":"","primaryPhoneCountryCode":"","primaryPhoneCallingCode":"","additionalPhones":null},"city":"London","avatarUrl":"","position":0,"createdBy":{"source":"API","workspaceMemberId":null,"name":"My api key","context":{}},"searchVector":"'ada':1 'ada.real@example.com':3 'engineer':5 'example.com':4 'lovelace':2","id":"af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a","createdAt":"2026-11-27T11:52:12.897Z","updatedAt":"2026-11-27T11:52:12.897Z","deletedAt":null,"companyId":null,"intro":"","whatsapp":{"primaryPhoneNumber":"","primaryPhoneCountryCode":"FR","primaryPhoneCallingCode":"+33","additionalPhones":null},"workPreference":null,"performanceRating":null}"#;

const SAMPLE_CO_REQUEST: &str = r#"{"name":"Sample Co Real","domainName":{"primaryLinkUrl":"https://sampleco-real.example.com"},"employees":42,"address":{"addressCity":"Paris","addressCountry":"France"}}"#;

const SAMPLE_CO: &str = r#"{"name":"Sample Co Real","domainName":{"primaryLinkLabel":null,"primaryLinkUrl":"https://sampleco-real.example.com","secondaryLinks":[]},"employees":42,"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"annualRecurringRevenue":{"amountMicros":null,"currencyCode":""},"address":{"addressStreet1":"","addressStreet2":"","addressCity":"Paris","addressPostcode":"","addressState":"","addressCountry":"France","addressLat":null,"addressLng":null},"idealCustomerProfile":false,"position":0,"createdBy":{"source":"API","workspaceMemberId":null,"name":"My api key","context":{}},"searchVector":"'co':2 'real':3 'sample':1 'sampleco-real.example.com':4","id":"384d064f-5395-4032-90c0-1a0e9fb891fc","createdAt":"2026-11-27T11:52:12.843Z","updatedAt":"2026-11-27T11:52:12.843Z","deletedAt":null,"accountOwnerId":null,"tagline":"","introVideo":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"workPolicy":null,"visaSponsorship":false}"#;

const SAMPLE_CO_ID: &str = "384d064f-5395-4032-90c0-1a0e9fb891fc";
const ADA_ID: &str = "af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a";

/// `POST /rest/people` of the sample with the sample's id, so cursors come out literally.
async fn create_ada(t: &T) -> Value {
    let mut req = lit(ADA_REQUEST);
    req["id"] = json!(ADA_ID);
    let r = t.post("/rest/people", req).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["data"]["createPerson"].clone()
}

// ----- Headers (every REST response) ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn headers_on_every_rest_response() {
    let t = T::legacy().await;
    t.fake.insert_record("companies", lit(HOUSECALL));
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-powered-by"), Some("Express"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(r.header("keep-alive"), Some("timeout=5"));
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    assert_eq!(len, r.body.to_string().len());
    // Express' weak ETag: W/"<length in hex>-<27 chars of base64 SHA-1>".
    let etag = r.header("etag").unwrap().to_string();
    let inner = etag
        .strip_prefix("W/\"")
        .and_then(|e| e.strip_suffix('"'))
        .unwrap();
    let (hex, hash) = inner.split_once('-').unwrap();
    assert_eq!(hex, format!("{len:x}"));
    assert_eq!(hash.len(), 27);
    assert!(r.header("date").is_some());
    // ... and Express answers a matching If-None-Match with 304.
    let again = t
        .http
        .get(t.url("/rest/companies?limit=1"))
        .bearer_auth(t.fake.api_key())
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // No rate-limit headers, on REST or /metadata; a burst of 300, 8 at a time, all 200.
    let limit_headers = |h: &HeaderMap| {
        h.keys().any(|k| {
            let k = k.as_str();
            k.starts_with("x-ratelimit") || k.starts_with("ratelimit") || k == "retry-after"
        })
    };
    assert!(!limit_headers(&r.headers));
    let g = t
        .request(
            "POST",
            "/metadata",
            Some(json!({"query": "{ objects(paging:{first:200}) { edges { node { id } } } }"})),
            Auth::Key,
        )
        .await;
    assert_eq!(g.status, 200);
    assert!(!limit_headers(&g.headers));
    let (url, key) = (t.url("/rest/companies?limit=1"), t.fake.api_key());
    for _ in 0..300 / 8 {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (http, url, key) = (t.http.clone(), url.clone(), key.clone());
                tokio::spawn(async move { http.get(url).bearer_auth(key).send().await.unwrap() })
            })
            .collect();
        for task in tasks {
            let r = task.await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert!(!limit_headers(r.headers()));
        }
    }

    // Status codes: create 201; get, list, update, delete 200; validation / not found 400.
    let c = t.post("/rest/companies", json!({"name": "S"})).await;
    assert_eq!(c.status, 201);
    let id = c.body["data"]["createCompany"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(t.get(&format!("/rest/companies/{id}")).await.status, 200);
    assert_eq!(
        t.patch(&format!("/rest/companies/{id}"), json!({"name": "T"}))
            .await
            .status,
        200
    );
    assert_eq!(t.delete(&format!("/rest/companies/{id}")).await.status, 200);
    assert_eq!(t.get(&format!("/rest/companies/{id}")).await.status, 400);
    assert_eq!(t.get("/rest/companies?limit=abc").await.status, 400);
}

// ----- GET /rest/companies?limit=1 (the success check) ---------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn get_list_success_check() {
    let t = T::legacy().await;
    t.fake.insert_record("companies", lit(HOUSECALL));
    for i in 0..598 {
        t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(i), "name": format!("Seed {i}")}),
        );
    }
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!(r.status, 200);
    let sample = lit(&format!(
        r#"{{"data":{{"companies":[{HOUSECALL}]}},"pageInfo":{{"hasNextPage":true,"startCursor":"eyJpZCI6IjIwMjAyMDIwLWEwMDAtNDQ4NS05NGRlLTcwYzJhOThkYWVmMiJ9","endCursor":"eyJpZCI6IjIwMjAyMDIwLWEwMDAtNDQ4NS05NGRlLTcwYzJhOThkYWVmMiJ9"}},"totalCount":599}}"#
    ));
    assert_eq!(r.body, sample);
}

// ----- POST /rest/companies (201 Created) ----------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn post_companies_201() {
    let t = T::legacy().await;
    let r = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = &r.body["data"]["createCompany"];
    assert!(is_iso_millis(&got["createdAt"]));
    assert_eq!(got["createdAt"], got["updatedAt"]);
    let expected = pinned(&lit(SAMPLE_CO), got, &["id", "createdAt", "updatedAt"]);
    assert_eq!(r.body, json!({"data": {"createCompany": expected}}));
}

// ----- POST /rest/people (201 Created) and the findings ---------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn post_people_201_and_findings() {
    let t = T::legacy().await;
    let r = t.post("/rest/people", lit(ADA_REQUEST)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = &r.body["data"]["createPerson"];
    assert!(is_iso_millis(&got["createdAt"]));
    let expected = pinned(&lit(ADA), got, &["id", "createdAt", "updatedAt"]);
    assert_eq!(r.body, json!({"data": {"createPerson": expected}}));

    // primaryEmail is lowercased on write.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "Grace.Hopper@Example.COM"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["data"]["createPerson"]["emails"]["primaryEmail"],
        json!("grace.hopper@example.com")
    );
    // No e-mail syntax check.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "not-an-email"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Uniqueness covers primaryEmail only.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "other@example.com", "additionalEmails": ["ada.real@example.com"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

// ----- PATCH /rest/people/{id} (200) ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn patch_person_200() {
    let t = T::legacy().await;
    let mut co = lit(SAMPLE_CO_REQUEST);
    co["id"] = json!(SAMPLE_CO_ID);
    assert_eq!(t.post("/rest/companies", co).await.status, 201);
    let before = create_ada(&t).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = t
        .patch(
            &format!("/rest/people/{ADA_ID}"),
            lit(r#"{"companyId":"384d064f-5395-4032-90c0-1a0e9fb891fc","jobTitle":"Countess"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = &r.body["data"]["updatePerson"];
    let mut expected = before.clone();
    expected["jobTitle"] = json!("Countess");
    expected["companyId"] = json!(SAMPLE_CO_ID);
    expected["updatedAt"] = got["updatedAt"].clone();
    // searchVector is a generated column: it follows the new job title.
    expected["searchVector"] =
        json!("'ada':1 'ada.real@example.com':3 'countess':5 'example.com':4 'lovelace':2");
    assert_eq!(r.body, json!({"data": {"updatePerson": expected}}));
    assert!(is_iso_millis(&got["updatedAt"]));
    assert_ne!(got["updatedAt"], before["updatedAt"]);
}

// ----- GET list with filter (200), type mismatch ----------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn get_list_with_filter() {
    let t = T::legacy().await;
    let ada = create_ada(&t).await;
    let r = t
        .get(&format!(
            "/rest/people?filter={}",
            enc(r#"emails.primaryEmail[eq]:"ada.real@example.com""#)
        ))
        .await;
    assert_eq!(r.status, 200);
    let sample = lit(&format!(
        r#"{{"data":{{"people":[{ADA}]}},"pageInfo":{{"hasNextPage":false,"startCursor":"eyJpZCI6ImFmNGRmYWU3LTMzZjItNDJiYy05ZTRmLTFhNTNjN2VlOGM0YSJ9","endCursor":"eyJpZCI6ImFmNGRmYWU3LTMzZjItNDJiYy05ZTRmLTFhNTNjN2VlOGM0YSJ9"}},"totalCount":1}}"#
    ));
    let mut expected = sample.clone();
    expected["data"]["people"][0] = pinned(
        &sample["data"]["people"][0],
        &ada,
        &["createdAt", "updatedAt"],
    );
    assert_eq!(r.body, expected);

    let co = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    let co = &co.body["data"]["createCompany"];
    let r = t
        .get(&format!(
            "/rest/companies?filter={}&limit=5",
            enc(r#"name[eq]:"Sample Co Real""#)
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalCount"], json!(1));
    assert_eq!(r.body["data"]["companies"], json!([co]));

    // Other filter forms that worked.
    for name in ["Batch A", "Batch B"] {
        t.post("/rest/companies", json!({ "name": name })).await;
    }
    let cid = co["id"].as_str().unwrap();
    t.post(
        "/rest/people",
        json!({"name": {"firstName": "James", "lastName": "Watt"}, "city": "London", "companyId": cid}),
    )
    .await;
    let cases: [(&str, &str, usize); 5] = [
        ("companies", r#"name[ilike]:"%sample%""#, 1),
        ("people", r#"emails.primaryEmail[like]:"%ada%""#, 1),
        (
            "companies",
            r#"or(name[eq]:"Batch A",name[eq]:"Batch B")"#,
            2,
        ),
        (
            "people",
            r#"and(city[eq]:"London",companyId[is]:NOT_NULL)"#,
            1,
        ),
        ("people", r#"name.firstName[in]:["Ada","James"]"#, 2),
    ];
    for (object, filter, count) in cases {
        let r = t
            .get(&format!("/rest/{object}?filter={}", enc(filter)))
            .await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(r.body["totalCount"], json!(count), "{filter}");
    }

    // A type mismatch is not an error.
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc("employees[gte]:abc")
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        lit(
            r#"{"data":{"companies":[]},"pageInfo":{"hasNextPage":false,"startCursor":null,"endCursor":null},"totalCount":0}"#
        )
    );
}

// ----- Errors: duplicate person email / company domain (400) ----------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn errors_duplicate_email_and_domain() {
    let t = T::legacy().await;
    let ada = create_ada(&t).await;
    let dup_email = lit(
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate Emails with value ada.real@example.com. Please set a unique one."]}"#,
    );
    for email in ["ada.real@example.com", "ADA.REAL@example.com"] {
        let r = t
            .post("/rest/people", json!({"emails": {"primaryEmail": email}}))
            .await;
        assert_eq!((r.status, &r.body), (400, &dup_email), "{email}");
    }
    let co = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    assert_eq!(co.status, 201);
    let r = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate Domain Name with value https://sampleco-real.example.com. Please set a unique one."]}"#
        )
    );
    // After the earlier record is deleted, the same email or domain can be created again.
    let co_id = co.body["data"]["createCompany"]["id"].as_str().unwrap();
    assert_eq!(
        t.delete(&format!("/rest/companies/{co_id}")).await.status,
        200
    );
    assert_eq!(
        t.post("/rest/companies", lit(SAMPLE_CO_REQUEST))
            .await
            .status,
        201
    );
    let ada_id = ada["id"].as_str().unwrap();
    assert_eq!(
        t.delete(&format!("/rest/people/{ada_id}")).await.status,
        200
    );
    assert_eq!(t.post("/rest/people", lit(ADA_REQUEST)).await.status, 201);
}

// ----- Errors: bad filters (all 400, BadRequestException), row by row -------------------------

#[tokio::test(flavor = "multi_thread")]
async fn errors_bad_filters_table() {
    let t = T::legacy().await;
    let rows = [
        ("foo[eq]:1", "field 'foo' does not exist in 'person' object"),
        (
            r#"name[xx]:"a""#,
            r#"'filter' invalid for 'name[xx]:"a"', comparator xx not in eq, neq, in, containsAny, is, gt, gte, lt, lte, startsWith, like, ilike"#,
        ),
        ("name", "'filter' invalid for 'name'. eg: price[gte]:10"),
        (
            "name[eq]",
            "'filter' invalid for 'name[eq]'. eg: price[gte]:10",
        ),
        (
            r#"and(name[eq]:"a""#,
            "'filter' invalid. 1 close bracket is missing in the query",
        ),
    ];
    for (filter, message) in rows {
        let r = t.get(&format!("/rest/people?filter={}", enc(filter))).await;
        assert_eq!(r.status, 400, "{filter}");
        assert_eq!(
            r.body,
            json!({"statusCode": 400, "error": "BadRequestException", "messages": [message]}),
            "{filter}"
        );
    }
}

// ----- Errors: other 400s, bullet by bullet --------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn errors_other_400s() {
    let t = T::legacy().await;
    let bad = |m: &str| json!({"statusCode": 400, "error": "BadRequestException", "messages": [m]});
    let cases = [
        ("/rest/foos", "object 'foos' not found. eg: companies".to_string()),
        (
            "/rest/companies/6fb68711-5ffa-4a41-ba13-d95f6d652cd3",
            "Record not found".to_string(),
        ),
        (
            "/rest/companies/not-a-uuid",
            "'not-a-uuid' is not a valid UUID".to_string(),
        ),
        (
            "/rest/companies/00000000-0000-0000-0000-000000000000",
            "'00000000-0000-0000-0000-000000000000' is not a valid UUID".to_string(),
        ),
        (
            "/rest/companies?limit=abc",
            "limit 'abc' is invalid. Should be an integer".to_string(),
        ),
        (
            "/rest/companies?order_by=name%5BUp%5D",
            "'order_by' direction 'Up' invalid. Allowed values are 'AscNullsFirst', 'AscNullsLast', 'DescNullsFirst', 'DescNullsLast'. eg: ?order_by=field_1[AscNullsFirst],field_2[DescNullsLast],field_3".to_string(),
        ),
        (
            "/rest/companies?order_by=nope%5BAscNullsFirst%5D",
            "field 'nope' does not exist in 'company' object".to_string(),
        ),
        (
            "/rest/companies?starting_after=garbage",
            "Invalid cursor: garbage".to_string(),
        ),
    ];
    for (path, message) in cases {
        let r = t.get(path).await;
        assert_eq!((r.status, &r.body), (400, &bad(&message)), "{path}");
    }
    // Unknown body field on POST.
    let r = t.post("/rest/people", json!({"bogusField": 1})).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"error":"Error","messages":["Field metadata for field \"bogusField\" is missing in object metadata person"]}"#
        )
    );
    // Truncated JSON body: Express' own shape.
    let resp = t
        .http
        .post(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .header("content-type", "application/json")
        .body(r#"{"name":{"firstName":"Ada""#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        lit(r#"{"statusCode":400,"message":"Unexpected end of JSON input","error":"Bad Request"}"#)
    );
    // DELETE of an id already deleted.
    let p = t.post("/rest/people", json!({"city": "x"})).await;
    let id = p.body["data"]["createPerson"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(t.delete(&format!("/rest/people/{id}")).await.status, 200);
    let r = t.delete(&format!("/rest/people/{id}")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["statusCode"], json!(400));
    assert_eq!(r.body["error"], json!("EntityNotFoundError"));
    assert!(
        r.message()
            .starts_with("Could not find any entity of type \"person\" matching: {"),
        "{}",
        r.body
    );
}

// ----- Errors: Auth --------------------------------------------------------------------------

/// The fake's key with another signature: a well-formed JWT the server did not sign.
fn forged(key: &str) -> String {
    let (signed, _) = key.rsplit_once('.').unwrap();
    format!("{signed}.c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ")
}

async fn assert_auth_answers(t: &T) {
    let r = t
        .request(
            "GET",
            "/rest/companies",
            None,
            Auth::Token("invalid.token.here"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-powered-by"), Some("Express"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.header("content-length").is_none() && r.header("etag").is_none());
    assert_eq!(
        r.body,
        lit(r#"{"statusCode":401,"messages":["No payload"],"error":"UNAUTHENTICATED"}"#)
    );
    let token = forged(&t.fake.api_key());
    let r = t
        .request("GET", "/rest/companies", None, Auth::Token(&token))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        lit(r#"{"statusCode":401,"messages":["Token invalid."],"error":"UNAUTHENTICATED"}"#)
    );
    let r = t.request("GET", "/rest/companies", None, Auth::Bare).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":403,"messages":["Missing authentication token"],"error":"FORBIDDEN_EXCEPTION"}"#
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_auth() {
    assert_auth_answers(&T::legacy().await).await;
}

// ----- /healthz (no auth) --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn healthz_without_auth() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let t = T::new(FakeConfig::with_profile(profile)).await;
        let r = t.request("GET", "/healthz", None, Auth::Bare).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("cache-control"),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.body,
            lit(r#"{"status":"ok","info":{},"error":{},"details":{}}"#)
        );
    }
}

// ----- Pagination and ordering ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn pagination_and_ordering() {
    let t = T::legacy().await;
    let special = [
        ("2020", Some(12)),
        ("3Pillar Global", Some(300)),
        ("6sense", None),
        ("ACS Technologies", Some(40)),
        ("Google", Some(1_000_000)),
        ("Microsoft", Some(900_000)),
    ];
    let mut ids = std::collections::HashMap::new();
    for (i, (name, employees)) in special.iter().enumerate() {
        let rec = t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(1000 + i), "name": name, "employees": employees}),
        );
        ids.insert(*name, rec["id"].as_str().unwrap().to_string());
    }
    for i in 0..596 {
        let employees = if i % 7 == 0 { Value::Null } else { json!(i) };
        t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(i), "name": format!("Company {i:03}"), "employees": employees}),
        );
    }
    let r = t
        .get("/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        names(&r.body["data"]["companies"]),
        ["2020", "3Pillar Global"]
    );
    assert_eq!(r.body["pageInfo"]["hasNextPage"], json!(true));
    assert_eq!(r.body["totalCount"], json!(602));
    let end = r.body["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let expected_cursor = format!(
        r#"{{"name":"3Pillar Global","id":"{}"}}"#,
        ids["3Pillar Global"]
    );
    assert_eq!(end, b64(expected_cursor.as_bytes()));

    let r = t
        .get(&format!(
            "/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D&starting_after={}",
            enc(&end)
        ))
        .await;
    assert_eq!(
        names(&r.body["data"]["companies"]),
        ["6sense", "ACS Technologies"]
    );
    assert_eq!(
        r.body["totalCount"],
        json!(600),
        "with a cursor, totalCount counts the records after it"
    );

    let r = t
        .get("/rest/companies?limit=2&order_by=employees%5BDescNullsLast%5D")
        .await;
    assert_eq!(names(&r.body["data"]["companies"]), ["Google", "Microsoft"]);

    let r = t.get("/rest/companies?limit=1000").await;
    assert_eq!(r.body["data"]["companies"].as_array().unwrap().len(), 602);
    assert_eq!(r.body["pageInfo"]["hasNextPage"], json!(false));

    // Without order_by, the cursor is {"id":...}.
    let r = t.get("/rest/companies?limit=1").await;
    let first = r.body["data"]["companies"][0]["id"].as_str().unwrap();
    assert_eq!(
        r.body["pageInfo"]["startCursor"],
        json!(b64(format!(r#"{{"id":"{first}"}}"#).as_bytes()))
    );
}

// ----- Batch and delete ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn batch_and_delete() {
    let t = T::legacy().await;
    let r = t
        .post(
            "/rest/batch/companies",
            lit(r#"[{"name":"Batch A"},{"name":"Batch B"}]"#),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data"]
    );
    assert_eq!(
        names(&r.body["data"]["createCompanies"]),
        ["Batch A", "Batch B"]
    );

    for query in ["", "?soft_delete=true"] {
        let p = t.post("/rest/people", json!({"city": "x"})).await;
        let id = p.body["data"]["createPerson"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = t.delete(&format!("/rest/people/{id}{query}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({"data": {"deletePerson": {"id": id}}}));
        assert!(
            t.fake.record("people", &id).is_none(),
            "hard delete{query}: the row is gone"
        );
        let r = t.get(&format!("/rest/people/{id}")).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            lit(
                r#"{"statusCode":400,"error":"BadRequestException","messages":["Record not found"]}"#
            )
        );
    }
}

// ----- OpenAPI -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn openapi_core() {
    let t = T::legacy().await;
    let r = t.get("/rest/open-api/core").await;
    assert_eq!(r.status, 200);
    assert!(r.body["openapi"].is_string(), "{}", r.body);
    assert!(r.body["paths"].is_object());
}

// ----- Custom field externalId, upsert and batch failures (Aug-2025 build) --------------------

#[tokio::test(flavor = "multi_thread")]
async fn custom_field_external_id_upsert_and_batch_failures() {
    let t = T::legacy().await;
    // REST metadata listing is broken; any query string is a bad path.
    let r = t.get("/rest/metadata/objects").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"messages":["Cannot query field 'dataSourceId' on type 'Object'."],"error":"Bad Request"}"#
        )
    );
    let r = t.get("/rest/metadata/objects?limit=200").await;
    assert_eq!(r.status, 400);
    assert!(
        r.message().starts_with(
            "Query path '/rest/metadata/objects?limit=200' invalid. Metadata path \"objects?limit=200\" does not exist"
        ),
        "{}",
        r.body
    );
    // GraphQL metadata gives the object ids.
    let v = t
        .graphql(
            "{ objects(paging:{first:200}) { edges { node { id nameSingular namePlural } } } }",
        )
        .await;
    let id_of = |singular: &str| {
        v["data"]["objects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["nameSingular"] == json!(singular))
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let company_object = id_of("company");
    assert_eq!(company_object, t.fake.object_metadata_id("companies"));
    assert_eq!(id_of("person"), t.fake.object_metadata_id("people"));

    // An existing row before the field exists gets "".
    let old = t.post("/rest/companies", json!({"name": "Old"})).await;
    let old_id = old.body["data"]["createCompany"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (object, object_id) in [
        ("companies", company_object.clone()),
        ("people", id_of("person")),
    ] {
        let r = t
            .post(
                "/rest/metadata/fields",
                json!({"objectMetadataId": object_id, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{object}: {}", r.body);
        let f = &r.body["data"]["createOneField"];
        assert!(f["id"].is_string());
        for (k, v) in [
            ("type", json!("TEXT")),
            ("name", json!("externalId")),
            ("label", json!("External ID")),
            ("isCustom", json!(true)),
            ("isActive", json!(true)),
            ("isNullable", json!(false)),
            ("defaultValue", json!("''")),
        ] {
            assert_eq!(f[k], v, "{k}");
        }
    }
    assert_eq!(
        t.fake.record("companies", &old_id).unwrap()["externalId"],
        json!("")
    );

    // The field is on every record, filters work, uniqueness is enforced, "" never collides.
    for ext in ["ext-1", "ext-2", "ext-3"] {
        let r = t
            .post(
                "/rest/companies",
                json!({"name": ext, "externalId": ext, "domainName": {"primaryLinkUrl": format!("{ext}.example.com")}}),
            )
            .await;
        assert_eq!(r.status, 201);
        assert_eq!(r.body["data"]["createCompany"]["externalId"], json!(ext));
    }
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc(r#"externalId[in]:["ext-1","ext-2"]"#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(2));
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc(r#"externalId[eq]:"ext-3""#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(1));
    let dup_ext = lit(
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate External ID with value ext-1. Please set a unique one."]}"#,
    );
    let r = t
        .post(
            "/rest/companies",
            json!({"name": "again", "externalId": "ext-1"}),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup_ext));
    for name in ["e1", "e2"] {
        let r = t
            .post("/rest/companies", json!({"name": name, "externalId": ""}))
            .await;
        assert_eq!(r.status, 201, "empty externalIds do not collide");
    }

    // ?upsert=true does nothing on this build, single and batch alike.
    let ext1 = t.fake.find_by_external_id("companies", "ext-1")[0].clone();
    t.post(
        "/rest/people",
        json!({"emails": {"primaryEmail": "ada.real@example.com"}}),
    )
    .await;
    for path in [
        "/rest/companies?upsert=true",
        "/rest/batch/companies?upsert=true",
    ] {
        let wrap = |v: Value| {
            if path.contains("batch") {
                json!([v])
            } else {
                v
            }
        };
        let r = t
            .post(path, wrap(json!({"name": "x", "externalId": "ext-1"})))
            .await;
        assert_eq!((r.status, &r.body), (400, &dup_ext), "{path}");
        let r = t
            .post(
                path,
                wrap(json!({"domainName": {"primaryLinkUrl": "ext-2.example.com"}})),
            )
            .await;
        assert_eq!(
            r.message(),
            "Duplicate Domain Name with value ext-2.example.com. Please set a unique one.",
            "{path}"
        );
        let r = t
            .post(
                &path.replace("companies", "people"),
                wrap(json!({"emails": {"primaryEmail": "ada.real@example.com"}})),
            )
            .await;
        assert_eq!(
            r.message(),
            "Duplicate Emails with value ada.real@example.com. Please set a unique one.",
            "{path}"
        );
        let r = t
            .post(path, wrap(json!({"id": ext1["id"], "name": "takeover"})))
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            lit(
                r#"{"statusCode":400,"error":"BadRequestException","messages":["Record already exists"]}"#
            ),
            "{path}"
        );
    }
    assert_eq!(
        t.fake
            .record("companies", ext1["id"].as_str().unwrap())
            .unwrap(),
        ext1,
        "nothing was updated"
    );

    // A batch create is all-or-nothing.
    let r = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "new", "externalId": "ext-new"}, {"name": "dup", "externalId": "ext-1"}]),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup_ext));
    assert!(t
        .fake
        .find_by_external_id("companies", "ext-new")
        .is_empty());

    // PATCH of a uuid that does not exist.
    let r = t
        .patch(
            "/rest/companies/6fb68711-5ffa-4a41-ba13-d95f6d652cd3",
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], json!("EntityNotFoundError"));
    assert!(r
        .message()
        .starts_with("Could not find any entity of type \"company\" matching: {"));

    // No batch cap on this build: 250 accepted.
    let many: Vec<Value> = (0..250).map(|i| json!({"name": format!("b{i}")})).collect();
    let r = t.post("/rest/batch/companies", Value::Array(many)).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["data"]["createCompanies"].as_array().unwrap().len(),
        250
    );

    // 60 quoted ids in an `in` filter with limit=60 and depth=0.
    let list = (0..60)
        .map(|i| format!("\"ext-{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    let r = t
        .get(&format!(
            "/rest/companies?filter={}&limit=60&depth=0",
            enc(&format!("externalId[in]:[{list}]"))
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["totalCount"], json!(3));

    // Idempotency-Key is not read: the same key twice creates two records.
    for _ in 0..2 {
        let r = t
            .http
            .post(t.url("/rest/people"))
            .bearer_auth(t.fake.api_key())
            .header("idempotency-key", "same-key")
            .json(&json!({"city": "Idem"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let r = t
        .get(&format!(
            "/rest/people?filter={}",
            enc(r#"city[eq]:"Idem""#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(2));
}

// ----- The data model is paged ---------------------------------------------------------------

fn whole_workspace_query(first: usize) -> String {
    format!("{{ objects(paging:{{first:200}}) {{ edges {{ node {{ id nameSingular fields(paging:{{first:{first}}}) {{ edges {{ node {{ id name type isUnique isActive }} }} }} }} }} }} }}")
}

/// (object singular name, field name) of every field in a whole-workspace answer.
fn fields_in(answer: &Value) -> Vec<(String, String)> {
    answer["data"]["objects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| {
            let object = o["node"]["nameSingular"].as_str().unwrap().to_string();
            o["node"]["fields"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| {
                    (
                        object.clone(),
                        f["node"]["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reads one object's fields page by page, following `pageInfo.endCursor`.
async fn fields_of_object(t: &T, object_id: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut after = String::new();
    for _ in 0..100 {
        let q = format!(
            "{{ objects(filter:{{id:{{eq:\"{object_id}\"}}}}) {{ edges {{ node {{ id fields(paging:{{first:50{after}}}) {{ edges {{ node {{ id name }} }} pageInfo {{ hasNextPage endCursor }} }} }} }} }} }}"
        );
        let v = t.graphql(&q).await;
        let edges = v["data"]["objects"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1);
        let fields = &edges[0]["node"]["fields"];
        for f in fields["edges"].as_array().unwrap() {
            names.push(f["node"]["name"].as_str().unwrap().to_string());
        }
        if fields["pageInfo"]["hasNextPage"] != json!(true) {
            return names;
        }
        after = format!(
            ", after:\"{}\"",
            fields["pageInfo"]["endCursor"].as_str().unwrap()
        );
    }
    panic!("no last page");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_model_is_paged() {
    let t = T::legacy().await;
    t.fake.set_new_field_ids_sort_last(true);
    let company_object = t.fake.object_metadata_id("companies");
    let field = json!({"objectMetadataId": company_object, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true});
    assert_eq!(
        t.post("/rest/metadata/fields", field.clone()).await.status,
        201
    );
    let total = t.fake.total_field_count();
    assert_eq!(
        total, 536,
        "a freshly seeded workspace with company.externalId"
    );

    // 501 fields in total across all objects, not 500 per object; first:1000 returns all, and
    // the 501 are the first of them in id order.
    let all = fields_in(&t.graphql(&whole_workspace_query(1000)).await);
    assert_eq!(all.len(), total);
    assert!(all.contains(&("company".into(), "externalId".into())));
    let capped = fields_in(&t.graphql(&whole_workspace_query(500)).await);
    assert_eq!(capped.len(), 501);
    assert_eq!(capped[..], all[..501]);

    // One object at a time returns all of that object's fields, across pages.
    let objects = t
        .graphql("{ objects(paging:{first:200}) { edges { node { id } } } }")
        .await;
    let mut sum = 0;
    for o in objects["data"]["objects"]["edges"].as_array().unwrap() {
        sum += fields_of_object(&t, o["node"]["id"].as_str().unwrap())
            .await
            .len();
    }
    assert_eq!(sum, total);

    // With one more custom object of 460 fields (996 in all): still 501 for first:500.
    t.fake.add_custom_object_with_fields(460);
    let total = t.fake.total_field_count();
    assert_eq!(total, 996);
    assert_eq!(
        fields_in(&t.graphql(&whole_workspace_query(500)).await).len(),
        501
    );
    assert_eq!(
        fields_in(&t.graphql(&whole_workspace_query(1000)).await).len(),
        total
    );

    // When the new field sorts after 500 others, the whole-workspace answer leaves it out
    // although it exists (and every record carries it); the per-object read finds it.
    t.fake.set_new_field_ids_sort_last(false);
    t.fake.add_padding_fields("companies", 500);
    let capped = fields_in(&t.graphql(&whole_workspace_query(500)).await);
    assert_eq!(capped.len(), 501);
    assert!(!capped.contains(&("company".into(), "externalId".into())));
    assert!(fields_of_object(&t, &company_object)
        .await
        .contains(&"externalId".to_string()));

    // A taken name: the field exists, read it instead.
    let r = t.post("/rest/metadata/fields", field).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"messages":["Name 'externalId' is not available, check that it is not duplicating another field's name."],"error":"Bad Request"}"#
        )
    );
    // GET /rest/metadata/objects fails on every call at this version.
    for _ in 0..2 {
        assert_eq!(
            t.get("/rest/metadata/objects").await.message(),
            "Cannot query field 'dataSourceId' on type 'Object'."
        );
    }
}

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
