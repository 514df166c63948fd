//! The operations that steer the agent: retry one parked record, retry all, sync now,
//! pause/resume. Sync now and pause/resume answer a sentence saying what happens now, or why
//! nothing does (sync off, setup not finished, paused, a setting that wins over the UI).

use serde::{Deserialize, Deserializer, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::report::{StatusReport, SyncState};
use crate::app::Live;
use crate::config::{Settings, SyncMode};
use crate::domain::{EntityKind, RecordKey};
use crate::relay::RelayTarget;
use crate::twenty::TwentyTarget;

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

/// The request was taken, and what happens now (or why nothing will), in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub ok: bool,
    /// The engine was woken (false: sync is off, paused or not set up; `message` says why).
    #[serde(default)]
    pub done: bool,
    /// One sentence for the person: what happens now, or why nothing does and what to do.
    #[serde(default)]
    pub message: String,
}

impl Operation for SyncNow {
    type Reply = Ack;

    async fn run(self, live: &Live) -> Result<Ack, OpError> {
        let handle = live.handle().clone();
        let status = blocking(move || Ok(handle.status()?)).await?;
        let handle = live.handle();
        let reply = match why_not_sending(&handle.settings()) {
            Some(reason) => Ack {
                ok: true,
                done: false,
                message: format!("Nothing was sent: {reason}."),
            },
            None => {
                handle.sync_now();
                sending_now(&status)
            }
        };
        Ok(reply)
    }
}

/// Why the engine does not send at all with these settings, as the end of a sentence.
fn why_not_sending(settings: &Settings) -> Option<String> {
    let unfinished = match settings.sync_mode {
        SyncMode::Disabled => return Some(
            if TwentyTarget::from_settings(settings).is_err() {
                "sync is off; finish the setup first (Set up sync on the Status screen)"
            } else {
                "sync is off (record only); press Set up sync and Start syncing to send to Twenty"
            }
            .to_string(),
        ),
        SyncMode::DirectCrm => TwentyTarget::from_settings(settings)
            .err()
            .map(|error| error.message),
        SyncMode::Platform => RelayTarget::from_settings(settings).err(),
    };
    if let Some(message) = unfinished {
        return Some(format!("the setup is not finished: {message}"));
    }
    (!settings.enabled).then(|| "sync is paused; press Resume sync to send again".to_string())
}

fn sending_now(status: &StatusReport) -> Ack {
    let waiting = status.pending;
    let message = if waiting == 0 && status.failed > 0 {
        format!(
            "Nothing is waiting; {} failed record{} wait{} for a retry in Records.",
            status.failed,
            plural(status.failed),
            if status.failed == 1 { "s" } else { "" }
        )
    } else if waiting == 0 {
        "Nothing is waiting: everything recorded has been sent.".to_string()
    } else if status.state == SyncState::Offline {
        format!(
            "Trying again now; {waiting} change{} wait{} for Twenty.",
            plural(waiting),
            if waiting == 1 { "s" } else { "" }
        )
    } else {
        format!("Sending {waiting} waiting change{} now.", plural(waiting))
    };
    Ack {
        ok: true,
        done: true,
        message,
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// Pauses or resumes pushing (intents keep being recorded).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPaused {
    pub paused: bool,
}

/// Whether pushing is enabled now, and what changed in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steering {
    pub enabled: bool,
    /// Pushing was paused or resumed as asked (false: `message` says why not).
    #[serde(default)]
    pub done: bool,
    /// One sentence: what happens now, or why nothing changed and what to do.
    #[serde(default)]
    pub message: String,
}

impl Operation for SetPaused {
    type Reply = Steering;

    async fn run(self, live: &Live) -> Result<Steering, OpError> {
        let handle = live.handle().clone();
        let paused = self.paused;
        let (enabled, source, status) = blocking(move || {
            handle.set_paused(paused);
            let source = handle
                .settings_view()
                .get("enabled")
                .map(|shown| shown.source.clone())
                .unwrap_or_default();
            Ok((handle.settings().enabled, source, handle.status()?))
        })
        .await?;
        let message = if enabled == paused {
            let place = match source.as_str() {
                "env" => "the environment (TWENTY_CRM_ENABLED)",
                _ => "a command-line flag (--enabled)",
            };
            format!(
                "Not changed: {place} sets whether sync is on, and it wins over this screen; \
                 change it there."
            )
        } else if paused && live.handle().settings().sync_mode == SyncMode::Disabled {
            "Paused; sync is off anyway: finish the setup first (Set up sync on the Status \
             screen)."
                .to_string()
        } else if paused {
            "Paused: changes are still recorded and are sent when you resume.".to_string()
        } else {
            match why_not_sending(&live.handle().settings()) {
                Some(reason) => format!("Resumed, but nothing is sent: {reason}."),
                None => format!("Resumed. {}", sending_now(&status).message),
            }
        };
        Ok(Steering {
            enabled,
            done: enabled != paused,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn set_up(mode: SyncMode) -> Settings {
        Settings {
            base_url: Some("https://crm.example.com".into()),
            api_key: Some(Secret::new("key-1234567890")),
            sync_mode: mode,
            ..Settings::default()
        }
    }

    #[test]
    fn sync_now_says_why_nothing_is_sent() {
        let reason = |settings: &Settings| why_not_sending(settings).unwrap_or_default();
        assert!(reason(&Settings::default()).contains("finish the setup first"));
        assert!(reason(&set_up(SyncMode::Disabled)).contains("record only"));
        let no_key = Settings {
            api_key: None,
            ..set_up(SyncMode::DirectCrm)
        };
        assert!(reason(&no_key).contains("the setup is not finished: paste an API key"));
        let paused = Settings {
            enabled: false,
            ..set_up(SyncMode::DirectCrm)
        };
        assert!(reason(&paused).contains("press Resume sync"));
        assert_eq!(why_not_sending(&set_up(SyncMode::DirectCrm)), None);
    }
}
