//! Retries: the policy ([`RetryPolicy`]), the backoff schedule with jitter, `Retry-After`
//! parsing, and the loop that runs one operation's attempts, each behind a budget permit.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::budget::RequestBudget;
use super::error::{ErrorKind, TwentyError};

/// How failed attempts are retried. Only retryable errors (408, 429, 500, 502, 503, 504,
/// timeouts, connection failures) are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The wait before the first retry; it doubles for each further retry. Also the jitter span.
    pub initial_backoff: Duration,
    /// No wait is ever longer than this, jitter included. A `Retry-After` longer than this ends
    /// the operation at once with the rate-limit error (the budget stays paused until then).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries (used by the connection test and health probes).
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (0 = the first retry) for a jitter draw `jitter` in
    /// `[0, 1)`: `min(initial × 2^retry + jitter × initial, max_backoff)`. With the defaults:
    /// [1, 2) s, [2, 3) s, [4, 5) s; never above `max_backoff`.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        let base = self.initial_backoff.saturating_mul(factor);
        let jitter = self
            .initial_backoff
            .mul_f64(jitter.clamp(0.0, 1.0 - f64::EPSILON));
        base.saturating_add(jitter).min(self.max_backoff)
    }

    /// [`RetryPolicy::backoff`] with a random jitter draw.
    pub fn backoff_with_random_jitter(&self, retry: u32) -> Duration {
        self.backoff(retry, rand::rng().random::<f64>())
    }
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date (RFC 7231 IMF-fixdate, and the
/// RFC 2822 forms chrono accepts) compared with `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds.min(86_400.0 * 365.0)));
        }
        return None;
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Runs `attempt` until it succeeds, fails for good, or the retries run out. Every attempt
/// first takes a permit from `budget`. A 429 pauses the whole budget for `Retry-After` when
/// given; else it empties and slows it ([`RequestBudget::throttled`]) and waits the backoff.
/// `label` names the operation in logs (never the key).
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    budget: &RequestBudget,
    label: &str,
    mut attempt: F,
) -> Result<T, TwentyError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, TwentyError>>,
{
    let mut retry = 0u32;
    let mut unknown_before = false;
    loop {
        budget.acquire().await;
        let error = match attempt(retry).await {
            Ok(value) => return Ok(value),
            Err(error) if unknown_before => error.after_unknown_outcome(),
            Err(error) => error,
        };
        if !error.is_retryable() {
            return Err(error);
        }
        unknown_before |= error.outcome_unknown();
        let rate_limited = error.kind() == ErrorKind::RateLimited;
        let delay = match error.retry_after() {
            Some(wait) => wait,
            None => policy.backoff_with_random_jitter(retry),
        };
        if rate_limited {
            budget.throttled(error.retry_after(), delay);
        }
        let attempts = retry + 1;
        if retry >= policy.max_retries {
            return Err(if attempts > 1 {
                TwentyError::exhausted(attempts, error)
            } else {
                error
            });
        }
        if delay > policy.max_backoff {
            tracing::warn!(
                operation = label,
                wait_s = delay.as_secs(),
                "Twenty asks to wait longer than the retry cap; giving up for now: {error}"
            );
            return Err(error);
        }
        tracing::warn!(
            operation = label,
            attempt = attempts,
            max_attempts = policy.max_retries + 1,
            wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "request to Twenty failed, retrying: {error}"
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}
