//! [`Upstream`]: where the queue goes, driven the same way by the runner whichever it is: Twenty
//! itself ([`Pusher`], direct mode) or an upstream relay ([`Forwarder`], platform mode). Each
//! says which destination the settings name, connects to it, gets ready, pushes a round and
//! checks its health; [`UpstreamError`] tells the runner what a stop means.
//!
//! The engine depends on `relay` (as on `twenty`), never the other way round: the forwarder's
//! implementation lives here.

use std::future::Future;
use std::sync::Arc;

use super::runner::make_client;
use super::schema::{ensure_schema, forget_schema};
use super::{EngineError, Pusher};
use crate::config::Settings;
use crate::domain::plan::RoundOutcome;
use crate::relay::{ForwardError, Forwarder, RelayTarget};
use crate::store::Store;
use crate::twenty::{RequestBudget, TwentyTarget};

/// A destination of the queue. The futures are `Send` so that the runner can run on any tokio
/// worker.
pub trait Upstream: Sized + Send + Sync {
    /// What names the destination (address and credential); a different one means a new
    /// connection.
    type Target: PartialEq + Send + Sync;

    /// The destination the settings name, or what to set (shown as "needs attention").
    fn target_in(settings: &Settings) -> Result<Self::Target, String>;

    /// Connects to `target` (nothing is sent yet). Requests to Twenty take from `budget`.
    fn connect(
        target: Self::Target,
        store: &Store,
        settings: &Settings,
        budget: &Arc<RequestBudget>,
    ) -> Result<Self, String>;

    /// The destination this upstream sends to.
    fn target(&self) -> &Self::Target;

    /// Takes the settings that tune how it sends (not where) as they are now.
    fn configure(&mut self, _settings: &Settings) {}

    /// Gets the destination ready before the first round with work, and again after a settings
    /// change or [`UpstreamError::Unprepared`].
    fn prepare(&mut self) -> impl Future<Output = Result<(), UpstreamError>> + Send;

    /// Pushes one window of the queue.
    fn push_round(&mut self) -> impl Future<Output = Result<RoundOutcome, UpstreamError>> + Send;

    /// Whether the destination answers again (offline probing).
    fn check_health(&self) -> impl Future<Output = bool> + Send;
}

/// Why a round (or getting ready) stopped, as the runner acts on it. Texts are scrubbed of keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The destination cannot be reached now: intents stay queued; go offline and probe.
    #[error("{0}")]
    Unreachable(String),
    /// The destination changed under us (Twenty's `externalId` field is gone): get ready again,
    /// then push. Nothing was parked.
    #[error("{0}")]
    Unprepared(String),
    /// A person must act (settings, key, schema, store): shown as "needs attention".
    #[error("{0}")]
    NeedsAttention(String),
}

impl From<EngineError> for UpstreamError {
    fn from(error: EngineError) -> UpstreamError {
        match error {
            EngineError::Unreachable(error) => UpstreamError::Unreachable(error.to_string()),
            EngineError::SchemaLost(error) => UpstreamError::Unprepared(error.to_string()),
            other => UpstreamError::NeedsAttention(other.to_string()),
        }
    }
}

impl From<ForwardError> for UpstreamError {
    fn from(error: ForwardError) -> UpstreamError {
        match error {
            ForwardError::Unreachable(message) => UpstreamError::Unreachable(message),
            other => UpstreamError::NeedsAttention(other.to_string()),
        }
    }
}

/// Direct mode: the pusher to Twenty. Getting ready is the `externalId` schema check.
impl Upstream for Pusher {
    type Target = TwentyTarget;

    fn target_in(settings: &Settings) -> Result<TwentyTarget, String> {
        TwentyTarget::from_settings(settings).map_err(|error| error.to_string())
    }

    fn connect(
        target: TwentyTarget,
        store: &Store,
        settings: &Settings,
        budget: &Arc<RequestBudget>,
    ) -> Result<Pusher, String> {
        let client = make_client(target, store, budget.clone()).map_err(|e| e.to_string())?;
        Ok(Pusher::for_settings(store.clone(), client, settings))
    }

    fn target(&self) -> &TwentyTarget {
        self.client().target()
    }

    fn configure(&mut self, settings: &Settings) {
        self.apply_settings(settings);
    }

    async fn prepare(&mut self) -> Result<(), UpstreamError> {
        Ok(ensure_schema(self.store(), self.client()).await?)
    }

    async fn push_round(&mut self) -> Result<RoundOutcome, UpstreamError> {
        match Pusher::push_round(self).await {
            Err(EngineError::SchemaLost(error)) => {
                tracing::warn!(
                    "the externalId field is gone from Twenty; checking the schema again: {error}"
                );
                forget_schema(self.store(), self.client().base_url())?;
                Err(UpstreamError::Unprepared(error.to_string()))
            }
            other => Ok(other?),
        }
    }

    async fn check_health(&self) -> bool {
        self.client().healthz().await.is_ok()
    }
}

/// Platform mode: the forwarder to the upstream relay. Nothing to get ready.
impl Upstream for Forwarder {
    type Target = RelayTarget;

    fn target_in(settings: &Settings) -> Result<RelayTarget, String> {
        RelayTarget::from_settings(settings)
    }

    fn connect(
        target: RelayTarget,
        store: &Store,
        settings: &Settings,
        _budget: &Arc<RequestBudget>,
    ) -> Result<Forwarder, String> {
        Forwarder::new(store.clone(), target, relay_batch(settings)).map_err(|e| e.to_string())
    }

    fn target(&self) -> &RelayTarget {
        Forwarder::target(self)
    }

    async fn prepare(&mut self) -> Result<(), UpstreamError> {
        Ok(())
    }

    async fn push_round(&mut self) -> Result<RoundOutcome, UpstreamError> {
        Ok(self.forward_round().await?)
    }

    async fn check_health(&self) -> bool {
        self.healthy().await
    }
}

/// Intents per request to the relay: the forced batch size, else as many as before `auto`.
fn relay_batch(settings: &Settings) -> usize {
    settings.batch_size.fixed().unwrap_or(60)
}

#[cfg(test)]
mod tests;
