//! The local HTTP server of `twenty-sync run`: the web UI (embedded in the binary) and a JSON
//! API under `/api/`, over the same [`Live`] view of the agent the desktop shell uses.
//!
//! # Layout
//! - [`security`]: the session token and `agent.json`, the Host / token / Origin checks.
//! - `routes`: one handler per endpoint, each a few lines over `app`.
//! - `assets`: the `ui/` folder, embedded at build time.
//! - [`client`]: the CLI's way to read a running agent through this API.
//!
//! Invariants: bound to 127.0.0.1 only; every `/api/` call carries the session token; no
//! response ever holds the API key (settings are shown masked, messages are redacted).
//!
//! Endpoints (all JSON unless said otherwise):
//! `GET /api/status` (= `status --json`), `GET /api/live` (status + chart), `GET /api/chart`,
//! `GET /api/events?before=&limit=&category=&record=`, `GET /api/events/stream` (SSE),
//! `GET /api/records?q=&before=&limit=`, `GET /api/records/failed`, `POST /api/records/retry`,
//! `POST /api/records/retry-all`, `GET /api/mappings`, `GET /api/imports`,
//! `GET /api/imports/report?path=` (CSV), `POST /api/imports/upload?name=` (raw body),
//! `GET|PUT /api/settings`, `GET /api/settings/drop-dir?path=` (a drop folder checked before it
//! is saved), `POST /api/settings/test-connection`,
//! `POST /api/settings/create-field`, `GET /api/fields?kind=` (`POST` with `{"refresh": true}`
//! reads the data model again), `GET|PUT /api/field-mapping` (the overrides; set one),
//! `POST /api/field-mapping/unset`, `POST /api/sync-now`, `POST /api/pause`,
//! `POST /api/resume`.

mod assets;
pub mod client;
mod routes;
pub mod security;
mod sse;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::agent::ShutdownSignal;
use crate::app::Live;
pub use security::AgentFile;

/// Where and how the server listens.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub data_dir: PathBuf,
    /// 0 = any free port.
    pub port: u16,
}

/// Why the server could not start; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The port is taken: choose another one.
    #[error("cannot listen on 127.0.0.1:{port}: {detail}; set TWENTY_SYNC_UI_PORT (or ui_port) to another port, or 0 for any free port")]
    Bind { port: u16, detail: String },
    /// `agent.json` cannot be written: fix the data directory's permissions.
    #[error("cannot write {path}: {detail}; check that the data directory may be written")]
    AgentFile { path: PathBuf, detail: String },
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub live: Live,
    pub token: Arc<str>,
    pub port: u16,
    pub data_dir: Arc<PathBuf>,
    /// Becomes true when the server stops (ends the SSE streams).
    pub stopping: watch::Receiver<bool>,
}

/// A server bound to its port, not serving yet.
pub struct BoundServer {
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: watch::Sender<bool>,
    token: String,
}

/// Binds 127.0.0.1 (the configured port, or any when 0) and records the port, the pid and the
/// session token in `agent.json`.
pub async fn bind(live: Live, config: ApiConfig) -> Result<BoundServer, ApiError> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))
            .await
            .map_err(|e| ApiError::Bind {
                port: config.port,
                detail: e.to_string(),
            })?;
    let port = listener
        .local_addr()
        .map_err(|e| ApiError::Bind {
            port: config.port,
            detail: e.to_string(),
        })?
        .port();
    let token = AgentFile::token_for(&config.data_dir);
    AgentFile {
        token: token.clone(),
        pid: Some(std::process::id()),
        port: Some(port),
    }
    .write(&config.data_dir)?;
    let (stop, stopping) = watch::channel(false);
    Ok(BoundServer {
        listener,
        state: AppState {
            live,
            token: Arc::from(token.as_str()),
            port,
            data_dir: Arc::new(config.data_dir),
            stopping,
        },
        stop,
        token,
    })
}

impl BoundServer {
    pub fn port(&self) -> u16 {
        self.state.port
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The address to open: `http://127.0.0.1:<port>/?token=<token>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.state.port, self.token)
    }

    /// Serves until `shutdown`; then ends the open streams, waits at most 3 s for requests in
    /// flight, and marks `agent.json` as no longer running.
    pub async fn serve(self, shutdown: ShutdownSignal) {
        let BoundServer {
            listener,
            state,
            stop,
            token,
        } = self;
        let data_dir = state.data_dir.clone();
        let router = routes::router(state);
        let mut stopping = stop.subscribe();
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            shutdown.wait().await;
            let _ = stop.send(true);
        });
        tokio::select! {
            result = server => {
                if let Err(error) = result {
                    tracing::warn!("the local web server stopped: {error}");
                }
            }
            () = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_secs(3)).await;
            } => tracing::warn!("the local web server did not finish its requests in time"),
        }
        let stopped = AgentFile {
            token,
            pid: None,
            port: None,
        };
        if let Err(error) = stopped.write(&data_dir) {
            tracing::warn!("{error}");
        }
    }
}
