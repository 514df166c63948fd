//! The long-running replay loop: pushes whenever something is pending, sleeps until new intents,
//! a setting change or "sync now" wake it, goes offline (probing the upstream's health with
//! backoff from 1 s to 60 s) when it cannot be reached, and says at every moment what state it is
//! in. The sync mode picks the [`Upstream`] once per round: Twenty itself (`direct_crm`, the
//! [`Pusher`]) or the upstream relay (`platform`, `relay::Forwarder`); both are driven alike.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::schema::{ensure_schema, forget_schema};
use super::upstream::{Upstream, UpstreamError};
use super::SyncState;
use super::{EngineError, Pusher};
use crate::config::{Settings, SyncMode};
use crate::relay::Forwarder;
use crate::store::Store;
use crate::twenty::{ClientConfig, RequestBudget, TwentyClient, TwentyTarget};

/// How long an idle engine sleeps before looking again on its own.
const IDLE_RECHECK: Duration = Duration::from_secs(60);
/// Offline probing backoff bounds.
const PROBE_INITIAL: Duration = Duration::from_secs(1);
const PROBE_MAX: Duration = Duration::from_secs(60);

/// What the engine is doing, for `status`, the UI and the tray.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineStatus {
    pub state: SyncState,
    /// When the current state began (offline since …), ms since the epoch.
    pub since_ms: Option<i64>,
    /// When the next attempt is due while offline, ms since the epoch.
    pub next_retry_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl Default for EngineStatus {
    fn default() -> EngineStatus {
        EngineStatus {
            state: SyncState::Idle,
            since_ms: None,
            next_retry_ms: None,
            last_error: None,
        }
    }
}

/// What `sync --until-idle` ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleReport {
    pub settled: usize,
    pub parked: u64,
}

/// The replay loop of the agent.
pub struct Runner {
    store: Store,
    settings: watch::Receiver<Settings>,
    status: watch::Sender<EngineStatus>,
    budget: Arc<RequestBudget>,
    sync_now: Arc<Notify>,
    waits: watch::Sender<u64>,
}

/// Handles to watch and nudge a running [`Runner`].
#[derive(Clone)]
pub struct RunnerHandle {
    pub status: watch::Receiver<EngineStatus>,
    pub budget: Arc<RequestBudget>,
    pub sync_now: Arc<Notify>,
    /// How many times the loop has stopped to wait, each time in the state its last pass
    /// decided: whoever nudged the engine knows that state is fresh once this grows (a repeated
    /// state is not sent again).
    pub waits: watch::Receiver<u64>,
}

/// An upstream of one kind, kept across rounds while the settings name the same destination.
struct Connection<U> {
    upstream: Option<U>,
    /// [`Upstream::prepare`] succeeded since the last connection or settings change.
    prepared: bool,
}

impl<U> Default for Connection<U> {
    fn default() -> Self {
        Connection {
            upstream: None,
            prepared: false,
        }
    }
}

