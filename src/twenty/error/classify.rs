//! Classification: Twenty's error bodies ([`parse_server_text`]), non-success HTTP statuses
//! ([`classify_status`]) and transport failures ([`classify_transport`]) become [`TwentyError`]s
//! whose texts are scrubbed of the key.

use std::time::Duration;

use serde_json::Value;

use super::{ErrorKind, Redactor, TwentyError};

/// How many characters of a non-JSON error body are kept.
const BODY_PREFIX_CHARS: usize = 200;

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
    redactor: &Redactor,
) -> TwentyError {
    let server = parse_server_text(body);
    let text = server.text.as_deref().map(|t| redactor.scrub(t));
    let shown = text.as_deref();
    let error = |kind: ErrorKind, message: String| {
        TwentyError::new(kind, Some(status), redactor.scrub(&message))
            .with_server_message(text.clone())
    };
    match status {
        401 => error(
            ErrorKind::Auth,
            format!(
                "{}. Check the key in Settings → APIs & Webhooks",
                with_text("Twenty refused the API key (401)".into(), shown)
            ),
        ),
        403 => error(
            ErrorKind::Auth,
            format!(
                "{}. Check the key, and the role it is assigned, in Settings → APIs & Webhooks",
                with_text(
                    "Twenty refused the API key or it lacks permission (403)".into(),
                    shown
                )
            ),
        ),
        402 => error(
            ErrorKind::QuotaExhausted,
            format!(
                "{}. Check the workspace's plan and billing in Twenty's settings",
                with_text(
                    "Twenty refused the request: the workspace's quota is used up (402)".into(),
                    shown
                )
            ),
        ),
        404 if server.is_json && !shown.is_some_and(|t| t.starts_with("Cannot ")) => error(
            ErrorKind::NotFound,
            with_text("Twenty has no such record (404)".into(), shown),
        ),
        404 => error(
            ErrorKind::Validation,
            format!(
                "{}. Check the server URL: it must be the address of the Twenty server (e.g. \
                 https://api.twenty.com), not of a page of the web app",
                with_text("Twenty has no such endpoint (404)".into(), shown)
            ),
        ),
        408 => error(
            ErrorKind::Timeout,
            with_text("Twenty timed out the request (408)".into(), shown),
        )
        .with_server_message(None),
        429 => {
            let retry_after = retry_after.or(server.retry_after_seconds.map(Duration::from_secs));
            let wait = match retry_after {
                Some(wait) => format!("; it asks to wait {} s", wait.as_secs_f64().ceil()),
                None => String::new(),
            };
            error(
                ErrorKind::RateLimited,
                format!(
                    "{}{wait}",
                    with_text("Twenty is rate limiting this API key (429)".into(), shown)
                ),
            )
            .with_retry_after(retry_after)
        }
        400 | 409
            if server.code.as_deref() == Some("DUPLICATE_ENTRY_DETECTED")
                || mentions_duplicate(shown) =>
        {
            error(
                ErrorKind::Duplicate,
                with_text(
                    format!("Twenty already has a record with this unique value ({status})"),
                    shown,
                ),
            )
        }
        400 if is_record_not_found(&server) => error(
            ErrorKind::NotFound,
            with_text("Twenty has no such record (400)".into(), shown),
        ),
        400..=499 => error(
            ErrorKind::Validation,
            with_text(format!("Twenty rejected the request ({status})"), shown),
        ),
        500..=599 => error(
            ErrorKind::Server,
            with_text(
                format!("Twenty answered with a server error ({status})"),
                shown,
            ),
        )
        .with_retry_after(retry_after),
        _ => error(
            ErrorKind::UnexpectedResponse,
            with_text(
                format!("Twenty answered with an unexpected status ({status})"),
                shown,
            ),
        )
        .with_server_message(None),
    }
}

/// Turns a transport failure into a typed error. reqwest's texts can include the URL (which can
/// include the key if someone put it there): the URL is dropped and the text scrubbed.
pub(crate) fn classify_transport(
    error: reqwest::Error,
    timeout: Duration,
    redactor: &Redactor,
) -> TwentyError {
    let is_timeout = error.is_timeout();
    let is_builder = error.is_builder();
    let chain = redactor.scrub(&error_chain(&error.without_url()));
    if is_timeout {
        TwentyError::new(
            ErrorKind::Timeout,
            None,
            format!(
                "Twenty did not answer within {} s ({chain}); the server may be overloaded or \
                 unreachable",
                timeout.as_secs_f64()
            ),
        )
    } else if is_builder {
        TwentyError::invalid(format!("cannot build the request to Twenty: {chain}"))
    } else {
        TwentyError::new(
            ErrorKind::Network,
            None,
            format!(
                "cannot reach Twenty: {}; check the server address and the network connection",
                transport_reason(&chain)
            ),
        )
    }
}

/// Why a request did not reach Twenty, in words a person knows (not the HTTP stack's chain of
/// `error sending request: client error (Connect): tcp connect error: …`).
pub(crate) fn transport_reason(chain: &str) -> String {
    let lower = chain.to_lowercase();
    let said = [
        (
            "connection refused",
            "the server refused the connection (nothing answers at that address and port)",
        ),
        ("dns error", "the server's name could not be found"),
        (
            "failed to lookup address",
            "the server's name could not be found",
        ),
        (
            "name or service not known",
            "the server's name could not be found",
        ),
        ("certificate", "the server's certificate is not trusted"),
        ("connection reset", "the connection was cut off"),
        (
            "network is unreachable",
            "the network cannot reach the server",
        ),
        ("no route to host", "the network cannot reach the server"),
        ("tls", "the secure connection could not be set up"),
    ];
    if let Some((_, words)) = said.iter().find(|(marker, _)| lower.contains(marker)) {
        return (*words).to_string();
    }
    // Otherwise the root cause alone, without the layers above it or the OS error number.
    let root = chain.rsplit(": ").next().unwrap_or(chain);
    let root = root.split(" (os error").next().unwrap_or(root).trim();
    if root.is_empty() {
        "the connection failed".to_string()
    } else {
        root.to_string()
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
