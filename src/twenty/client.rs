//! [`TwentyClient`]: its configuration and the HTTP transport (reqwest + rustls, bearer auth,
//! per-request timeout, retries behind the shared [`RequestBudget`]), and the health check. The
//! record calls, metadata and the connection test live in sibling modules.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::Method;
use serde_json::Value;

use super::budget::RequestBudget;
use super::error::{classify_status, classify_transport, Redactor, TwentyError};
pub use super::retry::RetryPolicy;
use super::retry::{self, parse_retry_after};
use super::target::TwentyTarget;
use crate::clock::{Clock, SystemClock};
use crate::config::Secret;
use crate::logging::redact;

/// Where Twenty is and how to talk to it. [`ClientConfig::for_target`] is the way from the
/// settings; [`ClientConfig::new`] takes raw values (they are checked by [`TwentyClient::new`]
/// with the same rules as the settings).
#[derive(Clone)]
pub struct ClientConfig {
    /// The Twenty server's address, e.g. `https://api.twenty.com` (a path prefix is kept).
    pub base_url: String,
    pub api_key: Secret,
    /// Per request, body included. Default 10 s.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// The wall clock, read only to turn an HTTP-date `Retry-After` into a wait (waiting itself
    /// is on tokio time). Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl ClientConfig {
    /// The defaults: 10 s timeout, 3 retries from 1 s up to 30 s, the system clock.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            api_key: Secret::new(api_key),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The defaults, for the server and key the settings name.
    pub fn for_target(target: TwentyTarget) -> ClientConfig {
        let (base_url, api_key) = target.into_parts();
        ClientConfig {
            api_key,
            ..ClientConfig::new(base_url, String::new())
        }
    }

    /// With this wall clock (the store's, so that tests can control it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> ClientConfig {
        self.clock = clock;
        self
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &redact(&self.base_url, self.api_key.expose()))
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// A client of one Twenty workspace's REST API. Cheap to share behind an `Arc`; all requests
/// go through the shared [`RequestBudget`].
pub struct TwentyClient {
    pub(super) http: reqwest::Client,
    target: TwentyTarget,
    /// `Bearer <key>`, built once and marked sensitive (never shown by `Debug`).
    pub(super) authorization: HeaderValue,
    /// Scrubs the key from every text that leaves the client.
    pub(super) redactor: Redactor,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) budget: Arc<RequestBudget>,
    clock: Arc<dyn Clock>,
    /// Which metadata API answers on this server (learned, or told from an earlier run).
    pub(super) route: super::metadata::RouteMemory,
}

impl std::fmt::Debug for TwentyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwentyClient")
            .field("base_url", &self.redactor.scrub(self.base_url()))
            .field("api_key", &self.redactor.masked_key())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// One HTTP call as the transport sees it.
pub(super) struct Call<'a> {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub body: Option<&'a Value>,
    pub idempotency_key: Option<&'a str>,
    pub authenticated: bool,
    pub retry: RetryPolicy,
}

impl<'a> Call<'a> {
    pub fn get(path: String, retry: RetryPolicy) -> Call<'a> {
        Call {
            method: Method::GET,
            path,
            body: None,
            idempotency_key: None,
            authenticated: true,
            retry,
        }
    }

    pub fn with_body(method: Method, path: String, body: &'a Value, retry: RetryPolicy) -> Self {
        Call {
            method,
            path,
            body: Some(body),
            idempotency_key: None,
            authenticated: true,
            retry,
        }
    }
}

impl TwentyClient {
    /// Builds a client. Fails on an unusable base URL or API key (nothing is sent yet).
    pub fn new(
        config: ClientConfig,
        budget: Arc<RequestBudget>,
    ) -> Result<TwentyClient, TwentyError> {
        let target =
            TwentyTarget::from_parts(Some(&config.base_url), Some(config.api_key.expose()))
                .map_err(|error| {
                    TwentyError::invalid(redact(&error.to_string(), config.api_key.expose()))
                })?;
        let redactor = Redactor::new(target.api_key().clone());
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", target.api_key().expose())).map_err(
                |_| TwentyError::invalid("the Twenty API key cannot be sent in a header"),
            )?;
        authorization.set_sensitive(true);
        let timeout = if config.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            config.timeout
        };
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("twenty-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| classify_transport(e, timeout, &redactor))?;
        Ok(TwentyClient {
            http,
            target,
            authorization,
            redactor,
            timeout,
            retry: config.retry,
            budget,
            clock: config.clock,
            route: super::metadata::RouteMemory::default(),
        })
    }

    /// The normalised server address (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.target.url()
    }

    /// The server and key this client talks to.
    pub fn target(&self) -> &TwentyTarget {
        &self.target
    }

    /// The budget every request of this client takes permits from.
    pub fn budget(&self) -> &Arc<RequestBudget> {
        &self.budget
    }

    /// Runs a call with its retry policy; returns the status and the JSON body of the success
    /// (`Value::Null` for an empty body).
    pub(super) async fn execute(&self, call: Call<'_>) -> Result<(u16, Value), TwentyError> {
        let label = format!("{} {}", call.method, path_only(&call.path));
        let policy = call.retry;
        retry::run(&policy, &self.budget, &label, |_| self.attempt(&call)).await
    }

    /// One HTTP attempt (the permit is taken by the caller).
    async fn attempt(&self, call: &Call<'_>) -> Result<(u16, Value), TwentyError> {
        let url = format!("{}{}", self.base_url(), call.path);
        let mut request = self
            .http
            .request(call.method.clone(), &url)
            .header(ACCEPT, "application/json");
        if call.authenticated {
            request = request.header(AUTHORIZATION, self.authorization.clone());
        }
        if let Some(body) = call.body {
            request = request.json(body);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        tracing::debug!(method = %call.method, path = path_only(&call.path), "request to Twenty");
        let response = request
            .send()
            .await
            .map_err(|e| classify_transport(e, self.timeout, &self.redactor))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.wall_clock_now()));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| classify_transport(e, self.timeout, &self.redactor))?;
        if !(200..300).contains(&status) {
            return Err(classify_status(status, &bytes, retry_after, &self.redactor));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok((status, Value::Null));
        }
        serde_json::from_slice(&bytes)
            .map(|value| (status, value))
            .map_err(|_| TwentyError::unexpected(status, "the body is not JSON", &self.redactor))
    }

    /// Now, by the clock this client was given (for an HTTP-date `Retry-After`).
    fn wall_clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.clock.now_ms()).unwrap_or_default()
    }

    /// `GET /healthz` without credentials, one attempt: Ok when Twenty says `"status":"ok"`.
    pub async fn healthz(&self) -> Result<(), TwentyError> {
        let call = Call {
            authenticated: false,
            ..Call::get("/healthz".to_string(), RetryPolicy::none())
        };
        let (status, body) = self.execute(call).await?;
        match body.get("status").and_then(Value::as_str) {
            Some("ok") => Ok(()),
            _ => Err(TwentyError::unexpected(
                status,
                "/healthz did not answer {\"status\":\"ok\"}",
                &self.redactor,
            )),
        }
    }
}

/// The path without its query (for logs: filters can be long).
fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}
