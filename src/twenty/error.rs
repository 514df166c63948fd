//! The one error type of the Twenty boundary ([`TwentyError`]), its codes ([`ErrorCode`], 1:1 with
//! [`FailureCode`]) and the classification of HTTP statuses, Twenty's error bodies and transport
//! failures into them. Every message is scrubbed of the API key before it is stored.

use std::time::Duration;

use serde_json::Value;

use crate::domain::FailureCode;
use crate::logging::redact;

/// How many characters of a non-JSON error body are kept.
const BODY_PREFIX_CHARS: usize = 200;

/// Why a call to Twenty failed, in the vocabulary of the original integration's typed errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    AuthError,
    RateLimit,
    Timeout,
    NetworkError,
    NotFound,
    ServerError,
    Duplicate,
    ValidationError,
    QuotaExhausted,
    OperationFailed,
}

impl ErrorCode {
    /// The stable upper-case name (`AUTH_ERROR`, …), the same as [`FailureCode::as_str`].
    pub fn as_str(self) -> &'static str {
        FailureCode::from(self).as_str()
    }
}

impl From<ErrorCode> for FailureCode {
    fn from(code: ErrorCode) -> FailureCode {
        match code {
            ErrorCode::AuthError => FailureCode::AuthError,
            ErrorCode::RateLimit => FailureCode::RateLimit,
            ErrorCode::Timeout => FailureCode::Timeout,
            ErrorCode::NetworkError => FailureCode::NetworkError,
            ErrorCode::NotFound => FailureCode::NotFound,
            ErrorCode::ServerError => FailureCode::ServerError,
            ErrorCode::Duplicate => FailureCode::Duplicate,
            ErrorCode::ValidationError => FailureCode::ValidationError,
            ErrorCode::QuotaExhausted => FailureCode::QuotaExhausted,
            ErrorCode::OperationFailed => FailureCode::OperationFailed,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call to Twenty. `message` (the `Display` text) says what happened and what to do; it
/// never contains the API key. `server_message` is Twenty's own text (from `messages` or
/// `message`, or a short prefix of a non-JSON body), also scrubbed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwentyError {
    /// 401 or 403: the key is wrong, revoked, expired or lacks a permission. Not retryable.
    #[error("{message}")]
    Auth {
        status: u16,
        message: String,
        server_message: Option<String>,
    },
    /// 429. Retryable; `retry_after` from `Retry-After` (seconds or HTTP date) or the body.
    #[error("{message}")]
    RateLimited {
        status: u16,
        message: String,
        server_message: Option<String>,
        retry_after: Option<Duration>,
    },
    /// No answer in time (client timeout, or a 408 from the server). Retryable.
    #[error("{message}")]
    Timeout {
        status: Option<u16>,
        message: String,
    },
    /// Connection refused, DNS failure, TLS failure, connection dropped mid-response. Retryable.
    #[error("{message}")]
    Network { message: String },
    /// 404, or the older builds' 400 `Record not found` / `EntityNotFoundError`. Not retryable.
    #[error("{message}")]
    NotFound {
        status: u16,
        message: String,
        server_message: Option<String>,
    },
    /// 5xx. Retryable for 500, 502, 503 and 504 only.
    #[error("{message}")]
    Server {
        status: u16,
        message: String,
        server_message: Option<String>,
        retry_after: Option<Duration>,
    },
    /// 400 (or 409) for a unique value that another record already holds. Not retryable.
    #[error("{message}")]
    Duplicate {
        status: u16,
        message: String,
        server_message: Option<String>,
    },
    /// Any other 4xx, or a request we refused to build (bad base URL, empty id). Not retryable.
    #[error("{message}")]
    Validation {
        status: Option<u16>,
        message: String,
        server_message: Option<String>,
    },
    /// 402: the workspace's credits or record stock are used up. Not retryable.
    #[error("{message}")]
    QuotaExhausted {
        status: u16,
        message: String,
        server_message: Option<String>,
    },
    /// A success status whose body is not what Twenty sends (e.g. a web page): the server URL
    /// probably points at something else. Classified as `SERVER_ERROR`, not retryable.
    #[error("{message}")]
    UnexpectedResponse { status: u16, message: String },
    /// Retries were exhausted; `last` is the final attempt's error. Kept retryable so the
    /// replay engine can go offline and try again later.
    #[error("{message}")]
    OperationFailed {
        attempts: u32,
        message: String,
        #[source]
        last: Box<TwentyError>,
    },
}

impl TwentyError {
    pub fn code(&self) -> ErrorCode {
        match self {
            TwentyError::Auth { .. } => ErrorCode::AuthError,
            TwentyError::RateLimited { .. } => ErrorCode::RateLimit,
            TwentyError::Timeout { .. } => ErrorCode::Timeout,
            TwentyError::Network { .. } => ErrorCode::NetworkError,
            TwentyError::NotFound { .. } => ErrorCode::NotFound,
            TwentyError::Server { .. } | TwentyError::UnexpectedResponse { .. } => {
                ErrorCode::ServerError
            }
            TwentyError::Duplicate { .. } => ErrorCode::Duplicate,
            TwentyError::Validation { .. } => ErrorCode::ValidationError,
            TwentyError::QuotaExhausted { .. } => ErrorCode::QuotaExhausted,
            TwentyError::OperationFailed { .. } => ErrorCode::OperationFailed,
        }
    }

    pub fn failure_code(&self) -> FailureCode {
        self.code().into()
    }

    /// Whether trying again later can succeed. The client retries exactly these errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            TwentyError::RateLimited { .. }
            | TwentyError::Timeout { .. }
            | TwentyError::Network { .. }
            | TwentyError::OperationFailed { .. } => true,
            TwentyError::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            TwentyError::Auth { .. }
            | TwentyError::NotFound { .. }
            | TwentyError::Duplicate { .. }
            | TwentyError::Validation { .. }
            | TwentyError::QuotaExhausted { .. }
            | TwentyError::UnexpectedResponse { .. } => false,
        }
    }

