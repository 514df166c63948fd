//! The request budget under paused tokio time: spacing, burst, `set_rate`, `pause_until`,
//! and the counters.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::twenty::RequestBudget;

#[tokio::test(start_paused = true)]
async fn requests_are_spaced_by_the_rate_after_the_burst() {
    let budget = RequestBudget::new(60, 1);
    let started = Instant::now();
    for _ in 0..5 {
        budget.acquire().await;
    }
    assert_eq!(started.elapsed(), Duration::from_secs(4));
    assert_eq!(budget.total_requests(), 5);

    let burst = RequestBudget::new(60, 3);
    let started = Instant::now();
    for _ in 0..3 {
        burst.acquire().await;
    }
    assert_eq!(started.elapsed(), Duration::ZERO, "the burst is immediate");
    for _ in 0..2 {
        burst.acquire().await;
    }
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_budget() {
    let budget = RequestBudget::new(120, 1);
    let started = Instant::now();
    let tasks: Vec<_> = (0..7)
        .map(|_| {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move { budget.acquire().await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(3),
        "7 permits at 2/s"
    );
    assert_eq!(budget.requests_in_last_minute(), 7);
}

#[tokio::test(start_paused = true)]
async fn set_rate_applies_at_once() {
    let budget = RequestBudget::new(60, 1);
    budget.acquire().await;
    budget.set_rate(6);
    assert_eq!(budget.limit_per_minute(), 6);
    let started = Instant::now();
    budget.acquire().await;
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(10),
        "one permit per 10 s now"
    );
    budget.acquire().await;
    assert_eq!(started.elapsed(), Duration::from_secs(20));

    budget.set_rate(600);
    let started = Instant::now();
    budget.acquire().await;
    budget.acquire().await;
    assert!(
        started.elapsed() <= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn pause_until_blocks_every_caller() {
    let budget = RequestBudget::new(6_000, 100);
    let started = Instant::now();
    budget.pause_until(started + Duration::from_secs(30));
    // A shorter pause never shortens the current one.
    budget.pause_until(started + Duration::from_secs(5));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move {
                budget.acquire().await;
                Instant::now()
            })
        })
        .collect();
    for task in tasks {
        let done = task.await.expect("task");
        assert!(done - started >= Duration::from_secs(30));
    }
    assert_eq!(budget.paused_until(), None);
}

#[tokio::test(start_paused = true)]
async fn requests_in_last_minute_slides() {
    let budget = RequestBudget::new(6_000, 10);
    for _ in 0..4 {
        budget.acquire().await;
    }
    assert_eq!(budget.requests_in_last_minute(), 4);
    tokio::time::sleep(Duration::from_secs(30)).await;
    budget.acquire().await;
    assert_eq!(budget.requests_in_last_minute(), 5);
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(budget.requests_in_last_minute(), 1);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(budget.requests_in_last_minute(), 0);
    assert_eq!(budget.total_requests(), 5);
}

#[test]
fn zero_values_are_treated_as_one() {
    let budget = RequestBudget::new(0, 0);
    assert_eq!(budget.limit_per_minute(), 1);
    assert_eq!(budget.burst(), 1);
}

/// Twenty's throttler as measured on 2.4.0 (real-server-samples.md): `capacity` tokens refilled
/// continuously over 60 s, one per request whatever its size, and a refused request spends what
/// the bucket held (the fake's `count_refused`).
struct TwentyBucket {
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl TwentyBucket {
    fn holding(capacity: u32, tokens: u32) -> TwentyBucket {
        TwentyBucket {
            capacity: f64::from(capacity),
            tokens: f64::from(tokens),
            at: Instant::now(),
        }
    }

    /// One request now: answered, or refused with 429 (no `Retry-After`).
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = (now - self.at).as_secs_f64() * self.capacity / 60.0;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.tokens = 0.0;
            false
        }
    }
}

/// `requests` through `budget` against `server`, a refusal handled as the client does (the
/// budget throttled, the request sent again after the backoff); the refusals.
async fn run_against(budget: &RequestBudget, server: &mut TwentyBucket, requests: usize) -> usize {
    let mut refused = 0;
    for _ in 0..requests {
        loop {
            budget.acquire().await;
            if server.take() {
                break;
            }
            refused += 1;
            budget.throttled(None, Duration::from_secs(1));
        }
    }
    refused
}

