//! Failures against the fake: wrong keys, server errors, timeouts, rate limits, quota.

use super::*;

#[tokio::test]
async fn wrong_keys_are_auth_errors_and_never_echoed() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let key = "a.b*c+(d)-key";
        let client = client_with(&fake.base_url(), key, fast());
        let error = client
            .find_by_external_ids(EntityKind::Person, &strings(&["x"]))
            .await
            .expect_err("refused");
        assert_eq!(error.code(), ErrorCode::AuthError, "{profile:?}");
        // Both real builds answer a wrong bearer token with 401 (403 only without a header).
        assert_eq!(error.status(), Some(401), "{profile:?}");
        assert!(!error.is_retryable());
        assert!(!error.to_string().contains(key));
        assert_eq!(fake.request_count(), 1, "no retry");
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_then_wrapped() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    let one = strings(&["x"]);

    fake.faults().fail_next(2, 503);
    client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect("third attempt works");
    assert_eq!(fake.count_matching("GET", "/rest/companies"), 3);

    fake.clear_requests();
    fake.faults().fail_next(4, 502);
    let error = client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect_err("retries exhausted");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert!(error.is_retryable());
    assert_eq!(error.root().status(), Some(502));
    assert_eq!(error.server_message(), Some("502 Bad Gateway"));
    assert_eq!(fake.request_count(), 4, "1 + 3 retries");

    fake.clear_requests();
    fake.faults().fail_next(1, 400);
    let error = client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect_err("400");
    assert_eq!(error.code(), ErrorCode::ValidationError);
    assert_eq!(fake.request_count(), 1, "no retry on 400");
}

#[tokio::test]
async fn timeouts_are_retried() {
    let fake = fake(Profile::Current, true).await;
    let config = ClientConfig {
        timeout: Duration::from_millis(300),
        retry: fast(),
        ..ClientConfig::new(fake.base_url(), fake.api_key())
    };
    let client = TwentyClient::new(config, RequestBudget::new(60_000, 1_000)).expect("client");
    fake.faults().set_hang_duration(Duration::from_secs(3));
    fake.faults().timeout_next(1);
    client
        .create_batch(
            EntityKind::Company,
            &[company_body("t-1", &company("T"))],
            "k",
            false,
        )
        .await
        .expect("second attempt works");
    assert_eq!(fake.count_matching("POST", "/rest/batch/companies"), 2);

    fake.faults().timeout_next(4);
    let started = Instant::now();
    let error = client
        .find_by_external_ids(EntityKind::Company, &strings(&["t-1"]))
        .await
        .expect_err("always hangs");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert_eq!(error.root().code(), ErrorCode::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out() {
    for profile in PROFILES {
        // 2 requests per nominal minute, run 60× faster: one token every 0.5 s.
        let limit = RateLimitConfig::new(2, Duration::from_secs(60)).with_time_scale(60.0);
        let fake = FakeTwenty::start(FakeConfig {
            with_external_id: true,
            rate_limit: Some(limit),
            ..FakeConfig::with_profile(profile)
        })
        .await;
        let retry = RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(3),
        };
        let client = client_with(&fake.base_url(), &fake.api_key(), retry);
        for _ in 0..4 {
            client
                .find_by_external_ids(EntityKind::Company, &strings(&["x"]))
                .await
                .expect("waits, then succeeds");
        }
        let limited = fake.requests().iter().filter(|r| r.status == 429).count();
        assert!(limited >= 1, "{profile:?}: the limiter was hit");
        assert_eq!(
            client.budget().total_requests(),
            fake.request_count() as u64,
            "every attempt took a permit"
        );
    }
}

#[tokio::test]
async fn quota_exhaustion_is_not_retried() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    fake.faults().quota_exhausted(true);
    let error = client
        .create_batch(
            EntityKind::Company,
            &[company_body("q", &company("Q"))],
            "k",
            false,
        )
        .await
        .expect_err("402");
    assert_eq!(error.code(), ErrorCode::QuotaExhausted);
    assert_eq!(fake.request_count(), 1);
}