    /// The HTTP status, when Twenty answered (for `OperationFailed`, the last attempt's).
    pub fn status(&self) -> Option<u16> {
        match self {
            TwentyError::Auth { status, .. }
            | TwentyError::RateLimited { status, .. }
            | TwentyError::NotFound { status, .. }
            | TwentyError::Server { status, .. }
            | TwentyError::Duplicate { status, .. }
            | TwentyError::QuotaExhausted { status, .. }
            | TwentyError::UnexpectedResponse { status, .. } => Some(*status),
            TwentyError::Timeout { status, .. } | TwentyError::Validation { status, .. } => *status,
            TwentyError::Network { .. } => None,
            TwentyError::OperationFailed { last, .. } => last.status(),
        }
    }

    /// Twenty's own error text, scrubbed of the key.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            TwentyError::Auth { server_message, .. }
            | TwentyError::RateLimited { server_message, .. }
            | TwentyError::NotFound { server_message, .. }
            | TwentyError::Server { server_message, .. }
            | TwentyError::Duplicate { server_message, .. }
            | TwentyError::Validation { server_message, .. }
            | TwentyError::QuotaExhausted { server_message, .. } => server_message.as_deref(),
            TwentyError::Timeout { .. }
            | TwentyError::Network { .. }
            | TwentyError::UnexpectedResponse { .. } => None,
            TwentyError::OperationFailed { last, .. } => last.server_message(),
        }
    }

    /// How long Twenty asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TwentyError::RateLimited { retry_after, .. }
            | TwentyError::Server { retry_after, .. } => *retry_after,
            TwentyError::OperationFailed { last, .. } => last.retry_after(),
            _ => None,
        }
    }

    /// The error that ended the operation: `last` for `OperationFailed`, else `self`.
    pub fn root(&self) -> &TwentyError {
        match self {
            TwentyError::OperationFailed { last, .. } => last.root(),
            other => other,
        }
    }

    /// A request we refused to send (bad configuration or arguments).
    pub(crate) fn invalid(message: impl Into<String>) -> TwentyError {
        TwentyError::Validation {
            status: None,
            message: message.into(),
            server_message: None,
        }
    }

    /// A success status with a body we cannot use.
    pub(crate) fn unexpected(status: u16, what: &str, api_key: &str) -> TwentyError {
        TwentyError::UnexpectedResponse {
            status,
            message: redact(
                &format!(
                    "Twenty's answer ({status}) is not what its API sends: {what}. Check the server \
                     URL: it must be the address of the Twenty server (e.g. https://api.twenty.com)"
                ),
                api_key,
            ),
        }
    }

    /// Wraps the last error after the retries ran out.
    pub(crate) fn exhausted(attempts: u32, last: TwentyError) -> TwentyError {
        TwentyError::OperationFailed {
            attempts,
            message: format!("gave up after {attempts} attempts: {last}"),
            last: Box::new(last),
        }
    }
}

