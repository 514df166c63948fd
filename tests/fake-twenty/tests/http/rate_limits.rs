//! Rate limits: both variants (the refusal body, the headers or their absence, the refill on a
//! scaled clock) and an exhausted quota.

use std::time::Duration;

use fake_twenty::{FakeConfig, RateLimitConfig, RateLimitVariant};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::T;

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
