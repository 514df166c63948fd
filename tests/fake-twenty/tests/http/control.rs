//! The control API over HTTP (faults, config, state, reset): control calls are not logged, and a
//! reset clears the records, the log and the profile.

use fake_twenty::{FakeConfig, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{client, T};

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
