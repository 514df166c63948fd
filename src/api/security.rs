//! The local API's locks: the per-install session token (kept with the port and pid in
//! `<data dir>/agent.json`, mode 0600, so the CLI can find a running agent), and the checks every
//! request passes: `Host` (against DNS rebinding), the token (Bearer header or the page's
//! cookie), and `Origin` on state-changing requests (against CSRF).

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};

/// The file in the data directory that tells the CLI where the running agent listens.
pub const AGENT_FILE: &str = "agent.json";
/// The cookie the page keeps the token in after the first `?token=` load.
pub const TOKEN_COOKIE: &str = "twenty_sync_token";

/// What `agent.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentFile {
    /// The per-install session token (generated once, kept across runs).
    pub token: String,
    /// The running agent's pid and port; `None` when no agent runs.
    pub pid: Option<u32>,
    pub port: Option<u16>,
}

impl AgentFile {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(AGENT_FILE)
    }

    /// Reads `agent.json`, if it exists and is readable.
    pub fn read(data_dir: &Path) -> Option<AgentFile> {
        let text = std::fs::read_to_string(AgentFile::path(data_dir)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The token of this install: the one in `agent.json`, or a new random one.
    pub fn token_for(data_dir: &Path) -> String {
        AgentFile::read(data_dir)
            .map(|file| file.token)
            .filter(|token| token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()))
            .unwrap_or_else(|| {
                rand::random::<[u8; 32]>()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
    }

    /// Writes `agent.json` readable by the owner only: to a temporary file, then renamed.
    pub fn write(&self, data_dir: &Path) -> Result<(), ApiError> {
        let path = AgentFile::path(data_dir);
        let io = |e: std::io::Error| ApiError::AgentFile {
            path: path.clone(),
            detail: e.to_string(),
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| ApiError::AgentFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        crate::safe_fs::write_private_file(&path, text.as_bytes()).map_err(io)
    }
}

/// Compares without stopping at the first different byte.
pub fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The token a request carries: `Authorization: Bearer …`, else the cookie.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return value
            .strip_prefix("Bearer ")
            .map(|token| token.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.to_string())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// The hosts the server answers to.
fn allowed_hosts(port: u16) -> [String; 2] {
    [format!("127.0.0.1:{port}"), format!("localhost:{port}")]
}

/// Every request: the `Host` check, the token for `/api/`, the `Origin` check for anything but
/// GET/HEAD; and the security headers on every response.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let hosts = allowed_hosts(state.port);
    if !hosts.iter().any(|allowed| allowed == host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this server only answers to 127.0.0.1 and localhost with its own port",
        );
    }
    let safe_method = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe_method {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default();
            if !hosts.iter().any(|h| origin == format!("http://{h}")) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "requests from other web sites are refused",
                );
            }
        }
    }
    if request.uri().path().starts_with("/api/") {
        let authorised = request_token(headers).is_some_and(|t| same_token(&t, &state.token));
        if !authorised {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "open the link printed by `twenty-sync run` (it carries the session token), or send Authorization: Bearer <token> from agent.json",
            );
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
