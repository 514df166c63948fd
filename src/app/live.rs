//! What the UI shows live, for every front end (web API with Server-Sent Events, desktop shell
//! with Tauri events): one [`LiveUpdate`] (status, last-hour chart, newest event, the files
//! being read) and [`Changes`], which wakes when the log, the engine or the settings change,
//! and every half second while a file is being read.
//!
//! Nothing here polls: a front end waits on [`Changes::next`], then sends at most one update a
//! second ([`MIN_UPDATE_INTERVAL`]).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::chart::{Chart, ChartData};
use super::report::StatusReport;
use crate::app::agent::AgentHandle;
use crate::config::Settings;
use crate::engine::EngineStatus;
use crate::store;

/// Front ends send at most one update per this interval.
pub const MIN_UPDATE_INTERVAL: Duration = Duration::from_secs(1);

/// One live update of the Status screen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveUpdate {
    pub status: StatusReport,
    pub chart: ChartData,
    /// The newest event's sequence number: the Activity screen reloads when it grows.
    pub newest_seq: u64,
    /// Whether pushing is enabled (the Pause/Resume button).
    pub enabled: bool,
    /// The files being read now, with their progress (the Imports screen's progress bars).
    #[serde(default)]
    pub reading: Vec<crate::import::FileProgress>,
}

/// The agent as the UI sees it: the handle plus the chart's state. Cheap to clone.
#[derive(Clone)]
pub struct Live {
    handle: AgentHandle,
    chart: Arc<Chart>,
    /// Who acts through this view, for the audit trail of settings changes (`ui`, `desktop`).
    caller: &'static str,
    /// The imports this view started for `twenty-sync import` (see `ops::imports`).
    import_jobs: Arc<super::ops::ImportJobs>,
    /// Each imported file's outcome in Twenty, kept up to date from the log.
    import_outcomes: Arc<super::queries::imports::ImportOutcomes>,
}

impl Live {
    pub fn new(handle: AgentHandle) -> Live {
        Live {
            handle,
            chart: Arc::new(Chart::new()),
            caller: "ui",
            import_jobs: Arc::default(),
            import_outcomes: Arc::default(),
        }
    }

    /// The same view for another caller (the chart's state is shared).
    pub fn called_by(&self, caller: &'static str) -> Live {
        Live {
            caller,
            ..self.clone()
        }
    }

    pub fn caller(&self) -> &'static str {
        self.caller
    }

    pub fn handle(&self) -> &AgentHandle {
        &self.handle
    }

    pub fn import_jobs(&self) -> &Arc<super::ops::ImportJobs> {
        &self.import_jobs
    }

    pub fn import_outcomes(&self) -> &Arc<super::queries::imports::ImportOutcomes> {
        &self.import_outcomes
    }

    /// The status, the chart brought up to date and the newest event (blocking reads: call it
    /// from a blocking context or accept a few milliseconds).
    pub fn update(&self) -> store::Result<LiveUpdate> {
        let store = self.handle.store();
        Ok(LiveUpdate {
            status: self.handle.status()?,
            chart: self.chart.read(store)?,
            newest_seq: store.last_seq(),
            enabled: self.handle.settings().enabled,
            reading: self.handle.import_board().files(),
        })
    }

    pub fn chart(&self) -> store::Result<ChartData> {
        self.chart.read(self.handle.store())
    }

    /// Wakes on every change worth showing.
    pub fn subscribe(&self) -> Changes {
        Changes {
            log: self.handle.log_changes(),
            engine: self.handle.engine_changes(),
            settings: self.handle.settings_changes(),
            reading: self.handle.import_board().changes(),
        }
    }
}

/// Waits for the log, the engine state or the settings to change.
pub struct Changes {
    log: watch::Receiver<u64>,
    engine: watch::Receiver<EngineStatus>,
    settings: watch::Receiver<Settings>,
    reading: watch::Receiver<u64>,
}

impl Changes {
    /// Resolves at the next change; `false` once the agent is gone.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            changed = self.log.changed() => changed.is_ok(),
            changed = self.engine.changed() => changed.is_ok(),
            changed = self.settings.changed() => changed.is_ok(),
            changed = self.reading.changed() => changed.is_ok(),
        }
    }
}
