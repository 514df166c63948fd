//! The front ends' one contract with a running agent: a typed request and reply per operation
//! the UI, the desktop shell and the CLI-through-the-agent use, each run by one function over
//! [`Live`].
//!
//! Every operation is a struct implementing [`Operation`] (its `Reply` is `Serialize +
//! Deserialize`, so the CLI reads the same types the agent wrote). [`Request`] is the closed
//! enum of them all, tagged by `op` (`{"op": "events", "limit": 20}`): the desktop shell's one
//! `rpc` command and the web API's `POST /api/rpc` take it, and the REST routes of `GET
//! /api/status` & co. parse the same structs from their query string or body. No reply is built
//! anywhere else.
//!
//! - [`about`]: the About screen (version, folders, the server and what was detected of it).
//! - [`reads`]: status, live update, chart, activity, records, failures, mappings, imports.
//! - [`actions`]: retry one, retry all, sync now, pause/resume.
//! - [`settings`]: the settings, saving a change, the drop-folder check, Test connection,
//!   Create field.
//! - [`failures`]: parked failures with what they collide with; dismiss one, link one.
//! - [`fields`]: the workspace's fields (read again from Twenty when asked) and the mapping
//!   overrides: show, set, unset.
//! - [`files`]: an error report's text, and a file added to the drop folder (its bytes do not
//!   travel inside a [`Request`]).
//! - [`commands`], [`until_idle`]: what the CLI's own commands need beside a running agent
//!   (`push`, the stored configuration, `test-connection`, `sync --until-idle`).
//! - [`imports`]: a named file imported by the agent (a job: its progress, then its result),
//!   and the files the agent is reading now.
//! - [`preview`]: the Imports screen's mapping table of a file's first rows, and one column's
//!   mapping kept as an override.

pub mod about;
pub mod actions;
pub mod commands;
pub mod failures;
pub mod fields;
pub mod files;
pub mod imports;
pub mod preview;
pub mod reads;
pub mod settings;
pub mod until_idle;

use std::collections::BTreeMap;
use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::connection::ConnectionError;
use super::inbox::UploadError;
use super::Live;
use crate::config::ConfigError;
use crate::store::StoreError;

pub use about::{About, AboutReply, ServerAbout};
pub use actions::{Ack, Queued, RetryAll, RetryRecord, SetPaused, Steering, SyncNow};
pub use commands::{
    CheckConnection, IntentInput, RecordIntents, Recorded, SetConfig, StoredSettings,
};
pub use failures::{DismissFailure, FailureList, LinkRecord, ListFailures};
pub use fields::{
    FieldRow, Fields, FieldsReport, KindFields, MappingReport, MappingSet, MappingShow,
    MappingUnset, OverrideRow,
};
pub use files::{ImportReport, ReportFile, Uploaded};
pub use imports::{
    ImportJob, ImportJobState, ImportJobs, ImportStarted, ReadingFiles, ReadingImports, StartImport,
};
pub use preview::{
    ColumnChoice, ImportPreview, PreviewCell, PreviewColumn, PreviewReply, PreviewRow, TargetChoice,
};
pub use reads::{
    Chart, Events, FailedPage, FailedRecords, Imports, ImportsPage, LiveStatus, Mappings, Records,
    Status,
};
pub use settings::{
    CheckDropDir, CreateField, SaveSettings, SettingsView, ShowSettings, TestConnection,
};
pub use until_idle::{IdleOutcome, SyncUntilIdle};

/// One operation: its request (this type) and its reply.
pub trait Operation: Serialize + DeserializeOwned + Into<Request> + Send + 'static {
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// Runs the operation on the agent; store reads run on the blocking pool.
    fn run(self, live: &Live) -> impl Future<Output = Result<Self::Reply, OpError>> + Send;
}

/// The closed list of operations, with the `op` name each is called by.
macro_rules! operations {
    ($($op:ident),* $(,)?) => {
        /// Any operation, tagged by its name: `{"op": "retry_record", "kind": "person", …}`.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum Request {
            $($op($op),)*
        }

        $(impl From<$op> for Request {
            fn from(op: $op) -> Request {
                Request::$op(op)
            }
        })*

        impl Request {
            /// Runs the request and returns its reply as JSON.
            pub async fn run(self, live: &Live) -> Result<serde_json::Value, OpError> {
                match self {
                    $(Request::$op(op) => to_json(&op.run(live).await?),)*
                }
            }
        }
    };
}

operations! {
    Status,
    LiveStatus,
    Chart,
    Events,
    Records,
    FailedRecords,
    RetryRecord,
    RetryAll,
    Mappings,
    Imports,
    ImportReport,
    ShowSettings,
    SaveSettings,
    CheckDropDir,
    TestConnection,
    CreateField,
    SyncNow,
    SetPaused,
    RecordIntents,
    StoredSettings,
    SetConfig,
    CheckConnection,
    SyncUntilIdle,
    StartImport,
    ImportJob,
    ReadingImports,
    ListFailures,
    DismissFailure,
    LinkRecord,
    ImportPreview,
    Fields,
    MappingShow,
    MappingSet,
    MappingUnset,
    About,
}

