//! The long-running replay loop: pushes whenever something is pending, sleeps until new intents,
//! a setting change or "sync now" wake it, goes offline (probing `/healthz` with backoff from 1 s to
//! 60 s) when Twenty cannot be reached, and says at every moment what state it is in. In
//! `platform` mode it forwards to the upstream relay instead (`relay::Forwarder`), probing the
//! relay's `/api/v1/health` the same way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::{EngineError, Pusher};
use crate::app::report::SyncState;
use crate::config::{Settings, SyncMode};
use crate::domain::projection::ServerKnowledge;
use crate::domain::{EntityKind, Event, ServerFact};
use crate::store::Store;
use crate::twenty::{
    wire, ClientConfig, FieldRefusal, RequestBudget, SchemaReport, TwentyClient, TwentyTarget,
};

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
    /// Platform mode: the forwarder to the upstream relay, for the current URL and token.
    forwarder: Option<crate::relay::Forwarder>,
}

/// Handles to watch and nudge a running [`Runner`].
#[derive(Clone)]
pub struct RunnerHandle {
    pub status: watch::Receiver<EngineStatus>,
    pub budget: Arc<RequestBudget>,
    pub sync_now: Arc<Notify>,
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
        let handle = RunnerHandle {
            status: status_rx,
            budget: budget.clone(),
            sync_now: sync_now.clone(),
        };
        (
            Runner {
                store,
                settings,
                status,
                budget,
                sync_now,
                forwarder: None,
            },
            handle,
        )
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut appended = self.store.subscribe();
        let mut pusher: Option<Pusher> = None;
        let mut schema_ready = false;
        loop {
            let settings = self.settings.borrow_and_update().clone();
            self.budget.set_rate(settings.rate_limit);
            let wait_for_change = match self
                .next_step(&settings, &mut pusher, &mut schema_ready)
                .await
            {
                Step::Continue => continue,
                Step::SchemaLost => {
                    schema_ready = false;
                    continue;
                }
                Step::Wait(duration) => duration,
                Step::Offline(error) => {
                    let since = self.store.clock().now_ms();
                    let stop = self
                        .probe_until_online(
                            &settings,
                            pusher
                                .as_ref()
                                .filter(|_| settings.sync_mode == SyncMode::DirectCrm),
                            since,
                            error,
                            &mut shutdown,
                        )
                        .await;
                    if stop {
                        return;
                    }
                    continue;
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                _ = self.settings.changed() => {
                    schema_ready = false;
                }
                _ = appended.changed() => {}
                () = self.sync_now.notified() => {}
                () = tokio::time::sleep(wait_for_change) => {}
            }
        }
    }

    async fn next_step(
        &mut self,
        settings: &Settings,
        pusher: &mut Option<Pusher>,
        schema_ready: &mut bool,
    ) -> Step {
        match settings.sync_mode {
            SyncMode::Disabled => {
                return self.set_state(SyncState::Disabled, None, Step::Wait(IDLE_RECHECK))
            }
            SyncMode::Platform => return self.platform_step(settings).await,
            SyncMode::DirectCrm => {}
        }
        if !settings.enabled {
            return self.set_state(SyncState::Paused, None, Step::Wait(IDLE_RECHECK));
        }
        let target = match TwentyTarget::from_settings(settings) {
            Ok(target) => target,
            Err(error) => {
                return self.set_state(
                    SyncState::NeedsAttention,
                    Some(error.to_string()),
                    Step::Wait(IDLE_RECHECK),
                )
            }
        };
        let same_server = pusher
            .as_ref()
            .is_some_and(|pusher| pusher.client().target() == &target);
        if !same_server {
            *schema_ready = false;
            match make_client(target, &self.store, self.budget.clone()) {
                Ok(client) => {
                    *pusher = Some(Pusher::new(self.store.clone(), client, settings.batch_size));
                }
                Err(error) => {
                    return self.set_state(
                        SyncState::NeedsAttention,
                        Some(error.to_string()),
                        Step::Wait(IDLE_RECHECK),
                    )
                }
            }
        }
        let Some(pusher) = pusher.as_mut() else {
            return Step::Wait(IDLE_RECHECK);
        };
        // Nothing to push: no request at all (the schema is checked when there is work).
        let has_work = self.store.counters().map(|c| c.pending > 0).unwrap_or(true);
        if !*schema_ready && has_work {
            match ensure_schema(&self.store, pusher.client()).await {
                Ok(()) => *schema_ready = true,
                Err(error) => return self.on_error(error),
            }
        }
        match pusher.push_round().await {
            Ok(outcome) if outcome.idle => {
                self.set_state(SyncState::Idle, None, Step::Wait(IDLE_RECHECK))
            }
            Ok(_) => self.set_state(SyncState::Syncing, None, Step::Continue),
            Err(error) => {
                if matches!(error, EngineError::SchemaLost(_)) {
                    if let Err(error) = forget_schema(&self.store, pusher.client().base_url()) {
                        return self.on_error(error);
                    }
                }
                self.on_error(error)
            }
        }
    }

