//! Token-bucket rate limiter with a scalable clock (continuous refill; optionally counting refused
//! requests, as 2.4.0 does), both 429 variants (the throttler's `HttpException` without headers,
//! which 2.4.0 sends; the usage-limit body with `Retry-After`/`X-RateLimit-*` of newer code), and
//! the 402 quota-exhausted answer.

use std::time::{Duration, Instant};

use axum::http::HeaderName;
use serde_json::json;

use crate::config::Profile;
use crate::errors::ApiError;
use crate::util::now_millis;

/// Which 429 the limiter sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitVariant {
    /// `{"statusCode":429,"error":"HttpException","messages":["Limit reached (N tokens per W ms)"]}`
    /// without any rate-limit headers: the throttler, as the real 2.4.0 server answers a REST
    /// burst (real-server-samples.md). The default in both profiles.
    Legacy,
    /// Usage-limit body with `Retry-After`, `X-RateLimit-Limit`, `-Remaining`, `-Reset`, read
    /// from code newer than 2.4.0 (rest-api.md §9); no captured server sent it. Only on request.
    Current,
}

impl RateLimitVariant {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "legacy" | "legacy2025" => Some(Self::Legacy),
            "current" | "newest" => Some(Self::Current),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Current => "current",
        }
    }
}

/// `limit` requests per `window`, refilled continuously. `time_scale` > 1 runs the limiter's
/// clock faster than real time (100/min at scale 60 behaves like 100/s) while messages still
/// name the nominal numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    pub limit: u32,
    pub window: Duration,
    pub time_scale: f64,
    /// `None` = the throttler's `HttpException` body in both profiles (what 2.4.0 sends).
    pub variant: Option<RateLimitVariant>,
    /// A refused request still spends what the bucket holds (it never goes below zero), so a
    /// client retrying faster than the refill never gets through: 2.4.0 "counts every request,
    /// refused ones included". On by default; [`RateLimitConfig::counting_refused`] turns it off.
    pub count_refused: bool,
}

impl RateLimitConfig {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimitConfig {
            limit,
            window,
            time_scale: 1.0,
            variant: None,
            count_refused: true,
        }
    }

    /// The REST limit of a real 2.4.0 server: 100 requests per 60 s per workspace, refilled
    /// continuously, refused requests counted, 429 `Limit reached (100 tokens per 60000 ms)`
    /// without headers. (Its second bucket, 100 per 1 s, never binds once this one does.)
    pub fn twenty_2_4() -> Self {
        RateLimitConfig::new(100, Duration::from_secs(60))
    }

    pub fn counting_refused(mut self, on: bool) -> Self {
        self.count_refused = on;
        self
    }

    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    pub fn with_variant(mut self, v: RateLimitVariant) -> Self {
        self.variant = Some(v);
        self
    }

    /// Real-time duration of one window.
    fn real_window(&self) -> Duration {
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        self.window.div_f64(scale).max(Duration::from_micros(1))
    }
}

/// Bucket state.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    pub config: RateLimitConfig,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(config: RateLimitConfig) -> Self {
        TokenBucket {
            config,
            tokens: config.limit as f64,
            last: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let per_sec = self.config.limit as f64 / self.config.real_window().as_secs_f64();
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(self.config.limit as f64);
        self.last = now;
    }

    /// Takes one token, or returns the real time until one is available.
    pub fn try_take(&mut self) -> Result<u32, Duration> {
        self.refill(Instant::now());
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(self.tokens.floor() as u32)
        } else {
            if self.config.count_refused {
                self.tokens = 0.0;
            }
            let per_sec = self.config.limit as f64 / self.config.real_window().as_secs_f64();
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64((missing / per_sec).max(0.0)))
        }
    }

    /// Spends every token, as a client that just used up the bucket leaves it.
    pub fn drain(&mut self) {
        self.refill(Instant::now());
        self.tokens = 0.0;
    }

    /// Remaining whole tokens (for state reports).
    pub fn remaining(&mut self) -> u32 {
        self.refill(Instant::now());
        self.tokens.floor() as u32
    }
}

