//! The Twenty CRM REST client: typed errors, the shared request budget, the wire format, and
//! the calls the replay engine makes (lookup by external id, batch create, update, schema setup,
//! connection test).
//!
//! # Layout
//! - `client`: [`TwentyClient`], its configuration and the HTTP transport with retries.
//! - `lookup`: the lookups (by external id, or by external id or e-mail/domain in one request,
//!   within a safe URL length; the trash; whether the workspace holds records).
//! - `records`: the record writes (batch create and upsert, update).
//! - [`budget`]: [`RequestBudget`], the one rate budget every request takes a permit from.
//! - [`error`]: [`TwentyError`] (one struct: [`ErrorKind`], status, messages, `Retry-After`), its
//!   [`ErrorCode`] (1:1 with [`crate::domain::FailureCode`]) and the client's key redactor.
//! - [`wire`]: request bodies, filters and response envelopes as pure functions.
//! - [`retry`]: the retry policy, backoff with jitter and `Retry-After` parsing.
//! - [`metadata`]: the workspace's data model ([`TwentyClient::read_data_model`]) and the
//!   `externalId` custom field (read, probe, create).
//! - `connection`: the connection test.
//! - `target`: [`TwentyTarget`], the one conversion from the settings to a server and key.
//!
//! Invariant: the API key stays a [`crate::config::Secret`] up to the client's one sensitive
//! `Authorization` header value and only ever leaves this module in that header; every error text
//! is scrubbed by the client's [`error::Redactor`], and `Debug` output masks it.

pub mod budget;
pub mod error;
pub mod metadata;
pub mod retry;
pub mod wire;

mod client;
mod connection;
mod lookup;
mod records;
mod target;

pub use budget::RequestBudget;
pub use client::{ClientConfig, RetryPolicy, TwentyClient};
pub use error::{ErrorCode, ErrorKind, TwentyError};
pub use metadata::{DataModelError, ExternalIdField, FieldRefusal, SchemaReport};
pub use target::TwentyTarget;

use serde::{Deserialize, Serialize};

/// A record as Twenty returned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteRecord {
    /// Twenty's UUID of the record.
    pub id: String,
    /// Our external id as stored in Twenty (`None` when absent or the empty default).
    pub external_id: Option<String>,
    /// The whole record as received.
    pub raw: serde_json::Value,
}

impl RemoteRecord {
    /// `None` when the record has no string `id`.
    pub fn from_value(raw: serde_json::Value) -> Option<RemoteRecord> {
        let id = wire::record_id(&raw)?.to_string();
        let external_id = wire::record_external_id(&raw).map(str::to_string);
        Some(RemoteRecord {
            id,
            external_id,
            raw,
        })
    }
}

/// The outcome of [`TwentyClient::test_connection`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// True only when every check passed.
    pub ok: bool,
    /// Round trip of the reachability check.
    pub latency_ms: u64,
    /// What works, or what to do next.
    pub message: String,
    pub checks: Vec<ConnectionCheck>,
    /// What the metadata said of the `externalId` fields (for the caller to remember).
    #[serde(skip)]
    pub schema: Option<SchemaReport>,
}

/// One named check of the connection test: `reachable`, `authenticated`, `read_companies`,
/// `read_people`, `external_id_companies`, `external_id_people`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCheck {
    pub name: String,
    /// The check passed (`state` tells a failure from a check that was not run).
    pub ok: bool,
    #[serde(default)]
    pub state: CheckState,
    pub detail: String,
}

/// How one check of the connection test ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Ok,
    #[default]
    Failed,
    /// Not tried, because an earlier check failed (the detail says which).
    NotRun,
}

#[cfg(test)]
mod tests;
