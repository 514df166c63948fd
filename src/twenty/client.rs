//! [`TwentyClient`]: the HTTP transport (reqwest + rustls, bearer auth, per-request timeout,
//! retries behind the shared [`RequestBudget`]) and the record calls: health, lookup by
//! external id, batch create, update. Metadata and the connection test live in sibling modules.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::Method;
use serde_json::Value;

use super::budget::RequestBudget;
use super::error::{classify_status, classify_transport, ErrorKind, Redactor, TwentyError};
pub use super::retry::RetryPolicy;
use super::retry::{self, parse_retry_after};
use super::target::TwentyTarget;
use super::wire;
use super::RemoteRecord;
use crate::clock::{Clock, SystemClock};
use crate::config::Secret;
use crate::domain::EntityKind;
use crate::logging::redact;

/// Ids per `externalId[in]` lookup request, at most (Twenty's documented page size).
pub const MAX_LOOKUP_IDS: usize = 60;
/// Pages followed for one lookup query before giving up on the rest.
const MAX_LOOKUP_PAGES: usize = 50;
/// Page size of the one-id `like` lookups (their pattern can match other ids too).
const LIKE_LOOKUP_LIMIT: usize = 60;

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

    /// Finds a record with this `externalId` among the soft-deleted ones (Twenty's trash), where
    /// it still holds its unique values.
    pub async fn find_in_trash(
        &self,
        kind: EntityKind,
        external_id: &str,
    ) -> Result<Option<RemoteRecord>, TwentyError> {
        if external_id.is_empty() {
            return Ok(None);
        }
        let filter = format!(
            "and({},deletedAt[is]:NOT_NULL)",
            wire::single_external_id_filter(external_id)
        );
        let mut found = Vec::new();
        let wanted = [external_id];
        self.lookup_pages(kind, &filter, 1, &wanted, &mut found)
            .await?;
        Ok(found.into_iter().next())
    }

    /// Finds the records whose `externalId` is one of `external_ids` (callers pass ≤ 60; more
    /// are split into several requests). Only records whose `externalId` exactly equals an id
    /// that was asked for are returned, in the order of `external_ids`.
    ///
    /// Ids are sent as `filter=externalId[in]:["a","b"]&limit=<n>&depth=0`. Twenty's filter
    /// parser has no escaping and gives `( ) , " ' [ ]` a meaning even inside quotes (it counts
    /// parentheses over the raw string and splits `in` lists on every comma), so ids holding
    /// any of them are looked up one at a time, see [`wire::single_external_id_filter`].
    /// Further pages (`pageInfo.hasNextPage`) are followed until every id of a request is found.
    pub async fn find_by_external_ids(
        &self,
        kind: EntityKind,
        external_ids: &[String],
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        let mut order: HashMap<&str, usize> = HashMap::new();
        let mut wanted: Vec<&str> = Vec::new();
        for id in external_ids.iter().map(String::as_str) {
            if !id.is_empty() && !order.contains_key(id) {
                order.insert(id, wanted.len());
                wanted.push(id);
            }
        }
        let (listable, single): (Vec<&str>, Vec<&str>) =
            wanted.iter().partition(|id| wire::fits_in_list(id));

        let mut found: Vec<RemoteRecord> = Vec::new();
        for chunk in listable.chunks(MAX_LOOKUP_IDS) {
            let filter = wire::external_id_in_filter(chunk);
            self.lookup_pages(kind, &filter, chunk.len(), chunk, &mut found)
                .await?;
        }
        for id in single {
            let filter = wire::single_external_id_filter(id);
            self.lookup_pages(kind, &filter, LIKE_LOOKUP_LIMIT, &[id], &mut found)
                .await?;
        }

        let mut seen = HashSet::new();
        found.retain(|record| seen.insert(record.id.clone()));
        found.sort_by_key(|record| {
            record
                .external_id
                .as_deref()
                .and_then(|id| order.get(id).copied())
                .unwrap_or(usize::MAX)
        });
        Ok(found)
    }

    /// Runs one lookup query, following pages until all of `asked` are found or none are left.
    async fn lookup_pages(
        &self,
        kind: EntityKind,
        filter: &str,
        limit: usize,
        asked: &[&str],
        found: &mut Vec<RemoteRecord>,
    ) -> Result<(), TwentyError> {
        let asked_set: HashSet<&str> = asked.iter().copied().collect();
        let mut matched: HashSet<String> = HashSet::new();
        let mut cursor: Option<String> = None;
        let limit = limit.max(1).to_string();
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut pairs = vec![
                ("filter", filter),
                ("limit", limit.as_str()),
                ("depth", "0"),
            ];
            if let Some(cursor) = cursor.as_deref() {
                pairs.push(("starting_after", cursor));
            }
            let path = format!(
                "/rest/{}?{}",
                wire::plural(kind),
                wire::query_string(&pairs)
            );
            let (status, body) = self
                .execute(Call::get(path, self.retry))
                .await
                .map_err(|e| missing_field_hint(kind, e))?;
            let page = wire::parse_list(kind, &body).ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    &format!("the list has no data.{}", wire::plural(kind)),
                    &self.redactor,
                )
            })?;
            for raw in page.records {
                let record = RemoteRecord::from_value(raw).ok_or_else(|| {
                    TwentyError::unexpected(status, "a listed record has no id", &self.redactor)
                })?;
                match record.external_id.as_deref() {
                    Some(id) if asked_set.contains(id) => {
                        matched.insert(id.to_string());
                        found.push(record);
                    }
                    // Never trust the filter alone: a record that was not asked for is dropped.
                    _ => tracing::debug!(
                        twenty_id = record.id.as_str(),
                        "ignoring a looked-up record whose externalId was not asked for"
                    ),
                }
            }
            if matched.len() >= asked_set.len() {
                return Ok(());
            }
            match page.next_cursor {
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                _ => return Ok(()),
            }
        }
        tracing::warn!(
            object = wire::plural(kind),
            pages = MAX_LOOKUP_PAGES,
            "stopped following pages of an externalId lookup"
        );
        Ok(())
    }

    /// `POST /rest/batch/{plural}` (with `?upsert=true` when `upsert`): creates the records in
    /// one all-or-nothing request and returns them in input order. Callers keep batches at ≤ 60
    /// records and without repeated external ids. The Aug-2025 build ignores `upsert`.
    pub async fn create_batch(
        &self,
        kind: EntityKind,
        records: &[Value],
        idempotency_key: &str,
        upsert: bool,
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut path = format!("/rest/batch/{}", wire::plural(kind));
        if upsert {
            path.push_str("?upsert=true");
        }
        let body = Value::Array(records.to_vec());
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::POST, path, &body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        let created = wire::parse_batch(kind, &response).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                &format!(
                    "the answer has neither data.{} nor data.{}",
                    wire::batch_create_key(kind),
                    wire::plural(kind)
                ),
                &self.redactor,
            )
        })?;
        if created.len() != records.len() {
            return Err(TwentyError::unexpected(
                status,
                &format!(
                    "{} records came back for {} sent",
                    created.len(),
                    records.len()
                ),
                &self.redactor,
            ));
        }
        let created = created
            .into_iter()
            .map(RemoteRecord::from_value)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                TwentyError::unexpected(status, "a created record has no id", &self.redactor)
            })?;
        in_input_order(records, created).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                "the created records do not match the external ids sent",
                &self.redactor,
            )
        })
    }

    /// `PATCH /rest/{plural}/{id}` with `body`; returns the updated record.
    pub async fn update(
        &self,
        kind: EntityKind,
        twenty_id: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> Result<RemoteRecord, TwentyError> {
        let twenty_id = twenty_id.trim();
        if twenty_id.is_empty() {
            return Err(TwentyError::invalid(
                "cannot update a Twenty record without its id",
            ));
        }
        let path = format!(
            "/rest/{}/{}",
            wire::plural(kind),
            wire::encode_query_value(twenty_id)
        );
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::PATCH, path, body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        wire::parse_update(kind, &response)
            .and_then(RemoteRecord::from_value)
            .ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    &format!(
                        "the answer has no data.{} with an id",
                        wire::update_key(kind)
                    ),
                    &self.redactor,
                )
            })
    }
}

