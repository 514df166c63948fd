//! The retry loop and backoff schedule under paused tokio time: bounds, the cap, `Retry-After`,
//! budget pauses after 429, and no retries for permanent errors.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::Secret;
use crate::twenty::error::{classify_status, ErrorKind, Redactor};
use crate::twenty::retry::{parse_retry_after, run};
use crate::twenty::{ErrorCode, RequestBudget, RetryPolicy, TwentyError};

fn redactor() -> Redactor {
    Redactor::new(Secret::new("key"))
}

fn server_error(status: u16) -> TwentyError {
    classify_status(status, b"", None, &redactor())
}

fn rate_limited(retry_after: Option<Duration>) -> TwentyError {
    classify_status(
        429,
        br#"{"statusCode":429,"messages":["Limit reached"]}"#,
        retry_after,
        &redactor(),
    )
}

/// A generous budget that never delays these tests.
fn budget() -> Arc<RequestBudget> {
    RequestBudget::new(60_000, 1_000)
}

/// Runs `run` with attempts answered by `script` (then Ok), returning the result, the number
/// of attempts and the virtual time taken.
async fn scripted(
    policy: RetryPolicy,
    budget: &RequestBudget,
    script: Vec<TwentyError>,
) -> (Result<u32, TwentyError>, u32, Duration) {
    let calls = AtomicU32::new(0);
    let started = Instant::now();
    let result = run(&policy, budget, "test", |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let next = script.get(n as usize).cloned();
        async move {
            match next {
                Some(error) => Err(error),
                None => Ok(n),
            }
        }
    })
    .await;
    (result, calls.load(Ordering::SeqCst), started.elapsed())
}