impl Request {
    /// A request from JSON, refused with a sentence (not serde's internals) when malformed.
    pub fn from_json(value: serde_json::Value) -> Result<Request, OpError> {
        serde_json::from_value(value).map_err(|e| OpError::bad_request(plain_serde_message(&e)))
    }
}

/// Why an operation failed; [`OpError::reply`] is what every front end shows.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The store failed; the message says what to do.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request itself is wrong: fix it and send it again.
    #[error("{message}")]
    BadRequest {
        message: String,
        /// The field of the request that is wrong, when one is.
        field: Option<String>,
    },
    /// What the request names does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// Settings were refused; nothing changed. One message per setting.
    #[error("some settings are invalid; nothing was changed")]
    Invalid(Vec<ConfigError>),
    /// A file could not be added to the drop folder.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// The connection test could not start: fix the named setting.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The agent is not running (the desktop app could not start it): the message says why.
    #[error("{0}")]
    Unavailable(String),
    /// A worker task died or a reply could not be encoded (a bug): try again.
    #[error("the request could not be completed ({0}); try again")]
    Internal(String),
}

/// What a failed operation answers, in every front end: one sentence, and a message per field
/// when form values were refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl OpError {
    pub fn bad_request(message: impl Into<String>) -> OpError {
        OpError::BadRequest {
            message: message.into(),
            field: None,
        }
    }

    /// The HTTP status that fits (the desktop shell ignores it).
    pub fn status(&self) -> u16 {
        match self {
            OpError::Store(_) | OpError::Internal(_) => 500,
            OpError::BadRequest { .. } | OpError::Upload(UploadError::BadName { .. }) => 400,
            OpError::NotFound(_) => 404,
            OpError::Upload(UploadError::TooLarge) => 413,
            OpError::Invalid(_) | OpError::Connection(_) => 422,
            OpError::Upload(UploadError::Io { .. }) => 500,
            OpError::Unavailable(_) => 503,
        }
    }

    pub fn reply(&self) -> ErrorReply {
        let fields = match self {
            OpError::Invalid(errors) => errors
                .iter()
                .map(|e| (e.setting.to_string(), e.message.clone()))
                .collect(),
            OpError::Connection(ConnectionError::Invalid { setting, message }) => {
                BTreeMap::from([(setting.to_string(), message.clone())])
            }
            OpError::BadRequest {
                message,
                field: Some(field),
            } => BTreeMap::from([(field.clone(), message.clone())]),
            _ => BTreeMap::new(),
        };
        ErrorReply {
            error: self.to_string(),
            fields,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, OpError> {
    serde_json::to_value(value).map_err(|e| OpError::Internal(e.to_string()))
}

/// serde's message without its internals (`at line 1 column 7`, type names).
pub fn plain_serde_message(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    let text = match text.find(" at line ") {
        Some(at) => &text[..at],
        None => &text,
    };
    let text = text
        .trim_start_matches("Failed to deserialize query string: ")
        .trim();
    let text = without_type_names(text);
    let text = text.as_str();
    if text.is_empty() {
        "the request is malformed".to_string()
    } else {
        format!("the request is malformed: {text}")
    }
}

/// serde's Rust type names (`expected struct SettingsUpdate with 13 elements`, `expected
/// internally tagged enum Request`) said as the JSON they stand for.
fn without_type_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("expected ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "expected ".len()..];
        let (replacement, skip) = if let Some(tail) = after.strip_prefix("struct ") {
            (
                "expected a JSON object",
                "struct ".len() + type_name_len(tail),
            )
        } else if let Some(tail) = after.strip_prefix("internally tagged enum ") {
            (
                "expected a JSON object with an \"op\"",
                "internally tagged enum ".len() + type_name_len(tail),
            )
        } else {
            ("expected ", 0)
        };
        out.push_str(replacement);
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

/// The length of a type name and a following ` with N element(s)`.
fn type_name_len(text: &str) -> usize {
    let name = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let after = &text[name..];
    let elements = after
        .strip_prefix(" with ")
        .and_then(|tail| {
            let digits = tail
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len());
            let tail = &tail[digits..];
            [" elements", " element"]
                .iter()
                .find(|word| tail.starts_with(*word))
                .map(|word| " with ".len() + digits + word.len())
        })
        .unwrap_or(0);
    name + elements
}

/// Runs a store read on the blocking pool.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, OpError>
where
    F: FnOnce() -> Result<T, OpError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| OpError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests;
