//! The Aug-2025 build's errors: duplicate email and domain, bad filters row by row, the other
//! 400s bullet by bullet, and the auth answers.

use serde_json::{json, Value};

use crate::support::{
    assert_auth_answers, create_ada, enc, lit, ADA_REQUEST, SAMPLE_CO_REQUEST, T,
};

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

#[tokio::test(flavor = "multi_thread")]
async fn errors_auth() {
    assert_auth_answers(&T::legacy().await).await;
}