/// What Twenty's error body says, in either of its shapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServerText {
    /// `messages` joined with "; ", else `message`, else a short prefix of a non-JSON body.
    pub text: Option<String>,
    /// The `error` member (`UNAUTHENTICATED`, `EntityNotFoundError`, `BadRequestException`, …).
    pub error: Option<String>,
    /// The `code` member of typed exceptions (`DUPLICATE_ENTRY_DETECTED`, …).
    pub code: Option<String>,
    /// `retryAfterSeconds` of the newest 429 bodies.
    pub retry_after_seconds: Option<u64>,
    /// Whether the body was JSON at all.
    pub is_json: bool,
}

/// Reads Twenty's error body: `{"statusCode","error","messages":[…]}` (every REST error),
/// `{"statusCode","message":"…","error"}` (Express/Nest), or anything else (HTML from a proxy).
pub(crate) fn parse_server_text(body: &[u8]) -> ServerText {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = html_title(&text).unwrap_or_else(|| text.to_string());
        return ServerText {
            text: short(&text),
            ..ServerText::default()
        };
    };
    let strings = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => short(s),
            Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|item| match item {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => {
                            o.get("message").and_then(Value::as_str).map(str::to_string)
                        }
                        _ => None,
                    })
                    .collect();
                short(&parts.join("; "))
            }
            _ => None,
        }
    };
    let text = strings(&value["messages"])
        .or_else(|| strings(&value["message"]))
        .or_else(|| strings(&value["errors"]));
    ServerText {
        text,
        error: value["error"].as_str().map(str::to_string),
        code: value["code"].as_str().map(str::to_string),
        retry_after_seconds: value["retryAfterSeconds"].as_u64(),
        is_json: true,
    }
    .or_error_as_text()
}

impl ServerText {
    fn or_error_as_text(mut self) -> ServerText {
        if self.text.is_none() {
            self.text = self.error.as_deref().and_then(short);
        }
        self
    }
}

/// Whitespace collapsed, at most [`BODY_PREFIX_CHARS`] characters; `None` when empty.
fn short(text: &str) -> Option<String> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    if collapsed.chars().count() <= BODY_PREFIX_CHARS {
        return Some(collapsed);
    }
    Some(
        collapsed
            .chars()
            .take(BODY_PREFIX_CHARS)
            .collect::<String>()
            + "…",
    )
}

/// The `<title>` of an HTML page (proxies' 502 pages), if there is one.
fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    text.get(start..end).map(str::to_string)
}

fn with_text(prefix: String, text: Option<&str>) -> String {
    match text {
        Some(text) => format!("{prefix}: {text}"),
        None => prefix,
    }
}

fn mentions_duplicate(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.to_lowercase().contains("duplicate"))
}

fn is_record_not_found(server: &ServerText) -> bool {
    server.error.as_deref() == Some("EntityNotFoundError")
        || server
            .text
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains("record not found"))
}

