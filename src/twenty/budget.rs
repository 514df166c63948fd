//! [`RequestBudget`]: the one rate budget every request to Twenty takes a permit from (lookups,
//! writes, retries and refused attempts, metadata, health checks), built on governor with a
//! tokio-time clock so that tests under `#[tokio::test(start_paused = true)]` never wait for real.
//!
//! It is kept within Twenty's own token bucket (100 tokens per 60 s, refilled continuously, every
//! request counted, refused ones included): governor's cell rate is the same continuous refill;
//! the budget starts below its burst (the server's bucket may not be full when a process starts);
//! a 429 without `Retry-After` empties it, as the server's bucket is empty then, and slows it for
//! a minute, since someone else may be spending the same key.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// The window of [`RequestBudget::requests_in_last_minute`], and how long a slowed budget stays
/// slowed after the last 429.
const MINUTE: Duration = Duration::from_secs(60);
/// Grant times kept for the per-minute count, at most (a very high rate must not grow memory).
const MAX_TRACKED_GRANTS: usize = 100_000;

/// governor's clock on tokio time: `now()` follows `tokio::time::Instant`, so pausing and
/// advancing tokio's clock moves the rate limiter's clock too.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> Self::Instant {
        Instant::now().into_std()
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>;

/// A shared budget of requests per minute with a burst allowance. Clone the `Arc` to share it;
/// every HTTP attempt calls [`RequestBudget::acquire`] first.
pub struct RequestBudget {
    limiter: RwLock<Arc<Limiter>>,
    /// The rate setting.
    per_minute: AtomicU32,
    /// The rate in force: the setting, or less for a minute after a 429 without `Retry-After`.
    pace: AtomicU32,
    burst: NonZeroU32,
    paused_until: Mutex<Option<Instant>>,
    /// When Twenty last refused a request as over its limit without saying how long to wait.
    throttled_at: Mutex<Option<Instant>>,
    grants: Mutex<VecDeque<Instant>>,
    total: AtomicU64,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("per_minute", &self.limit_per_minute())
            .field("burst", &self.burst)
            .field("total", &self.total_requests())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; keep going with it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A limiter of `per_minute` permits refilled continuously, up to `burst` at once, of which
/// `available` are there now.
fn new_limiter(per_minute: u32, burst: NonZeroU32, available: u32) -> Limiter {
    let per_minute = per_minute.max(1);
    let period = (MINUTE / per_minute).max(Duration::from_nanos(1));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    let limiter = RateLimiter::direct_with_clock(quota, TokioClock);
    if let Some(spent) = NonZeroU32::new(burst.get().saturating_sub(available)) {
        // A fresh limiter holds its whole burst, so this cannot be refused.
        let _ = limiter.check_n(spent);
    }
    limiter
}

impl RequestBudget {
    /// `requests_per_minute` spread evenly (one permit every 60 s / rate), with up to `burst`
    /// permits available at once. Zero values are treated as 1.
    pub fn new(requests_per_minute: u32, burst: u32) -> Arc<Self> {
        RequestBudget::starting_with(requests_per_minute, burst, burst)
    }

    /// [`RequestBudget::new`] with only `available` of the burst there at the start (the rest
    /// refills at the rate).
    pub fn starting_with(requests_per_minute: u32, burst: u32, available: u32) -> Arc<Self> {
        let per_minute = requests_per_minute.max(1);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Arc::new(RequestBudget {
            limiter: RwLock::new(Arc::new(new_limiter(per_minute, burst, available))),
            per_minute: AtomicU32::new(per_minute),
            pace: AtomicU32::new(per_minute),
            burst,
            paused_until: Mutex::new(None),
            throttled_at: Mutex::new(None),
            grants: Mutex::new(VecDeque::new()),
            total: AtomicU64::new(0),
        })
    }

    /// The budget every front end uses for a rate setting: `requests_per_minute` refilled
    /// continuously as Twenty's bucket is, with a small burst (a twentieth of the rate, 1 to 10)
    /// of which one permit is there at the start: the server never sees a spike, nor a burst
    /// from a new process while an earlier one's requests still weigh on its bucket.
    pub fn for_rate(requests_per_minute: u32) -> Arc<Self> {
        RequestBudget::starting_with(
            requests_per_minute,
            (requests_per_minute / 20).clamp(1, 10),
            1,
        )
    }

