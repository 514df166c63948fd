//! The operations that steer the agent: retry one parked record, retry all, sync now,
//! pause/resume.

use serde::{Deserialize, Deserializer, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::Live;
use crate::domain::{EntityKind, RecordKey};

/// Queues one parked record again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRecord {
    /// `company` or `person`.
    #[serde(deserialize_with = "kind_name", serialize_with = "kind_as_name")]
    pub kind: EntityKind,
    pub external_id: String,
}

/// How many records were queued again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub queued: usize,
}

impl Operation for RetryRecord {
    type Reply = Queued;

    async fn run(self, live: &Live) -> Result<Queued, OpError> {
        let handle = live.handle().clone();
        let key = RecordKey::new(self.kind, self.external_id);
        if !blocking(move || Ok(handle.retry_failed(key)?)).await? {
            return Err(OpError::NotFound(
                "that record is not parked as failed (it may have been retried already)".into(),
            ));
        }
        Ok(Queued { queued: 1 })
    }
}

fn kind_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<EntityKind, D::Error> {
    let name = String::deserialize(deserializer)?;
    EntityKind::parse(&name).ok_or_else(|| {
        serde::de::Error::custom(format!("unknown kind '{name}'; use company or person"))
    })
}

fn kind_as_name<S: serde::Serializer>(kind: &EntityKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.as_str())
}

/// Queues every parked record again (`twenty-sync retry-failed`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryAll {}

impl Operation for RetryAll {
    type Reply = Queued;

    async fn run(self, live: &Live) -> Result<Queued, OpError> {
        let handle = live.handle().clone();
        let queued = blocking(move || Ok(handle.retry_all_failed()?)).await?;
        Ok(Queued { queued })
    }
}

/// "Sync now": wakes the engine, also out of an offline backoff.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncNow {}

/// The request was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub ok: bool,
}

impl Operation for SyncNow {
    type Reply = Ack;

    async fn run(self, live: &Live) -> Result<Ack, OpError> {
        live.handle().sync_now();
        Ok(Ack { ok: true })
    }
}

/// Pauses or resumes pushing (intents keep being recorded).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPaused {
    pub paused: bool,
}

/// Whether pushing is enabled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steering {
    pub enabled: bool,
}

impl Operation for SetPaused {
    type Reply = Steering;

    async fn run(self, live: &Live) -> Result<Steering, OpError> {
        let handle = live.handle().clone();
        let paused = self.paused;
        blocking(move || {
            handle.set_paused(paused);
            Ok(())
        })
        .await?;
        Ok(Steering { enabled: !paused })
    }
}