#[tokio::test(start_paused = true)]
async fn at_the_servers_own_limit_no_request_is_refused() {
    let budget = RequestBudget::for_rate(100);
    let mut server = TwentyBucket::holding(100, 100);
    let started = Instant::now();
    assert_eq!(run_against(&budget, &mut server, 1_000).await, 0);
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    assert!(
        (9.9..10.1).contains(&minutes),
        "{minutes} min for 1,000 at 100/min"
    );
    assert_eq!(budget.total_requests(), 1_000);
}

#[tokio::test(start_paused = true)]
async fn a_new_process_meets_a_drained_bucket_at_most_once() {
    // An earlier process spent the whole bucket just before this one started.
    let mut server = TwentyBucket::holding(100, 0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let budget = RequestBudget::for_rate(100);
    let refused = run_against(&budget, &mut server, 300).await;
    assert!(refused <= 1, "{refused} refused");
    // Started below its burst: one permit at once, the next one a refill later.
    let fresh = RequestBudget::for_rate(100);
    let started = Instant::now();
    fresh.acquire().await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    fresh.acquire().await;
    assert_eq!(started.elapsed(), Duration::from_millis(600));
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_empties_and_slows_the_whole_budget() {
    let budget = RequestBudget::new(60, 5);
    budget.throttled(None, Duration::from_secs(1));
    assert_eq!(budget.pace_per_minute(), 45);
    let started = Instant::now();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move { budget.acquire().await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    // Every caller waits the backoff, then the emptied budget refills at 45/min (4/3 s each):
    // no burst is left to spend.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(4),
        "three permits after a 429 took {elapsed:?}"
    );
    // Repeated refusals slow it down to a quarter of the setting, no further.
    for _ in 0..10 {
        budget.throttled(None, Duration::ZERO);
    }
    assert_eq!(budget.pace_per_minute(), 15);
    // A quiet minute brings the setting back.
    tokio::time::sleep(Duration::from_secs(61)).await;
    budget.acquire().await;
    assert_eq!(budget.pace_per_minute(), 60);
    // With Retry-After, Twenty says how long: the budget waits that long and keeps its pace.
    budget.throttled(Some(Duration::from_secs(7)), Duration::from_secs(1));
    assert_eq!(budget.pace_per_minute(), 60);
    assert!(budget.paused_until().is_some());
}

#[tokio::test(start_paused = true)]
async fn sharing_the_key_with_another_client_keeps_refusals_rare() {
    // Someone else spends 30 of the key's 100 requests a minute, one every 2 s.
    let budget = RequestBudget::for_rate(100);
    let mut server = TwentyBucket::holding(100, 100);
    let started = Instant::now();
    let mut other_sent = 0u32;
    let mut refused = 0;
    for _ in 0..600 {
        loop {
            budget.acquire().await;
            let due = (started.elapsed().as_secs() / 2) as u32;
            while other_sent < due {
                server.take();
                other_sent += 1;
            }
            if server.take() {
                break;
            }
            refused += 1;
            budget.throttled(None, Duration::from_secs(1));
        }
    }
    assert!(refused <= 15, "{refused} refusals in 600 requests");
}

#[tokio::test(start_paused = true)]
async fn retries_and_refused_attempts_take_permits_too() {
    let budget = RequestBudget::new(6_000, 10);
    let policy = crate::twenty::RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    };
    let redactor = crate::twenty::error::Redactor::new(crate::config::Secret::new("k-0123456789"));
    let mut attempts = 0;
    let result = crate::twenty::retry::run(&policy, &budget, "test", |_| {
        attempts += 1;
        let answer = if attempts < 3 {
            Err(crate::twenty::error::classify_status(
                429,
                br#"{"statusCode":429,"error":"HttpException","messages":["Limit reached (100 tokens per 60000 ms)"]}"#,
                None,
                &redactor,
            ))
        } else {
            Ok(())
        };
        async move { answer }
    })
    .await;
    assert!(result.is_ok());
    assert_eq!(
        budget.total_requests(),
        3,
        "two refused attempts and the answered one"
    );
}