    fn current_limiter(&self) -> Arc<Limiter> {
        match self.limiter.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Waits for a permit: first for any pause (after a 429), then for the rate.
    pub async fn acquire(&self) {
        self.recover_pace();
        loop {
            let pause = *lock(&self.paused_until);
            if let Some(until) = pause {
                if Instant::now() < until {
                    tokio::time::sleep_until(until).await;
                    // The pause may have been extended meanwhile: look again.
                    continue;
                }
            }
            let limiter = self.current_limiter();
            match limiter.check() {
                Ok(()) => {
                    self.record_grant();
                    return;
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(TokioClock.now());
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn record_grant(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut grants = lock(&self.grants);
        prune(&mut grants, now);
        if grants.len() >= MAX_TRACKED_GRANTS {
            grants.pop_front();
        }
        grants.push_back(now);
    }

    /// Changes the rate at once, keeping the burst. Requests made in the last minute count
    /// against the new limiter's burst, so lowering the rate cannot release a fresh burst.
    pub fn set_rate(&self, requests_per_minute: u32) {
        let per_minute = requests_per_minute.max(1);
        if self.per_minute.swap(per_minute, Ordering::SeqCst) == per_minute {
            return;
        }
        self.pace.store(per_minute, Ordering::SeqCst);
        let used = self.requests_in_last_minute().min(self.burst.get());
        self.replace_limiter(per_minute, self.burst.get() - used);
        tracing::info!(requests_per_minute = per_minute, "request budget changed");
    }

    fn replace_limiter(&self, per_minute: u32, available: u32) {
        let limiter = Arc::new(new_limiter(per_minute, self.burst, available));
        match self.limiter.write() {
            Ok(mut guard) => *guard = limiter,
            Err(poisoned) => *poisoned.into_inner() = limiter,
        }
    }

    /// Twenty refused a request as over its limit. With `Retry-After`, every request waits that
    /// long. Without, its bucket is empty: so is this budget from now on (it refills at the
    /// rate), the pace drops by a quarter (to a quarter of the setting at most) for a minute,
    /// and every request waits `backoff` first.
    pub fn throttled(&self, retry_after: Option<Duration>, backoff: Duration) {
        let now = Instant::now();
        if let Some(wait) = retry_after {
            self.pause_until(now + wait);
            return;
        }
        *lock(&self.throttled_at) = Some(now);
        let setting = self.per_minute.load(Ordering::SeqCst);
        let pace = self.pace.load(Ordering::SeqCst);
        let slower = (pace - pace / 4).max(setting / 4).max(1);
        self.pace.store(slower, Ordering::SeqCst);
        self.replace_limiter(slower, 0);
        self.pause_until(now + backoff);
        tracing::info!(
            requests_per_minute = slower,
            "Twenty's rate limit was reached: the request budget is emptied and slowed for a minute"
        );
    }

    /// Back to the setting once a minute has passed without a 429.
    fn recover_pace(&self) {
        let setting = self.per_minute.load(Ordering::SeqCst);
        if self.pace.load(Ordering::SeqCst) >= setting {
            return;
        }
        let quiet = (*lock(&self.throttled_at)).is_none_or(|at| at.elapsed() >= MINUTE);
        if quiet && self.pace.swap(setting, Ordering::SeqCst) != setting {
            let used = self.requests_in_last_minute().min(self.burst.get());
            self.replace_limiter(setting, self.burst.get() - used);
        }
    }

    /// The rate in force: the setting, or less for a minute after a 429 without `Retry-After`.
    pub fn pace_per_minute(&self) -> u32 {
        self.pace.load(Ordering::SeqCst)
    }

    /// Makes every request wait until `until` (after a 429). A pause only ever gets longer.
    pub fn pause_until(&self, until: Instant) {
        let mut paused = lock(&self.paused_until);
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// When the current pause ends, if one is in force.
    pub fn paused_until(&self) -> Option<Instant> {
        (*lock(&self.paused_until)).filter(|until| *until > Instant::now())
    }

    /// Permits granted in the last 60 seconds.
    pub fn requests_in_last_minute(&self) -> u32 {
        let mut grants = lock(&self.grants);
        prune(&mut grants, Instant::now());
        u32::try_from(grants.len()).unwrap_or(u32::MAX)
    }

    /// Permits granted since the budget was made.
    pub fn total_requests(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub fn limit_per_minute(&self) -> u32 {
        self.per_minute.load(Ordering::SeqCst)
    }

    pub fn burst(&self) -> u32 {
        self.burst.get()
    }
}

fn prune(grants: &mut VecDeque<Instant>, now: Instant) {
    while grants
        .front()
        .is_some_and(|first| now.saturating_duration_since(*first) >= MINUTE)
    {
        grants.pop_front();
    }
}
