//! Switchable faults: a dropped connection after the commit, down then up on the same port,
//! failing the next requests, and a hang until the client's timeout.

use std::time::Duration;

use fake_twenty::FakeConfig;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::support::{client, T};

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
