//! The agent: one store, the replay engine and the drop-folder watcher running together, and the
//! handle every front end (headless web API, Tauri shell, tests) uses to look at and steer it.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{self, StatusReport};
use crate::config::Settings;
use crate::domain::{EntityKind, Intent, IntentDraft, IntentSource, RecordKey};
use crate::engine::{Runner, RunnerHandle};
use crate::import::progress::{tick_while_busy, ProgressBoard};
use crate::store::{self, Store};

/// A running agent. Dropping it without [`Agent::stop`] aborts its tasks.
pub struct Agent {
    handle: AgentHandle,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// A cheap, cloneable view of a running agent.
#[derive(Clone)]
pub struct AgentHandle {
    store: Store,
    settings: Arc<watch::Sender<Settings>>,
    runner: RunnerHandle,
    config: Arc<AgentConfig>,
    /// The files being read now (drop folder and `import` through the agent).
    import_board: Arc<ProgressBoard>,
}

/// How the agent's settings are decided and persisted (see [`crate::config::ConfigContext`]).
struct AgentConfig {
    context: crate::config::ConfigContext,
    /// The source of each effective setting and the secret-store warning, as last loaded.
    shown: std::sync::Mutex<(crate::config::Sources, Option<String>)>,
}

impl Agent {
    /// Starts the replay engine (and the watcher, when a drop folder is configured) on the
    /// current tokio runtime.
    ///
    /// `settings` are this agent's defaults: what is stored (`config set`, the UI) overrides
    /// them, and changes are persisted (the secret store of the store's data directory).
    pub fn start(store: Store, settings: Settings) -> Agent {
        let data_dir = store
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let context = crate::config::ConfigContext {
            flags: crate::config::Layer::new(),
            env: std::collections::HashMap::new(),
            defaults: settings.clone(),
            secrets: Arc::new(crate::config::SecretStore::from_env(&data_dir)),
        };
        let effective = context.load(&store).unwrap_or_else(|error| {
            tracing::warn!("the stored settings are not used: {error}");
            crate::config::Effective {
                settings,
                sources: crate::config::Sources::new(),
                secrets_warning: None,
            }
        });
        Agent::start_configured(store, context, effective)
    }

    /// Starts with settings already loaded through `context` (flags, environment, stored).
    pub fn start_configured(
        store: Store,
        context: crate::config::ConfigContext,
        effective: crate::config::Effective,
    ) -> Agent {
        // Said once, at start (the log file keeps it); the Settings screen shows it too.
        if let Some(warning) = &effective.secrets_warning {
            tracing::warn!("{warning}");
        }
        let config = Arc::new(AgentConfig {
            context,
            shown: std::sync::Mutex::new((effective.sources, effective.secrets_warning)),
        });
        let (settings_tx, settings_rx) = watch::channel(effective.settings);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (runner, runner_handle) = Runner::new(store.clone(), settings_rx);
        let settings = Arc::new(settings_tx);
        let import_board = Arc::new(ProgressBoard::new());
        let tasks = vec![
            tokio::spawn(runner.run(wait_for_shutdown(shutdown_rx.clone()))),
            tokio::spawn(tick_while_busy(
                import_board.clone(),
                wait_for_shutdown(shutdown_rx.clone()),
            )),
            tokio::spawn(watch_drop_folder(
                store.clone(),
                settings.subscribe(),
                shutdown_rx,
                import_board.clone(),
            )),
        ];
        Agent {
            handle: AgentHandle {
                store,
                settings,
                runner: runner_handle,
                config,
                import_board,
            },
            shutdown,
            tasks,
        }
    }

    pub fn handle(&self) -> AgentHandle {
        self.handle.clone()
    }

    /// Adds a background task that stops with the agent (the watcher, the web server, …). The
    /// future receives the shutdown signal.
    pub fn spawn<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(ShutdownSignal) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let signal = ShutdownSignal(self.shutdown.subscribe());
        self.tasks.push(tokio::spawn(task(signal)));
    }

