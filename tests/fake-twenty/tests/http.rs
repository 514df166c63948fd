//! HTTP-level tests of the fake: envelopes, duplicates, batches, auth and not-found per profile,
//! upsert, metadata, faults (drop-after-commit, down/up, 5xx, hang), rate limits, control API.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig, RateLimitVariant};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

struct T {
    fake: FakeTwenty,
    http: Client,
}

impl T {
    async fn new(cfg: FakeConfig) -> T {
        T {
            fake: FakeTwenty::start(cfg).await,
            http: client(),
        }
    }

    fn url(&self, p: &str) -> String {
        format!("{}{}", self.fake.base_url(), p)
    }

    async fn send(&self, method: &str, p: &str, body: Option<Value>) -> (StatusCode, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .http
            .request(m, self.url(p))
            .bearer_auth(self.fake.api_key());
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, p: &str) -> (StatusCode, Value) {
        self.send("GET", p, None).await
    }

    async fn post(&self, p: &str, b: Value) -> (StatusCode, Value) {
        self.send("POST", p, Some(b)).await
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn envelopes_and_normalisation() {
    let t = T::new(FakeConfig::legacy()).await;
    let (s, v) = t
        .post(
            "/rest/people",
            json!({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "emails": {"primaryEmail": "Ada.Real@Example.COM"}, "jobTitle": "Engineer", "city": "London"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let p = &v["data"]["createPerson"];
    assert_eq!(
        p["emails"],
        json!({"primaryEmail": "ada.real@example.com", "additionalEmails": null})
    );
    assert_eq!(
        p["createdBy"],
        json!({"source": "API", "workspaceMemberId": null, "name": "My api key", "context": {}})
    );
    assert_eq!(p["phones"]["primaryPhoneNumber"], json!(""));
    assert!(p["deletedAt"].is_null() && p["companyId"].is_null());
    let id = p["id"].as_str().unwrap().to_string();

    let (s, v) = t
        .post("/rest/companies", json!({"name": "Sample Co", "domainName": {"primaryLinkUrl": "HTTPS://SampleCo.Example.com/"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let c = &v["data"]["createCompany"];
    assert_eq!(
        c["domainName"],
        json!({"primaryLinkLabel": null, "primaryLinkUrl": "https://sampleco.example.com", "secondaryLinks": []})
    );
    let cid = c["id"].as_str().unwrap().to_string();

    let filter = enc("emails.primaryEmail[eq]:\"ada.real@example.com\"");
    let (s, v) = t.get(&format!("/rest/people?filter={filter}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalCount"], json!(1));
    assert_eq!(v["data"]["people"][0]["id"], json!(id));
    assert_eq!(v["pageInfo"]["hasNextPage"], json!(false));

    let (s, v) = t
        .send(
            "PATCH",
            &format!("/rest/people/{id}"),
            Some(json!({"companyId": cid, "jobTitle": "Countess"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["updatePerson"]["jobTitle"], json!("Countess"));
    let (_, v) = t.get(&format!("/rest/people/{id}?depth=1")).await;
    assert_eq!(v["data"]["person"]["company"]["id"], json!(cid));

    let (s, v) = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "Batch A"}, {"name": "Batch B"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["data"]["createCompanies"].as_array().unwrap().len(), 2);
    let (_, v) = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc("or(name[eq]:\"Batch A\",name[eq]:\"Batch B\")")
        ))
        .await;
    assert_eq!(v["totalCount"], json!(2));

    let (s, v) = t.send("DELETE", &format!("/rest/people/{id}"), None).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"data": {"deletePerson": {"id": id}}})
        )
    );
    assert!(t.fake.records("people").is_empty());

    let (s, v) = t.get("/healthz").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"status": "ok", "info": {}, "error": {}, "details": {}})
        )
    );
    assert_eq!(t.fake.count_matching("POST", "/rest/"), 3);
    assert!(t.fake.requests().iter().all(|r| r.headers.authorization));
}

#[tokio::test(flavor = "multi_thread")]
async fn error_messages() {
    let t = T::new(FakeConfig::legacy()).await;
    let cases = [
        ("/rest/foos", "object 'foos' not found. eg: companies"),
        (
            "/rest/person",
            "object 'person' not found. Did you mean 'people'?",
        ),
        (
            "/rest/companies/not-a-uuid",
            "'not-a-uuid' is not a valid UUID",
        ),
        (
            "/rest/companies?limit=abc",
            "limit 'abc' is invalid. Should be an integer",
        ),
        (
            "/rest/companies?depth=2",
            "'depth=2' parameter invalid. Allowed values are 0, 1",
        ),
        (
            "/rest/companies?starting_after=garbage",
            "Invalid cursor: garbage",
        ),
        (
            "/rest/people?filter=foo%5Beq%5D%3A1",
            "field 'foo' does not exist in 'person' object",
        ),
        (
            "/rest/people?filter=and(name%5Beq%5D%3A%22a%22",
            "'filter' invalid. 1 close bracket is missing in the query",
        ),
        (
            "/rest/people?filter=externalId%5Beq%5D%3Ax",
            "field 'externalId' does not exist in 'person' object",
        ),
    ];
    for (p, msg) in cases {
        let (s, v) = t.get(p).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert_eq!(v["messages"][0], json!(msg), "{p}");
        assert_eq!(v["error"], json!("BadRequestException"));
    }
    let (s, v) = t.post("/rest/people", json!({"bogusField": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"statusCode": 400, "error": "Error", "messages": ["Field metadata for field \"bogusField\" is missing in object metadata person"]})
    );
    let resp = t
        .http
        .post(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v,
        json!({"statusCode": 400, "message": "Unexpected end of JSON input", "error": "Bad Request"})
    );
    // Huge body → 413, no panic.
    let big = vec![b'a'; 11 * 1024 * 1024];
    let resp = t
        .http
        .post(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    if let Ok(r) = resp {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // companyId that does not exist
    let (s, _) = t
        .post(
            "/rest/people",
            json!({"companyId": "af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // type mismatch in a filter is not an error
    let (s, v) = t
        .get("/rest/companies?filter=employees%5Bgte%5D%3Aabc")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalCount"], json!(0));
    assert!(v["pageInfo"]["startCursor"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_and_all_or_nothing_batches() {
    let mut cfg = FakeConfig::legacy();
    cfg.with_external_id = true;
    let t = T::new(cfg).await;
    assert_eq!(
        t.post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "ada@example.com"}, "externalId": "ext-1"})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (s, v) = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "ADA@example.com"}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"statusCode": 400, "error": "UserInputError", "messages": ["Duplicate Emails with value ada@example.com. Please set a unique one."]})
    );
    let (_, v) = t
        .post(
            "/rest/batch/people",
            json!([{"externalId": "ext-2"}, {"externalId": "ext-1"}]),
        )
        .await;
    assert_eq!(
        v["messages"][0],
        json!("Duplicate External ID with value ext-1. Please set a unique one.")
    );
    assert!(
        t.fake.find_by_external_id("people", "ext-2").is_empty(),
        "batch must be all-or-nothing"
    );
    // two items of one batch with the same new value
    let (s, _) = t
        .post(
            "/rest/batch/people",
            json!([{"externalId": "ext-9"}, {"externalId": "ext-9"}]),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(t.fake.find_by_external_id("people", "ext-9").is_empty());
    // empty values never collide
    let (s, _) = t
        .post("/rest/batch/people", json!([{"city": "a"}, {"city": "b"}]))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // soft-deleted rows keep their unique values
    let id = t.fake.find_by_external_id("people", "ext-1")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.fake.soft_delete_record("people", &id);
    let (s, _) = t.post("/rest/people", json!({"externalId": "ext-1"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Legacy has no batch cap.
    let many: Vec<Value> = (0..250).map(|i| json!({"name": format!("c{i}")})).collect();
    assert_eq!(
        t.post("/rest/batch/companies", Value::Array(many.clone()))
            .await
            .0,
        StatusCode::CREATED
    );

    t.fake.set_profile(Profile::Current);
    let (s, v) = t.post("/rest/batch/companies", Value::Array(many)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["messages"][0],
        json!("Maximum number of records to upsert is 200.")
    );
    let (_, v) = t.post("/rest/people", json!({"externalId": "ext-1"})).await;
    assert_eq!(
        v,
        json!({"statusCode": 400, "error": "BadRequestException", "messages": ["A duplicate entry was detected"]})
    );
    let (s, v) = t
        .post("/rest/batch/people", json!({"not": "an array"}))
        .await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (StatusCode::BAD_REQUEST, json!("Body must be an array"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upsert_only_in_current() {
    let mut cfg = FakeConfig::legacy();
    cfg.with_external_id = true;
    let t = T::new(cfg).await;
    let (_, v) = t
        .post("/rest/companies", json!({"name": "A", "externalId": "e1"}))
        .await;
    let id = v["data"]["createCompany"]["id"].clone();
    let (s, v) = t
        .post(
            "/rest/companies?upsert=true",
            json!({"name": "A2", "externalId": "e1"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "legacy ignores upsert: {v}");
    let (_, v) = t
        .post(
            "/rest/companies?upsert=true",
            json!({"id": id, "name": "A3"}),
        )
        .await;
    assert_eq!(v["messages"][0], json!("Record already exists"));

    t.fake.set_profile(Profile::Current);
    let (s, v) = t
        .post(
            "/rest/batch/companies?upsert=true",
            json!([{"name": "A2", "externalId": "e1"}, {"name": "B", "externalId": "e2"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let out = v["data"]["createCompanies"].as_array().unwrap();
    assert_eq!(out[0]["id"], id);
    assert_eq!(out[0]["name"], json!("A2"));
    assert_eq!(t.fake.records("companies").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_and_not_found_per_profile() {
    let t = T::new(FakeConfig::legacy()).await;
    let missing = "af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a";
    let r = t.http.get(t.url("/rest/companies")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"statusCode": 403, "messages": ["Missing authentication token"], "error": "FORBIDDEN_EXCEPTION"})
    );
    let r = t
        .http
        .get(t.url("/rest/companies"))
        .bearer_auth("invalid.token.here")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"statusCode": 401, "messages": ["No payload"], "error": "UNAUTHENTICATED"})
    );
    let (s, v) = t.get(&format!("/rest/companies/{missing}")).await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (StatusCode::BAD_REQUEST, json!("Record not found"))
    );
    let (s, v) = t
        .send(
            "PATCH",
            &format!("/rest/companies/{missing}"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(
        (s, v["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("EntityNotFoundError"))
    );
    assert!(v["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("Could not find any entity of type \"company\" matching:"));
    t.fake.revoke_key();
    let (s, v) = t.get("/rest/companies").await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (StatusCode::FORBIDDEN, json!("This API Key is revoked"))
    );

    // 2.4.0 answers with the same middleware shapes.
    t.fake.set_profile(Profile::Current);
    let (s, v) = t.get("/rest/companies").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::FORBIDDEN,
            json!({"statusCode": 403, "error": "FORBIDDEN_EXCEPTION", "messages": ["This API Key is revoked"]})
        )
    );
    t.fake.set_api_key("new-key");
    let (s, v) = t.get(&format!("/rest/companies/{missing}")).await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (StatusCode::NOT_FOUND, json!("Record not found"))
    );
    let (s, _) = t
        .send("DELETE", &format!("/rest/companies/{missing}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    t.fake.set_read_only(true);
    let (s, v) = t.post("/rest/companies", json!({"name": "x"})).await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (
            StatusCode::FORBIDDEN,
            json!("Entity performing the request does not have permission")
        )
    );
    assert_eq!(t.get("/rest/companies").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn soft_delete_and_pagination() {
    let t = T::new(FakeConfig::current()).await;
    for i in 0..5 {
        t.post(
            "/rest/companies",
            json!({"name": format!("c{i}"), "employees": i}),
        )
        .await;
    }
    let (_, v) = t
        .get("/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D")
        .await;
    assert_eq!(
        v["data"]["companies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("c0"), json!("c1")]
    );
    assert_eq!(v["totalCount"], json!(5));
    assert_eq!(v["pageInfo"]["hasNextPage"], json!(true));
    let cursor = v["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let (_, v) = t
        .get(&format!(
            "/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D&starting_after={}",
            enc(&cursor)
        ))
        .await;
    assert_eq!(v["data"]["companies"][0]["name"], json!("c2"));
    let (_, v) = t
        .get("/rest/companies?order_by=employees%5BDescNullsLast%5D&limit=1")
        .await;
    assert_eq!(v["data"]["companies"][0]["name"], json!("c4"));
    let id = t.fake.records("companies")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = t
        .send(
            "DELETE",
            &format!("/rest/companies/{id}?soft_delete=true"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.get("/rest/companies").await.1["totalCount"], json!(4));
    assert_eq!(
        t.get(&format!("/rest/companies/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, v) = t
        .get("/rest/companies?filter=deletedAt%5Bis%5D%3ANOT_NULL")
        .await;
    assert_eq!(v["totalCount"], json!(1));
    assert_eq!(t.fake.records_including_deleted("companies").len(), 5);
    let (s, _) = t
        .get("/rest/companies?starting_after=a&ending_before=b")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_per_profile() {
    let t = T::new(FakeConfig::legacy()).await;
    let (s, v) = t.get("/rest/metadata/objects").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"statusCode": 400, "messages": ["Cannot query field 'dataSourceId' on type 'Object'."], "error": "Bad Request"})
        )
    );
    let (s, v) = t.post("/metadata", json!({"query": "{ objects(paging:{first:200}) { edges { node { id nameSingular namePlural fields { edges { node { name isUnique } } } } } } }"})).await;
    assert_eq!(s, StatusCode::OK);
    let edges = v["data"]["objects"]["edges"].as_array().unwrap();
    let person = edges
        .iter()
        .find(|e| e["node"]["nameSingular"] == json!("person"))
        .unwrap();
    let person_id = person["node"]["id"].as_str().unwrap().to_string();
    assert_eq!(person_id, t.fake.object_metadata_id("people"));
    assert!(person["node"]["fields"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["node"]["name"] == json!("emails") && f["node"]["isUnique"] == json!(true)));
    let field = json!({"objectMetadataId": person_id, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true});
    let (s, v) = t.post("/rest/metadata/fields", field.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["createOneField"]["isNullable"], json!(false));
    assert_eq!(v["data"]["createOneField"]["defaultValue"], json!("''"));
    let (s, v) = t.post("/rest/metadata/fields", field).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"statusCode": 400, "messages": ["Name 'externalId' is not available, check that it is not duplicating another field's name."], "error": "Bad Request"})
        )
    );
    let (s, _) = t.post("/rest/people", json!({"externalId": "x-1"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = t
        .get(&format!(
            "/rest/people?filter={}",
            enc("externalId[in]:[\"x-1\",\"x-2\"]")
        ))
        .await;
    assert_eq!(v["totalCount"], json!(1));
    // companies still lack the field
    assert_eq!(
        t.post("/rest/companies", json!({"externalId": "x-1"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    t.fake.set_profile(Profile::Current);
    let (s, v) = t.get("/rest/metadata/objects").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalCount"], json!(2));
    let people = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["namePlural"] == json!("people"))
        .unwrap();
    assert!(people["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == json!("externalId") && f["isUnique"] == json!(true)));
    t.fake
        .set_metadata_list_shape(fake_twenty::MetadataListShape::Nested);
    assert_eq!(
        t.get("/rest/metadata/objects").await.1["data"]["objects"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    t.fake.set_key_can_edit_data_model(false);
    assert_eq!(
        t.get("/rest/metadata/objects").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drop_after_commit_really_commits() {
    let t = T::new(FakeConfig::current()).await;
    t.fake.faults().drop_after_commit_next(1);
    let res = t
        .http
        .post(t.url("/rest/companies"))
        .bearer_auth(t.fake.api_key())
        .json(&json!({"name": "Committed"}))
        .send()
        .await;
    assert!(
        res.is_err(),
        "connection must be dropped without a response"
    );
    assert_eq!(t.fake.records("companies").len(), 1);
    let last = t.fake.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.fault.as_deref()),
        (201, Some("drop_after_commit"))
    );
    // next request is normal
    assert_eq!(t.get("/rest/companies").await.1["totalCount"], json!(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn down_then_up_on_same_port() {
    let t = T::new(FakeConfig::current()).await;
    let port = t.fake.port();
    assert_eq!(t.get("/rest/people").await.0, StatusCode::OK);
    t.fake.faults().down(true);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = client()
        .get(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .send()
        .await;
    assert!(err.is_err(), "refused while down");
    // control listener stays reachable
    let st: Value = client()
        .get(format!("{}/__fake/state", t.fake.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["faults"]["down"], json!(true));
    client()
        .post(format!("{}/__fake/faults", t.fake.control_url()))
        .json(&json!({"down": false}))
        .send()
        .await
        .unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if let Ok(r) = client().get(t.url("/healthz")).send().await {
            ok = r.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok);
    assert_eq!(t.fake.port(), port);
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_next_and_timeout() {
    let mut cfg = FakeConfig::current();
    cfg.hang_duration = Duration::from_millis(1500);
    let t = T::new(cfg).await;
    t.fake.faults().fail_next(2, 503);
    assert_eq!(t.get("/healthz").await.0, StatusCode::SERVICE_UNAVAILABLE);
    let (s, body) = t.get("/rest/people").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body
        .as_str()
        .unwrap()
        .contains("503 Service Temporarily Unavailable"));
    assert_eq!(
        t.get("/rest/people").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(t.get("/rest/people").await.0, StatusCode::OK);
    t.fake.faults().fail_next(1, 500);
    assert_eq!(
        t.get("/rest/people").await.1,
        json!({"statusCode": 500, "message": "Internal server error"})
    );

    t.fake.faults().timeout_next(1);
    let quick = Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = quick
        .post(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .json(&json!({"city": "x"}))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());
    assert!(
        t.fake.records("people").is_empty(),
        "a hung request applies nothing"
    );
    assert_eq!(t.get("/rest/people").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_variants() {
    let t = T::new(FakeConfig::legacy()).await;
    t.fake
        .faults()
        .rate_limit(Some(RateLimitConfig::new(3, Duration::from_secs(60))));
    for _ in 0..3 {
        assert_eq!(t.get("/rest/people").await.0, StatusCode::OK);
    }
    let r = t
        .http
        .get(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"statusCode": 429, "error": "HttpException", "messages": ["Limit reached (3 tokens per 60000 ms)"]})
    );

    // Current variant on a scaled clock: 100/min at x600 refills a token every 1 ms.
    t.fake.faults().rate_limit(Some(
        RateLimitConfig::new(2, Duration::from_secs(60))
            .with_time_scale(60.0)
            .with_variant(RateLimitVariant::Current),
    ));
    t.get("/rest/people").await;
    t.get("/rest/people").await;
    let r = t
        .http
        .get(t.url("/rest/people"))
        .bearer_auth(t.fake.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    for h in [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(r.headers().get(h).is_some(), "{h}");
    }
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], json!("RATE_LIMITED"));
    assert_eq!(v["periodUnit"], json!("minute"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        t.get("/rest/people").await.0,
        StatusCode::OK,
        "scaled refill"
    );

    t.fake.faults().rate_limit(None);
    t.fake.faults().quota_exhausted(true);
    let (s, v) = t.get("/rest/people").await;
    assert_eq!(
        (s, v["error"].clone()),
        (StatusCode::PAYMENT_REQUIRED, json!("QUOTA_EXHAUSTED"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn control_api_and_reset() {
    let t = T::new(FakeConfig::current()).await;
    let ctl = |p: &str| format!("{}{}", t.fake.base_url(), p);
    let r = client()
        .post(ctl("/__fake/faults"))
        .json(&json!({"fail_next": {"count": 1, "status": 502}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(t.get("/rest/people").await.0, StatusCode::BAD_GATEWAY);
    client()
        .post(ctl("/__fake/config"))
        .json(&json!({"profile": "legacy", "external_id_fields": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(t.fake.profile(), Profile::Legacy2025);
    assert!(t.fake.has_field("companies", "externalId"));
    t.post("/rest/companies", json!({"name": "x"})).await;
    let st: Value = client()
        .get(ctl("/__fake/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["objects"]["companies"]["live_count"], json!(1));
    assert_eq!(st["profile"], json!("legacy"));
    let bad = client()
        .post(ctl("/__fake/faults"))
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    client().post(ctl("/__fake/reset")).send().await.unwrap();
    assert_eq!(
        t.fake.request_count(),
        0,
        "control calls are not logged; reset clears the log"
    );
    assert!(t.fake.records("companies").is_empty());
    assert_eq!(t.fake.profile(), Profile::Current);
}
