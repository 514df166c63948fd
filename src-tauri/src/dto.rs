//! The shapes the UI sends and receives over IPC that are the shell's own: request DTOs (the
//! same parameters as the web API's query strings) and [`CommandError`], the one error every
//! command returns. Replies reuse the core's report types (`twenty_sync::app`), so the desktop
//! app and the browser get exactly the same JSON.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `events` parameters (like `GET /api/events`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventsQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
    /// Comma-separated categories: intents, pushes, failures, imports, config.
    pub category: Option<String>,
    pub record: Option<String>,
}

/// `records` parameters (like `GET /api/records`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordsQuery {
    pub q: Option<String>,
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// What a failed command returns to the UI: a sentence, and per-field messages for forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> CommandError {
        CommandError {
            message: message.into(),
            fields: BTreeMap::new(),
        }
    }
}

impl From<twenty_sync::store::StoreError> for CommandError {
    fn from(error: twenty_sync::store::StoreError) -> CommandError {
        CommandError::new(error.to_string())
    }
}

impl From<twenty_sync::app::inbox::UploadError> for CommandError {
    fn from(error: twenty_sync::app::inbox::UploadError) -> CommandError {
        CommandError::new(error.to_string())
    }
}

impl From<twenty_sync::app::connection::ConnectionError> for CommandError {
    fn from(error: twenty_sync::app::connection::ConnectionError) -> CommandError {
        let twenty_sync::app::connection::ConnectionError::Invalid { setting, message } = &error;
        CommandError {
            message: error.to_string(),
            fields: BTreeMap::from([(setting.to_string(), message.clone())]),
        }
    }
}

impl From<Vec<twenty_sync::config::ConfigError>> for CommandError {
    fn from(errors: Vec<twenty_sync::config::ConfigError>) -> CommandError {
        CommandError {
            message: "some settings are invalid; nothing was changed".into(),
            fields: errors
                .into_iter()
                .map(|e| (e.setting.to_string(), e.message))
                .collect(),
        }
    }
}

/// The result type of every command.
pub type CommandResult<T> = Result<T, CommandError>;
