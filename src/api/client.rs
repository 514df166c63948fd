//! The CLI's way into a running agent: while `twenty-sync run` (or the desktop app) holds the
//! store, read commands ask its local API instead, with the port and token from `agent.json`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::security::AgentFile;

/// Why the running agent could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No agent.json with a port: no agent serves its API (or it is an older version).
    #[error("no running agent announces its local API in {0}")]
    NotRunning(String),
    /// The agent did not answer: it may be stopping; try again.
    #[error(
        "the running agent did not answer on 127.0.0.1:{port}: {detail}; try again in a moment"
    )]
    Unreachable { port: u16, detail: String },
    /// The agent answered with an error.
    #[error("the running agent refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
}

/// A client for the local API of the agent running on this data directory.
pub struct AgentClient {
    port: u16,
    token: String,
    http: reqwest::Client,
}

impl AgentClient {
    /// The agent announced in `<data dir>/agent.json`, if one is.
    pub fn find(data_dir: &Path) -> Result<AgentClient, ClientError> {
        let not_running =
            || ClientError::NotRunning(AgentFile::path(data_dir).display().to_string());
        let file = AgentFile::read(data_dir).ok_or_else(not_running)?;
        let (Some(port), Some(_pid)) = (file.port, file.pid) else {
            return Err(not_running());
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| ClientError::Unreachable {
                port,
                detail: e.to_string(),
            })?;
        Ok(AgentClient {
            port,
            token: file.token,
            http,
        })
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Value, ClientError> {
        self.send(self.http.get(self.url(path_and_query))).await
    }

    pub async fn post(&self, path: &str) -> Result<Value, ClientError> {
        self.send(self.http.post(self.url(path))).await
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            port: self.port,
            detail: e.to_string(),
        };
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body: Value = response.json().await.map_err(unreachable)?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(ClientError::Refused {
                status: status.as_u16(),
                message: body["error"].as_str().unwrap_or_default().to_string(),
            })
        }
    }
}