    /// Asks every task to stop and waits for them.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Resolves when the agent stops.
#[derive(Clone)]
pub struct ShutdownSignal(watch::Receiver<bool>);

impl ShutdownSignal {
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

async fn wait_for_shutdown(receiver: watch::Receiver<bool>) {
    ShutdownSignal(receiver).wait().await;
}

fn drop_dir(settings: &Settings, store: &Store) -> std::path::PathBuf {
    crate::app::inbox::drop_dir(settings, store.data_dir())
}

/// Watches the drop folder for as long as the agent runs, restarting the watcher when the drop
/// folder or the stability delay changes, and after a failure (retried every 30 s).
async fn watch_drop_folder(
    store: Store,
    mut settings: watch::Receiver<Settings>,
    shutdown: watch::Receiver<bool>,
    board: Arc<ProgressBoard>,
) {
    const RETRY_AFTER_FAILURE: std::time::Duration = std::time::Duration::from_secs(30);
    loop {
        let current = settings.borrow_and_update().clone();
        let mut config = crate::import::watch::WatchConfig::new(drop_dir(&current, &store));
        config.stability_delay = std::time::Duration::from_millis(current.stability_delay_ms);
        config.board = Some(board.clone());
        let for_fields = settings.clone();
        config.fields = Some(crate::import::watch::FieldsSource(Arc::new(move |store| {
            let settings = for_fields.borrow().clone();
            crate::app::fields::fields_in_force(store, &settings).map(|f| f.for_import())
        })));
        let watched = (config.drop_dir.clone(), current.stability_delay_ms);
        if current.drop_dir.is_some() {
            // Set by a flag, the environment, `config set` or the UI: say what it holds.
            let (dir, data_dir) = (
                config.drop_dir.display().to_string(),
                store.data_dir().to_path_buf(),
            );
            if let Ok(check) = tokio::task::spawn_blocking(move || {
                crate::app::inbox::check_drop_dir(&dir, &data_dir)
            })
            .await
            {
                for warning in check.warnings {
                    tracing::warn!("{warning}");
                }
            }
        }
        let mut changes = settings.clone();
        let store_for_restart = store.clone();
        // Resolves when a setting the watcher depends on changes: the watcher then restarts.
        let restart = async move {
            while changes.changed().await.is_ok() {
                let next = changes.borrow_and_update().clone();
                if (drop_dir(&next, &store_for_restart), next.stability_delay_ms) != watched {
                    return;
                }
            }
            std::future::pending::<()>().await;
        };
        let stop = ShutdownSignal(shutdown.clone()).wait();
        tokio::select! {
            () = stop => return,
            outcome = crate::import::watch::watch_drop_folder(store.clone(), config, restart) => {
                if let Err(error) = outcome {
                    tracing::warn!("the drop folder is not watched: {error}; retrying in 30 s");
                    tokio::select! {
                        () = ShutdownSignal(shutdown.clone()).wait() => return,
                        () = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                    }
                }
            }
        }
    }
}

impl AgentHandle {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The files the agent is reading now, with their progress.
    pub fn import_board(&self) -> &Arc<ProgressBoard> {
        &self.import_board
    }

    /// The status with the engine's live state (what `GET /api/status` returns).
    pub fn status(&self) -> store::Result<StatusReport> {
        let engine = self.runner.status.borrow().clone();
        Ok(StatusReport::live(
            self.store.counters()?,
            &engine,
            self.runner.budget.requests_in_last_minute(),
            self.runner.budget.limit_per_minute(),
        )
        .with_forwarded(self.store.forwarded()?))
    }

    /// The one rate budget every request to Twenty takes a permit from (the connection test
    /// of the UI uses it too).
    pub fn budget(&self) -> std::sync::Arc<crate::twenty::RequestBudget> {
        self.runner.budget.clone()
    }

    /// Wakes whoever waits when the engine's state changes.
    pub fn engine_changes(&self) -> watch::Receiver<crate::engine::EngineStatus> {
        self.runner.status.clone()
    }

    /// Grows each time the engine stops to wait (see `RunnerHandle::waits`).
    pub fn engine_waits(&self) -> watch::Receiver<u64> {
        self.runner.waits.clone()
    }

