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