fn period(window: Duration) -> (u64, &'static str) {
    let ms = window.as_millis() as u64;
    match ms {
        0 => (0, "millisecond"),
        m if m % 86_400_000 == 0 => (m / 86_400_000, "day"),
        m if m % 3_600_000 == 0 => (m / 3_600_000, "hour"),
        m if m % 60_000 == 0 => (m / 60_000, "minute"),
        m if m % 1000 == 0 => (m / 1000, "second"),
        m => (m, "millisecond"),
    }
}

/// The 429 for a throttled request.
pub fn throttled(
    config: &RateLimitConfig,
    profile: Profile,
    wait: Duration,
    spender: &str,
) -> ApiError {
    // Both captured servers answer with the throttler's body; the usage-limit one only on request.
    let _ = profile;
    match config.variant.unwrap_or(RateLimitVariant::Legacy) {
        RateLimitVariant::Legacy => ApiError::new(
            429,
            "HttpException",
            format!(
                "Limit reached ({} tokens per {} ms)",
                config.limit,
                config.window.as_millis()
            ),
        ),
        RateLimitVariant::Current => {
            let retry = wait.as_secs_f64().ceil().max(1.0) as u64;
            let reset = (now_millis() / 1000) as u64 + retry;
            let (count, unit) = period(config.window);
            ApiError::raw(
                429,
                json!({
                    "statusCode": 429,
                    "error": "RATE_LIMITED",
                    "messages": [format!("Rate limit exceeded: {} requests per {} {}(s). Retry after {} second(s).", config.limit, count, unit, retry)],
                    "limitKind": "speed",
                    "scope": {"spenderType": "apiKey", "spenderId": spender, "operationType": "api"},
                    "limit": config.limit,
                    "remaining": 0,
                    "periodCount": count,
                    "periodUnit": unit,
                    "retryAfterSeconds": retry,
                }),
            )
            .with_header(HeaderName::from_static("retry-after"), retry.to_string())
            .with_header(HeaderName::from_static("x-ratelimit-limit"), config.limit.to_string())
            .with_header(HeaderName::from_static("x-ratelimit-remaining"), "0".into())
            .with_header(HeaderName::from_static("x-ratelimit-reset"), reset.to_string())
        }
    }
}

/// 402 for an exhausted quota (no retry headers).
pub fn quota_exhausted(spender: &str) -> ApiError {
    ApiError::raw(
        402,
        json!({
            "statusCode": 402,
            "error": "QUOTA_EXHAUSTED",
            "messages": ["Quota exhausted: the workspace has no credits left for this operation."],
            "limitKind": "quota",
            "scope": {"spenderType": "apiKey", "spenderId": spender, "operationType": "api"},
            "limit": 0,
            "remaining": 0,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_on_scaled_clock() {
        let cfg = RateLimitConfig::new(3, Duration::from_secs(60)).with_time_scale(600.0);
        let mut b = TokenBucket::new(cfg);
        assert!(b.try_take().is_ok());
        assert!(b.try_take().is_ok());
        assert!(b.try_take().is_ok());
        let wait = b.try_take().unwrap_err();
        assert!(wait <= Duration::from_millis(40), "{wait:?}");
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.try_take().is_ok());
    }

    #[test]
    fn refused_requests_spend_the_refill() {
        // 1 token per 100 ms of real time.
        let cfg = RateLimitConfig::new(6, Duration::from_millis(600));
        let mut b = TokenBucket::new(cfg);
        for _ in 0..6 {
            assert!(b.try_take().is_ok());
        }
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(40));
            assert!(
                b.try_take().is_err(),
                "each refusal spends the partial refill"
            );
        }
        std::thread::sleep(Duration::from_millis(120));
        assert!(b.try_take().is_ok());
    }

    #[test]
    fn periods() {
        assert_eq!(period(Duration::from_secs(60)), (1, "minute"));
        assert_eq!(period(Duration::from_millis(1500)), (1500, "millisecond"));
        assert_eq!(period(Duration::from_secs(2)), (2, "second"));
    }
}