    /// Platform mode: forward a window of the queue to the upstream relay.
    async fn platform_step(&mut self, settings: &Settings) -> Step {
        use crate::relay::{ForwardError, Forwarder};
        if !settings.enabled {
            return self.set_state(SyncState::Paused, None, Step::Wait(IDLE_RECHECK));
        }
        let (Some(url), Some(token)) = (&settings.platform_url, &settings.platform_token) else {
            return self.set_state(
                SyncState::NeedsAttention,
                Some("platform mode needs platform_url and platform_token (the relay's address and its relay_token)".into()),
                Step::Wait(IDLE_RECHECK),
            );
        };
        let same_relay = self
            .forwarder
            .as_ref()
            .is_some_and(|f| f.target() == (url.as_str(), token.expose()));
        if !same_relay {
            match Forwarder::new(self.store.clone(), url, token.clone(), settings.batch_size) {
                Ok(forwarder) => self.forwarder = Some(forwarder),
                Err(error) => {
                    return self.set_state(
                        SyncState::NeedsAttention,
                        Some(error.to_string()),
                        Step::Wait(IDLE_RECHECK),
                    )
                }
            }
        }
        let Some(forwarder) = self.forwarder.as_mut() else {
            return Step::Wait(IDLE_RECHECK);
        };
        match forwarder.forward_round().await {
            Ok(outcome) if outcome.idle => {
                self.set_state(SyncState::Idle, None, Step::Wait(IDLE_RECHECK))
            }
            Ok(_) => self.set_state(SyncState::Syncing, None, Step::Continue),
            Err(ForwardError::Unreachable(message)) => Step::Offline(message),
            Err(other) => {
                tracing::warn!("forwarding stopped: {other}");
                self.set_state(
                    SyncState::NeedsAttention,
                    Some(other.to_string()),
                    Step::Wait(IDLE_RECHECK),
                )
            }
        }
    }

    fn on_error(&self, error: EngineError) -> Step {
        match error {
            EngineError::Unreachable(error) => Step::Offline(error.to_string()),
            EngineError::SchemaLost(error) => {
                tracing::warn!(
                    "the externalId field is gone from Twenty; checking the schema again: {error}"
                );
                Step::SchemaLost
            }
            other => {
                tracing::warn!("sync stopped: {other}");
                self.set_state(
                    SyncState::NeedsAttention,
                    Some(other.to_string()),
                    Step::Wait(IDLE_RECHECK),
                )
            }
        }
    }