impl Runner {
    pub fn new(store: Store, settings: watch::Receiver<Settings>) -> (Runner, RunnerHandle) {
        let budget = RequestBudget::for_rate(settings.borrow().rate_limit);
        // Say at once what the settings imply, before the first round decides more.
        let initial = {
            let settings = settings.borrow();
            EngineStatus {
                state: match (settings.sync_mode, settings.enabled) {
                    (SyncMode::Disabled, _) => SyncState::Disabled,
                    (_, false) => SyncState::Paused,
                    _ => SyncState::Idle,
                },
                since_ms: Some(store.clock().now_ms()),
                ..EngineStatus::default()
            }
        };
        let (status, status_rx) = watch::channel(initial);
        let sync_now = Arc::new(Notify::new());
        let (waits, waits_rx) = watch::channel(0);
        let handle = RunnerHandle {
            status: status_rx,
            budget: budget.clone(),
            sync_now: sync_now.clone(),
            waits: waits_rx,
        };
        (
            Runner {
                store,
                settings,
                status,
                budget,
                sync_now,
                waits,
            },
            handle,
        )
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut appended = self.store.subscribe();
        let mut twenty = Connection::<Pusher>::default();
        let mut relay = Connection::<Forwarder>::default();
        loop {
            let settings = self.settings.borrow_and_update().clone();
            self.budget.set_rate(settings.rate_limit);
            // The one branch on the sync mode: which upstream, if any, takes the queue.
            let step = match settings.sync_mode {
                SyncMode::Disabled => {
                    self.set_state(SyncState::Disabled, None, Step::Wait(IDLE_RECHECK))
                }
                SyncMode::DirectCrm => self.step(&settings, &mut twenty, &mut shutdown).await,
                SyncMode::Platform => self.step(&settings, &mut relay, &mut shutdown).await,
            };
            let wait_for_change = match step {
                Step::Continue => continue,
                Step::Shutdown => return,
                Step::Wait(duration) => duration,
            };
            self.waits.send_modify(|waits| *waits += 1);
            tokio::select! {
                () = &mut shutdown => return,
                _ = self.settings.changed() => {
                    twenty.prepared = false;
                    relay.prepared = false;
                }
                _ = appended.changed() => {}
                () = self.sync_now.notified() => {}
                () = tokio::time::sleep(wait_for_change) => {}
            }
        }
    }

    /// One round through `connection`'s upstream: (re)connect when the settings name another
    /// destination, get it ready when there is work, push, and go offline when it cannot be
    /// reached.
    async fn step<U: Upstream>(
        &mut self,
        settings: &Settings,
        connection: &mut Connection<U>,
        shutdown: &mut Pin<&mut impl Future<Output = ()>>,
    ) -> Step {
        if !settings.enabled {
            return self.set_state(SyncState::Paused, None, Step::Wait(IDLE_RECHECK));
        }
        let target = match U::target_in(settings) {
            Ok(target) => target,
            Err(message) => return self.needs_attention(message),
        };
        if connection
            .upstream
            .as_ref()
            .is_none_or(|upstream| upstream.target() != &target)
        {
            connection.prepared = false;
            match U::connect(target, &self.store, settings, &self.budget) {
                Ok(upstream) => connection.upstream = Some(upstream),
                Err(message) => return self.needs_attention(message),
            }
        }
        let Some(upstream) = connection.upstream.as_mut() else {
            return Step::Wait(IDLE_RECHECK);
        };
        upstream.configure(settings);
        // Nothing to push: no request at all (getting ready waits until there is work).
        let has_work = self.store.counters().map(|c| c.pending > 0).unwrap_or(true);
        let mut round = Ok(());
        if !connection.prepared && has_work {
            round = upstream.prepare().await;
            connection.prepared = round.is_ok();
        }
        let round = match round {
            Ok(()) => upstream.push_round().await,
            Err(error) => Err(error),
        };
        match round {
            Ok(outcome) if outcome.idle => {
                self.set_state(SyncState::Idle, None, Step::Wait(IDLE_RECHECK))
            }
            Ok(_) => self.set_state(SyncState::Syncing, None, Step::Continue),
            Err(UpstreamError::Unprepared(_)) => {
                connection.prepared = false;
                Step::Continue
            }
            Err(UpstreamError::Unreachable(error)) => {
                let since = self.store.clock().now_ms();
                if self
                    .probe_until_online(&*upstream, since, error, shutdown)
                    .await
                {
                    Step::Shutdown
                } else {
                    Step::Continue
                }
            }
            Err(UpstreamError::NeedsAttention(message)) => {
                tracing::warn!("sync stopped: {message}");
                self.needs_attention(message)
            }
        }
    }

    fn needs_attention(&self, message: String) -> Step {
        self.set_state(
            SyncState::NeedsAttention,
            Some(message),
            Step::Wait(IDLE_RECHECK),
        )
    }

