//! Switchable faults (5xx bursts, hangs, drop-after-commit, 500-after-commit, down/up, latency, rate limit, quota)
//! behind a cloneable [`Faults`] handle that tests and the control API flip at run time.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use crate::ratelimit::{RateLimitConfig, TokenBucket};

/// Fault switches. Counters are decremented as requests consume them.
#[derive(Debug, Clone)]
pub struct FaultState {
    /// Status codes for the next API requests (front = next).
    pub fail_queue: Vec<u16>,
    pub timeout_next: u32,
    pub hang: Duration,
    pub drop_after_commit_next: u32,
    /// Writes applied and then answered 500 `Data validation error.` (2.4.0).
    pub error_after_commit_next: u32,
    pub slow: Duration,
    pub bucket: Option<TokenBucket>,
    pub quota_exhausted: bool,
    /// `/healthz` answers 503.
    pub unhealthy: bool,
    pub down: bool,
}

impl FaultState {
    fn new(hang: Duration, rate_limit: Option<RateLimitConfig>) -> Self {
        FaultState {
            fail_queue: Vec::new(),
            timeout_next: 0,
            hang,
            drop_after_commit_next: 0,
            error_after_commit_next: 0,
            slow: Duration::ZERO,
            bucket: rate_limit.map(TokenBucket::new),
            quota_exhausted: false,
            unhealthy: false,
            down: false,
        }
    }
}

/// Cloneable handle on the fault switches of one fake server.
#[derive(Clone)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
    up: Arc<watch::Sender<bool>>,
    default_hang: Duration,
}

impl Faults {
    pub(crate) fn new(hang: Duration, rate_limit: Option<RateLimitConfig>) -> Self {
        let (tx, _rx) = watch::channel(true);
        Faults {
            state: Arc::new(Mutex::new(FaultState::new(hang, rate_limit))),
            up: Arc::new(tx),
            default_hang: hang,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn subscribe_up(&self) -> watch::Receiver<bool> {
        self.up.subscribe()
    }

    /// The next `n` API requests fail with `status` (500/502/503/504 get realistic bodies).
    pub fn fail_next(&self, n: u32, status: u16) {
        let mut s = self.lock();
        s.fail_queue.extend(std::iter::repeat_n(status, n as usize));
    }

    /// The next `n` API requests hang for the hang duration, then the connection is dropped
    /// without a response. Nothing is applied.
    pub fn timeout_next(&self, n: u32) {
        self.lock().timeout_next += n;
    }

    /// How long `timeout_next` requests hang (keep it above the client timeout).
    pub fn set_hang_duration(&self, d: Duration) {
        self.lock().hang = d;
    }

    /// The next `n` writes (POST/PATCH/PUT/DELETE) are applied, then the connection is closed
    /// without a response.
    pub fn drop_after_commit_next(&self, n: u32) {
        self.lock().drop_after_commit_next += n;
    }

    /// The next `n` writes (POST/PATCH/PUT/DELETE) are applied, then answered 500
    /// `{"statusCode":500,"error":"InternalServerErrorException","messages":["Data validation error."]}`,
    /// as a 2.4.0 batch create that committed its records did (real-server-samples.md).
    pub fn error_after_commit_next(&self, n: u32) {
        self.lock().error_after_commit_next += n;
    }

    /// `true`: close the listener and every open connection (connections are refused);
    /// `false`: bind the same port again.
    pub fn down(&self, down: bool) {
        self.lock().down = down;
        self.up.send_replace(!down);
    }

    pub fn is_down(&self) -> bool {
        self.lock().down
    }

    /// Extra latency before every API request.
    pub fn slow(&self, ms: u64) {
        self.lock().slow = Duration::from_millis(ms);
    }

    /// Installs (fresh, full bucket) or removes the rate limiter.
    pub fn rate_limit(&self, config: Option<RateLimitConfig>) {
        self.lock().bucket = config.map(TokenBucket::new);
    }

    /// Empties the rate limiter's bucket, as another process that just spent it would leave it
    /// (it refills from now on).
    pub fn drain_rate_limit(&self) {
        if let Some(bucket) = self.lock().bucket.as_mut() {
            bucket.drain();
        }
    }

    /// Every authenticated API request answers 402 `QUOTA_EXHAUSTED`.
    pub fn quota_exhausted(&self, on: bool) {
        self.lock().quota_exhausted = on;
    }

    /// `/healthz` answers 503.
    pub fn unhealthy(&self, on: bool) {
        self.lock().unhealthy = on;
    }

    /// Clears every fault (and brings the server back up).
    pub fn clear(&self) {
        *self.lock() = FaultState::new(self.default_hang, None);
        self.up.send_replace(true);
    }

    /// Snapshot for `GET /__fake/state`.
    pub fn to_json(&self) -> Value {
        let mut s = self.lock();
        let rate = s.bucket.as_mut().map(|b| {
            let c = b.config;
            json!({
                "limit": c.limit, "window_ms": c.window.as_millis() as u64,
                "time_scale": c.time_scale, "variant": c.variant.map(|v| v.as_str()),
                "count_refused": c.count_refused,
                "remaining": b.remaining(),
            })
        });
        json!({
            "fail_next": s.fail_queue,
            "timeout_next": s.timeout_next,
            "hang_ms": s.hang.as_millis() as u64,
            "drop_after_commit_next": s.drop_after_commit_next,
            "error_after_commit_next": s.error_after_commit_next,
            "slow_ms": s.slow.as_millis() as u64,
            "rate_limit": rate,
            "quota_exhausted": s.quota_exhausted,
            "unhealthy": s.unhealthy,
            "down": s.down,
        })
    }
}