    /// Wakes whoever waits when an event is appended.
    pub fn log_changes(&self) -> watch::Receiver<u64> {
        self.store.subscribe()
    }

    /// "Sync now": wakes the engine, also out of an offline backoff.
    pub fn sync_now(&self) {
        self.runner.sync_now.notify_one();
    }

    pub fn settings(&self) -> Settings {
        self.settings.borrow().clone()
    }

    /// The drop folder the agent watches now: the setting, else `<data dir>/inbox`.
    pub fn drop_dir(&self) -> std::path::PathBuf {
        drop_dir(&self.settings.borrow(), &self.store)
    }

    pub fn settings_changes(&self) -> watch::Receiver<Settings> {
        self.settings.subscribe()
    }

    /// Applies new settings at once: the engine picks up a new URL, key, mode or rate.
    pub fn replace_settings(&self, settings: Settings) {
        self.settings.send_replace(settings);
    }

    /// Validates a partial change and applies it at once; on any invalid field nothing changes.
    /// `by` names who asked (for the audit trail).
    pub fn update_settings(
        &self,
        update: &crate::config::SettingsUpdate,
        by: &str,
    ) -> Result<Settings, Vec<crate::config::ConfigError>> {
        self.save_settings(update, by)
            .map_err(crate::config::SaveError::into_config_errors)
    }

    /// [`AgentHandle::update_settings`], with why nothing was saved (an invalid value, the
    /// secret store or the store).
    pub fn save_settings(
        &self,
        update: &crate::config::SettingsUpdate,
        by: &str,
    ) -> Result<Settings, crate::config::SaveError> {
        let effective = self.config.context.save(&self.store, update, by)?;
        tracing::info!(by, "settings changed");
        *self.config.shown.lock().unwrap_or_else(|p| p.into_inner()) =
            (effective.sources, effective.secrets_warning);
        self.settings.send_replace(effective.settings.clone());
        Ok(effective.settings)
    }

    /// The warning about where secrets are kept, when they are in a file (no OS keyring).
    pub fn secrets_warning(&self) -> Option<String> {
        self.config
            .shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// The effective settings for display, secrets masked, each with its source.
    pub fn settings_view(
        &self,
    ) -> std::collections::BTreeMap<&'static str, crate::config::ShownSetting> {
        let (sources, warning) = self
            .config
            .shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut view = crate::config::update::shown_with_sources(&self.settings(), &sources);
        if let Some(warning) = warning {
            for key in ["api_key", "platform_token", "relay_token"] {
                if let Some(shown) = view.get_mut(key).filter(|s| s.source == "stored") {
                    shown.warning = Some(warning.clone());
                }
            }
        }
        view
    }

    /// Pauses or resumes pushing; intents keep being recorded meanwhile.
    /// Persisted as the `enabled` setting (an `enabled` flag or variable still wins).
    pub fn set_paused(&self, paused: bool) {
        let update = crate::config::SettingsUpdate {
            enabled: Some(!paused),
            ..Default::default()
        };
        if let Err(errors) = self.update_settings(&update, "pause") {
            tracing::warn!(
                "pausing could not be stored ({}); applied until the agent stops",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            self.settings
                .send_modify(|settings| settings.enabled = !paused);
        }
    }

    /// Validates and records one intent durably.
    pub fn record(
        &self,
        kind: EntityKind,
        draft: IntentDraft,
        source: IntentSource,
    ) -> Result<Intent, app::RecordError> {
        let mut intents = app::record_intents(&self.store, &[(kind, draft)], source)?;
        Ok(intents.remove(0))
    }

    /// Queues every parked record again.
    pub fn retry_all_failed(&self) -> store::Result<usize> {
        let count = app::retry_failed(&self.store)?;
        self.sync_now();
        Ok(count)
    }

    /// Queues one parked record again; false when it was not parked.
    pub fn retry_failed(&self, key: RecordKey) -> store::Result<bool> {
        if self.store.failed(&key)?.is_none() {
            return Ok(false);
        }
        self.store
            .append(vec![crate::domain::Event::RetryRequested { key }])?;
        self.sync_now();
        Ok(true)
    }
}