#[test]
fn backoff_schedule_bounds_and_cap() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.max_retries, 3);
    assert_eq!(policy.initial_backoff, Duration::from_secs(1));
    assert_eq!(policy.max_backoff, Duration::from_secs(30));
    for (retry, low, high) in [(0, 1_000, 2_000), (1, 2_000, 3_000), (2, 4_000, 5_000)] {
        for jitter in [0.0, 0.25, 0.5, 0.999_999] {
            let wait = policy.backoff(retry, jitter).as_millis();
            assert!(
                wait >= low && wait < high,
                "retry {retry} jitter {jitter}: {wait}"
            );
        }
        for _ in 0..200 {
            let wait = policy.backoff_with_random_jitter(retry).as_millis();
            assert!(wait >= low && wait < high, "retry {retry}: {wait}");
        }
    }
    // Jitter never pushes past the cap, however far the exponent goes.
    for retry in [3, 4, 5, 6, 10, 31, 32, 1_000, u32::MAX] {
        for jitter in [0.0, 0.5, 0.999_999, 1.0, 7.0] {
            assert!(policy.backoff(retry, jitter) <= Duration::from_secs(30));
        }
        if retry >= 5 {
            assert_eq!(policy.backoff(retry, 0.0), Duration::from_secs(30));
        }
    }
    assert_eq!(policy.backoff(4, 0.999_999).as_millis(), 16_999);
    let tight = RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_secs(10),
        max_backoff: Duration::from_secs(15),
    };
    assert!(tight.backoff(0, 0.999) <= Duration::from_secs(15));
    assert_eq!(tight.backoff(1, 0.0), Duration::from_secs(15));
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_retried_three_times_then_wrapped() {
    let budget = budget();
    let (result, attempts, elapsed) =
        scripted(RetryPolicy::default(), &budget, vec![server_error(503); 4]).await;
    assert_eq!(attempts, 4);
    let error = result.expect_err("all attempts fail");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert!(error.is_retryable());
    assert_eq!(error.status(), Some(503));
    // Waits: [1, 2) + [2, 3) + [4, 5) seconds of virtual time.
    assert!(
        elapsed >= Duration::from_secs(7) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert_eq!(budget.total_requests(), 4, "every attempt takes a permit");
}

#[tokio::test(start_paused = true)]
async fn every_retryable_kind_is_retried_until_success() {
    for error in [
        server_error(500),
        server_error(502),
        server_error(504),
        server_error(408),
        TwentyError::new(ErrorKind::Timeout, None, "timed out"),
        TwentyError::new(ErrorKind::Network, None, "connection refused"),
        rate_limited(None),
    ] {
        let (result, attempts, _) =
            scripted(RetryPolicy::default(), &budget(), vec![error.clone()]).await;
        assert_eq!(result.ok(), Some(1), "{error}");
        assert_eq!(attempts, 2, "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    for (status, body) in [
        (400, r#"{"statusCode":400,"messages":["bad"]}"#),
        (401, r#"{"statusCode":401,"messages":["No payload"]}"#),
        (
            403,
            r#"{"statusCode":403,"messages":["Forbidden resource"]}"#,
        ),
        (404, r#"{"statusCode":404,"messages":["Record not found"]}"#),
        (402, r#"{"statusCode":402,"messages":["Quota"]}"#),
        (
            400,
            r#"{"statusCode":400,"messages":["Duplicate External ID with value a"]}"#,
        ),
        (501, ""),
    ] {
        let error = classify_status(status, body.as_bytes(), None, &redactor());
        let started = Instant::now();
        let (result, attempts, _) =
            scripted(RetryPolicy::default(), &budget(), vec![error.clone(); 4]).await;
        assert_eq!(attempts, 1, "{status}");
        assert_eq!(result.err(), Some(error), "{status}: returned as is");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_pauses_the_whole_budget() {
    let budget = budget();
    let started = Instant::now();
    let (result, attempts, elapsed) = scripted(
        RetryPolicy::default(),
        &budget,
        vec![rate_limited(Some(Duration::from_secs(7)))],
    )
    .await;
    assert_eq!(result.ok(), Some(1));
    assert_eq!(attempts, 2);
    assert_eq!(
        elapsed,
        Duration::from_secs(7),
        "exactly Retry-After, no jitter"
    );

    // Another 429: while the budget is paused, every other caller waits too.
    let budget2 = Arc::clone(&budget);
    let retrying = tokio::spawn(async move {
        scripted(
            RetryPolicy::default(),
            &budget2,
            vec![rate_limited(Some(Duration::from_secs(20)))],
        )
        .await
    });
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
    let other = Instant::now();
    budget.acquire().await;
    assert!(
        other.elapsed() >= Duration::from_secs(19),
        "{:?}",
        other.elapsed()
    );
    let (result, _, _) = retrying.await.expect("task");
    assert!(result.is_ok());
    assert!(started.elapsed() >= Duration::from_secs(27));
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_pauses_the_budget_for_the_backoff() {
    let budget = budget();
    let (result, _, elapsed) =
        scripted(RetryPolicy::default(), &budget, vec![rate_limited(None)]).await;
    assert!(result.is_ok());
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_ends_the_call_at_once() {
    let budget = budget();
    let (result, attempts, elapsed) = scripted(
        RetryPolicy::default(),
        &budget,
        vec![rate_limited(Some(Duration::from_secs(3_600)))],
    )
    .await;
    assert_eq!(attempts, 1);
    assert_eq!(elapsed, Duration::ZERO);
    let error = result.expect_err("gives up");
    assert_eq!(error.code(), ErrorCode::RateLimit);
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3_600)));
    let until = budget.paused_until().expect("budget paused");
    assert_eq!(until - Instant::now(), Duration::from_secs(3_600));
}

#[tokio::test(start_paused = true)]
async fn no_retry_policy_returns_the_error_itself() {
    let (result, attempts, _) =
        scripted(RetryPolicy::none(), &budget(), vec![server_error(503)]).await;
    assert_eq!(attempts, 1);
    assert_eq!(result.err().map(|e| e.code()), Some(ErrorCode::ServerError));
}

#[test]
fn retry_after_values() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T11:52:00Z")
        .expect("date")
        .with_timezone(&chrono::Utc);
    assert_eq!(parse_retry_after("12", now), Some(Duration::from_secs(12)));
    assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after("Fri, 27 Nov 2026 11:52:07 GMT", now),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        parse_retry_after("Fri, 27 Nov 2026 11:51:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past means now"
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-3", now), None);
}
