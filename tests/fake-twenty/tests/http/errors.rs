//! Error answers over HTTP: the real messages, and auth and not-found per profile.

use fake_twenty::{FakeConfig, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::T;

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
