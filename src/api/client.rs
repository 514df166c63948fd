//! The CLI's way into a running agent: while `twenty-sync run` (or the desktop app) holds the
//! store, commands send the agent the same typed operations the UI does (`app::ops`, over
//! `POST /api/rpc`), with the port and token from `agent.json`, and get the same typed replies.
//!
//! A call waits [`AgentClient::DEFAULT_TIMEOUT`] for its answer; operations that wait for the
//! engine (`sync --until-idle`) or for Twenty (`test-connection`) give their own, longer limit
//! with [`AgentClient::call_within`]. The agent serves every request on its own task, so a long
//! call never holds up the others.

use std::path::Path;
use std::time::Duration;

use crate::app::ops::{ErrorReply, Operation, Request};

use super::security::AgentFile;

/// The header that names who sends a `POST /api/rpc` for the audit trail (settings changes,
/// dismissed and linked failures): the CLI says `cli`; without it the caller is the UI.
pub const CALLER_HEADER: &str = "x-twenty-sync-caller";

/// Why the running agent could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No agent.json with a port: no agent serves its API (or it is an older version).
    #[error("no running agent announces its local API in {0}")]
    NotRunning(String),
    /// The agent did not answer (in time): it may be stopping; try again.
    #[error("the agent running on this data directory did not answer{}; try again in a moment, or stop it and run the command again", if *.timed_out { " in time" } else { "" })]
    Unreachable {
        port: u16,
        /// The transport's own words, for the debug log only.
        detail: String,
        timed_out: bool,
    },
    /// The agent answered with an error: `message` is the operation's own sentence.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The agent's answer is not what this version expects: it may be another version; restart
    /// it.
    #[error("the running agent's answer could not be read; is it another version of twenty-sync? Restart it")]
    Unreadable(String),
}

/// A client for the local API of the agent running on this data directory.
pub struct AgentClient {
    port: u16,
    token: String,
    http: reqwest::Client,
}

impl AgentClient {
    /// How long a call waits for its answer unless it says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The agent announced in `<data dir>/agent.json`, if one is.
    pub fn find(data_dir: &Path) -> Result<AgentClient, ClientError> {
        let not_running =
            || ClientError::NotRunning(AgentFile::path(data_dir).display().to_string());
        let file = AgentFile::read(data_dir).ok_or_else(not_running)?;
        let (Some(port), Some(_pid)) = (file.port, file.pid) else {
            return Err(not_running());
        };
        // No overall timeout here: each call sets its own.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map_err(|e| ClientError::Unreachable {
                port,
                detail: e.to_string(),
                timed_out: false,
            })?;
        Ok(AgentClient {
            port,
            token: file.token,
            http,
        })
    }

    /// Runs one operation on the agent and returns its typed reply, waiting at most
    /// [`AgentClient::DEFAULT_TIMEOUT`].
    pub async fn call<O: Operation>(&self, op: O) -> Result<O::Reply, ClientError> {
        self.call_within(op, AgentClient::DEFAULT_TIMEOUT).await
    }

    /// Runs one operation on the agent, waiting at most `timeout` for its answer.
    pub async fn call_within<O: Operation>(
        &self,
        op: O,
        timeout: Duration,
    ) -> Result<O::Reply, ClientError> {
        let unreachable = |e: reqwest::Error| {
            tracing::debug!(port = self.port, "the agent did not answer: {e}");
            ClientError::Unreachable {
                port: self.port,
                timed_out: e.is_timeout(),
                detail: e.to_string(),
            }
        };
        let request: Request = op.into();
        let response = self
            .http
            .post(format!("http://127.0.0.1:{}/api/rpc", self.port))
            .bearer_auth(&self.token)
            .header(CALLER_HEADER, "cli")
            .timeout(timeout)
            .json(&request)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|e| ClientError::Unreadable(e.to_string()))
        } else {
            let message = serde_json::from_slice::<ErrorReply>(&body)
                .map(|reply| reply.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            Err(ClientError::Refused {
                status: status.as_u16(),
                message,
            })
        }
    }
}