    /// Probes `/healthz` with backoff until Twenty answers again. Returns true on shutdown.
    async fn probe_until_online(
        &mut self,
        settings: &Settings,
        pusher: Option<&Pusher>,
        since_ms: i64,
        error: String,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        tracing::warn!("Twenty is unreachable, intents stay queued: {error}");
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
            let online = match pusher {
                Some(pusher) => pusher.client().healthz().await.is_ok(),
                None => match &self.forwarder {
                    Some(forwarder) if settings.sync_mode == SyncMode::Platform => {
                        forwarder.healthy().await
                    }
                    _ => true,
                },
            };
            if online {
                tracing::info!(
                    base_url = settings.base_url.as_deref().unwrap_or(""),
                    "the server answers again; draining the queue"
                );
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
    /// Check (and re-create) the `externalId` field before the next round.
    SchemaLost,
    Wait(Duration),
    Offline(String),
}

fn jittered(delay: Duration) -> Duration {
    let jitter = rand::random::<f64>() * 0.2;
    delay.mul_f64(1.0 + jitter).min(PROBE_MAX)
}

/// The client of `target`, on the store's clock.
fn make_client(
    target: TwentyTarget,
    store: &Store,
    budget: Arc<RequestBudget>,
) -> Result<TwentyClient, crate::twenty::TwentyError> {
    let config = ClientConfig::for_target(target).with_clock(store.clock().clone());
    TwentyClient::new(config, budget)
}

/// Makes sure Twenty has the `externalId` field on people and companies, creating it if
/// allowed. What an earlier run learned of this server answers without a request; what this
/// check learns is recorded (`ServerLearned`) for the next one.
pub async fn ensure_schema(store: &Store, client: &TwentyClient) -> Result<(), EngineError> {
    let server = client.base_url().to_string();
    let known = store.server(&server)?;
    client.set_metadata_route(known.metadata_route);
    if EntityKind::ALL
        .iter()
        .all(|kind| known.external_id(*kind).is_some())
    {
        return Ok(());
    }
    let report = client
        .ensure_external_id_fields(true)
        .await
        .map_err(|error| {
            if error.is_retryable() {
                EngineError::Unreachable(error)
            } else {
                EngineError::Refused(error)
            }
        })?;
    remember_schema(store, &server, &known, &report)?;
    if report.is_ready() {
        return Ok(());
    }
    Err(EngineError::SchemaMissing(schema_missing_message(&report)))
}

/// Records what a schema check learned of `server` that was not known yet.
pub fn remember_schema(
    store: &Store,
    server: &str,
    known: &ServerKnowledge,
    report: &SchemaReport,
) -> Result<(), EngineError> {
    let mut facts: Vec<ServerFact> = report
        .present
        .iter()
        .map(|(kind, field)| ServerFact::ExternalIdField {
            kind: *kind,
            field_id: field.field_id.clone(),
            field_type: field.field_type.clone(),
            is_unique: field.is_unique,
        })
        .collect();
    facts.extend(report.route.map(ServerFact::MetadataRoute));
    let events: Vec<Event> = known
        .news(facts)
        .into_iter()
        .map(|fact| Event::ServerLearned {
            server: server.to_string(),
            fact,
        })
        .collect();
    if !events.is_empty() {
        store.append(events)?;
    }
    Ok(())
}

/// Forgets the `externalId` fields of `server` (a push said one is gone): the next round reads
/// the data model again.
pub fn forget_schema(store: &Store, server: &str) -> Result<(), EngineError> {
    let events: Vec<Event> = EntityKind::ALL
        .into_iter()
        .map(|kind| Event::ServerLearned {
            server: server.to_string(),
            fact: ServerFact::ExternalIdFieldForgotten { kind },
        })
        .collect();
    store.append(events)?;
    Ok(())
}

fn schema_missing_message(report: &SchemaReport) -> String {
    let objects = report
        .missing
        .iter()
        .map(|kind| wire::plural(*kind))
        .collect::<Vec<_>>()
        .join(" and ");
    let what = match &report.refusal {
        Some(FieldRefusal::Forbidden(twenty)) => format!(
            "the externalId field is missing on {objects} and Twenty refused to create it for \
             this API key (\"{twenty}\"): use a key whose role may change the data model, or \
             create a unique Text field named externalId in Settings → Data model"
        ),
        Some(FieldRefusal::Refused(twenty)) => format!(
            "the externalId field is missing on {objects} and Twenty refused to create it \
             (\"{twenty}\"): create a unique Text field named externalId in Settings → Data model"
        ),
        None => format!(
            "the externalId field is missing on {objects}: create a unique Text field named \
             externalId in Settings → Data model"
        ),
    };
    format!("{what}. Nothing is pushed until then; nothing is lost")
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
    let mut pusher = Pusher::new(store.clone(), client, settings.batch_size);
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