/// Turns a non-success HTTP answer into a typed error. `retry_after` comes from the
/// `Retry-After` header (already parsed); the body's `retryAfterSeconds` is the fallback.
pub(crate) fn classify_status(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    api_key: &str,
) -> TwentyError {
    let server = parse_server_text(body);
    let text = server.text.as_deref().map(|t| redact(t, api_key));
    let shown = text.as_deref();
    let scrub = |message: String| redact(&message, api_key);
    match status {
        401 => TwentyError::Auth {
            status,
            message: scrub(format!(
                "{}. Check the key in Settings → APIs & Webhooks",
                with_text("Twenty refused the API key (401)".into(), shown)
            )),
            server_message: text,
        },
        403 => TwentyError::Auth {
            status,
            message: scrub(format!(
                "{}. Check the key, and the role it is assigned, in Settings → APIs & Webhooks",
                with_text(
                    "Twenty refused the API key or it lacks permission (403)".into(),
                    shown
                )
            )),
            server_message: text,
        },
        402 => TwentyError::QuotaExhausted {
            status,
            message: scrub(format!(
                "{}. Check the workspace's plan and billing in Twenty's settings",
                with_text(
                    "Twenty refused the request: the workspace's quota is used up (402)".into(),
                    shown
                )
            )),
            server_message: text,
        },
        404 if server.is_json && !shown.is_some_and(|t| t.starts_with("Cannot ")) => {
            TwentyError::NotFound {
                status,
                message: scrub(with_text("Twenty has no such record (404)".into(), shown)),
                server_message: text,
            }
        }
        404 => TwentyError::Validation {
            status: Some(status),
            message: scrub(format!(
                "{}. Check the server URL: it must be the address of the Twenty server (e.g. \
                 https://api.twenty.com), not of a page of the web app",
                with_text("Twenty has no such endpoint (404)".into(), shown)
            )),
            server_message: text,
        },
        408 => TwentyError::Timeout {
            status: Some(status),
            message: scrub(with_text(
                "Twenty timed out the request (408)".into(),
                shown,
            )),
        },
        429 => {
            let retry_after = retry_after.or(server.retry_after_seconds.map(Duration::from_secs));
            let wait = match retry_after {
                Some(wait) => format!("; it asks to wait {} s", wait.as_secs_f64().ceil()),
                None => String::new(),
            };
            TwentyError::RateLimited {
                status,
                message: scrub(format!(
                    "{}{wait}",
                    with_text("Twenty is rate limiting this API key (429)".into(), shown)
                )),
                server_message: text,
                retry_after,
            }
        }
        400 | 409
            if server.code.as_deref() == Some("DUPLICATE_ENTRY_DETECTED")
                || mentions_duplicate(shown) =>
        {
            TwentyError::Duplicate {
                status,
                message: scrub(with_text(
                    format!("Twenty already has a record with this unique value ({status})"),
                    shown,
                )),
                server_message: text,
            }
        }
        400 if is_record_not_found(&server) => TwentyError::NotFound {
            status,
            message: scrub(with_text("Twenty has no such record (400)".into(), shown)),
            server_message: text,
        },
        400..=499 => TwentyError::Validation {
            status: Some(status),
            message: scrub(with_text(
                format!("Twenty rejected the request ({status})"),
                shown,
            )),
            server_message: text,
        },
        500..=599 => TwentyError::Server {
            status,
            message: scrub(with_text(
                format!("Twenty answered with a server error ({status})"),
                shown,
            )),
            server_message: text,
            retry_after,
        },
        _ => TwentyError::UnexpectedResponse {
            status,
            message: scrub(with_text(
                format!("Twenty answered with an unexpected status ({status})"),
                shown,
            )),
        },
    }
}

/// Turns a transport failure into a typed error. reqwest's texts can include the URL (which can
/// include the key if someone put it there): the URL is dropped and the text scrubbed.
pub(crate) fn classify_transport(
    error: reqwest::Error,
    timeout: Duration,
    api_key: &str,
) -> TwentyError {
    let is_timeout = error.is_timeout();
    let is_builder = error.is_builder();
    let chain = error_chain(&error.without_url());
    let chain = redact(&chain, api_key);
    if is_timeout {
        TwentyError::Timeout {
            status: None,
            message: format!(
                "Twenty did not answer within {} s ({chain}); the server may be overloaded or \
                 unreachable",
                timeout.as_secs_f64()
            ),
        }
    } else if is_builder {
        TwentyError::invalid(format!("cannot build the request to Twenty: {chain}"))
    } else {
        TwentyError::Network {
            message: format!(
                "cannot reach Twenty: {chain}. Check the server URL and the network connection"
            ),
        }
    }
}

/// An error and its sources, joined with ": ", without repeats.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