    /// Probes the upstream's health with backoff until it answers again. Returns true on
    /// shutdown.
    async fn probe_until_online(
        &mut self,
        upstream: &impl Upstream,
        since_ms: i64,
        error: String,
        shutdown: &mut Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        tracing::warn!("the server is unreachable, intents stay queued: {error}");
        let mut delay = PROBE_INITIAL;
        let mut probes = 0u32;
        loop {
            let now = self.store.clock().now_ms();
            self.status.send_replace(EngineStatus {
                state: SyncState::Offline,
                since_ms: Some(since_ms),
                next_retry_ms: Some(now + delay.as_millis() as i64),
                last_error: Some(error.clone()),
            });
            tokio::select! {
                () = shutdown.as_mut() => return true,
                _ = self.settings.changed() => return false,
                () = self.sync_now.notified() => {}
                () = tokio::time::sleep(jittered(delay)) => {}
            }
            if upstream.check_health().await {
                tracing::info!("the server answers again; draining the queue");
                return false;
            }
            // A failing health check does not always mean the API is down (Twenty's /healthz
            // also checks its database, cache and worker): every third probe, try a real round.
            probes += 1;
            if probes.is_multiple_of(3) {
                return false;
            }
            delay = (delay * 2).min(PROBE_MAX);
        }
    }

    fn set_state(&self, state: SyncState, last_error: Option<String>, step: Step) -> Step {
        self.status.send_if_modified(|status| {
            let changed = status.state != state || status.last_error != last_error;
            if changed {
                *status = EngineStatus {
                    state,
                    since_ms: Some(self.store.clock().now_ms()),
                    next_retry_ms: None,
                    last_error: last_error.clone(),
                };
            }
            changed
        });
        step
    }
}

enum Step {
    Continue,
    Wait(Duration),
    Shutdown,
}

fn jittered(delay: Duration) -> Duration {
    let jitter = rand::random::<f64>() * 0.2;
    delay.mul_f64(1.0 + jitter).min(PROBE_MAX)
}

/// The client of `target`, on the store's clock.
pub(super) fn make_client(
    target: TwentyTarget,
    store: &Store,
    budget: Arc<RequestBudget>,
) -> Result<TwentyClient, crate::twenty::TwentyError> {
    let config = ClientConfig::for_target(target).with_clock(store.clock().clone());
    TwentyClient::new(config, budget)
}

/// Pushes until nothing pushable is pending (for `sync --until-idle`).
pub async fn run_until_idle(store: &Store, settings: &Settings) -> Result<IdleReport, EngineError> {
    let target = TwentyTarget::from_settings(settings)?;
    let budget = RequestBudget::for_rate(settings.rate_limit);
    let client = make_client(target, store, budget).map_err(EngineError::Refused)?;
    let counters = store.counters()?;
    if counters.pending == 0 {
        return Ok(IdleReport {
            settled: 0,
            parked: counters.failed,
        });
    }
    ensure_schema(store, &client).await?;
    let mut pusher = Pusher::for_settings(store.clone(), client, settings);
    let mut settled = 0;
    let mut schema_checks = 0;
    loop {
        let outcome = match pusher.push_round().await {
            Ok(outcome) => outcome,
            // The field was deleted in Twenty meanwhile: check (and re-create) it, a few times.
            Err(EngineError::SchemaLost(error)) if schema_checks < 3 => {
                tracing::warn!(
                    "the externalId field is gone from Twenty; checking the schema again: {error}"
                );
                schema_checks += 1;
                forget_schema(store, pusher.client().base_url())?;
                ensure_schema(store, pusher.client()).await?;
                continue;
            }
            Err(error) => return Err(error),
        };
        settled += outcome.settled;
        if outcome.idle {
            break;
        }
    }
    Ok(IdleReport {
        settled,
        parked: store.counters()?.failed,
    })
}