/// Puts the created records in the order of the records sent. Twenty answers in input order;
/// when every record sent and received carries an external id, that order is checked (and
/// restored if needed) by external id.
fn in_input_order(sent: &[Value], created: Vec<RemoteRecord>) -> Option<Vec<RemoteRecord>> {
    let sent_ids: Option<Vec<&str>> = sent.iter().map(wire::record_external_id).collect();
    let Some(sent_ids) = sent_ids else {
        return Some(created);
    };
    if created.iter().any(|r| r.external_id.is_none()) {
        return Some(created);
    }
    if sent_ids
        .iter()
        .zip(&created)
        .all(|(sent, got)| got.external_id.as_deref() == Some(*sent))
    {
        return Some(created);
    }
    let mut by_id: HashMap<String, VecDeque<RemoteRecord>> = HashMap::new();
    for record in created {
        let key = record.external_id.clone().unwrap_or_default();
        by_id.entry(key).or_default().push_back(record);
    }
    sent_ids
        .iter()
        .map(|id| by_id.get_mut(*id).and_then(VecDeque::pop_front))
        .collect()
}

/// A 400 naming the missing `externalId` field becomes an error that says how to fix it.
fn missing_field_hint(kind: EntityKind, error: TwentyError) -> TwentyError {
    let mentions_field = error.server_message().is_some_and(|text| {
        text.contains(wire::EXTERNAL_ID_FIELD) && text.contains("does not exist")
    });
    if error.kind() != ErrorKind::Validation || !mentions_field {
        return error;
    }
    error.with_message(format!(
        "Twenty has no externalId field on {}: let Twenty Sync create it (with an API key whose \
         role has the Data model permission) or add a unique Text field named externalId in \
         Settings → Data model",
        wire::plural(kind)
    ))
}

/// The path without its query (for logs: filters can be long).
fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}
