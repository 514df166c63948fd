//! Shared application state and the request pipeline: logging, body parsing, faults, auth,
//! quota and rate limit, routing to record / metadata / control handlers, drop-after-commit,
//! 500-after-commit, Express' ETag / 304 and common headers.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::auth::{auth_error_response, authenticate, graphql_error};
use crate::config::FakeConfig;
use crate::errors::{
    data_validation_error, json_parse_error, json_response, payload_too_large, server_error,
    ApiError,
};
use crate::faults::Faults;
use crate::log::{RecordedHeaders, RecordedRequest};
use crate::ratelimit::{quota_exhausted, throttled};
use crate::server::ConnHandle;
use crate::store::World;
use crate::util::parse_query;
use crate::{control, metadata, records};

/// State shared by every request of one fake server.
pub(crate) struct App {
    pub world: Mutex<World>,
    pub log: Mutex<Vec<RecordedRequest>>,
    pub faults: Faults,
    pub config: FakeConfig,
    /// Key handed out at start (restored by reset).
    pub initial_key: String,
}

impl App {
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn log(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log_update(&self, idx: usize, status: u16, fault: Option<&str>) {
        if let Some(r) = self.log().get_mut(idx) {
            r.status = status;
            if let Some(f) = fault {
                r.fault = Some(f.to_string());
            }
        }
    }
}

/// What the pipeline decided.
enum Outcome {
    Respond(Response),
    /// Close the connection without answering; `status` is what was committed (0 = nothing).
    Drop {
        status: u16,
        fault: &'static str,
    },
}

/// Routes the fake knows.
enum Route<'a> {
    Health,
    OpenApi,
    Rest(Vec<&'a str>),
    RestMetadata(Vec<&'a str>),
    GraphqlMetadata,
    Unknown,
}

fn classify(path: &str) -> Route<'_> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["healthz"] => Route::Health,
        ["rest", "open-api", ..] | ["open-api", ..] => Route::OpenApi,
        ["rest", "metadata", rest @ ..] => Route::RestMetadata(rest.to_vec()),
        ["rest", rest @ ..] => Route::Rest(rest.to_vec()),
        ["metadata"] => Route::GraphqlMetadata,
        _ => Route::Unknown,
    }
}

fn header_str(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn with_common_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert("x-powered-by", HeaderValue::from_static("Express"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
    resp
}

/// Express answers a GET/HEAD whose `If-None-Match` names the response's `ETag` with 304 and
/// no body.
fn not_modified(method: &Method, headers: &HeaderMap, resp: Response) -> Response {
    let fresh = matches!(*method, Method::GET | Method::HEAD)
        && resp.status().is_success()
        && match (
            headers.get(header::IF_NONE_MATCH),
            resp.headers().get(header::ETAG),
        ) {
            (Some(inm), Some(etag)) => inm.to_str().is_ok_and(|inm| {
                let etag = etag.to_str().unwrap_or_default();
                let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
                inm.trim() == "*" || inm.split(',').any(|t| bare(t) == bare(etag))
            }),
            _ => false,
        };
    if !fresh {
        return resp;
    }
    let mut out = Response::new(Body::empty());
    *out.status_mut() = StatusCode::NOT_MODIFIED;
    if let Some(etag) = resp.headers().get(header::ETAG) {
        out.headers_mut().insert(header::ETAG, etag.clone());
    }
    out
}

fn not_found(method: &Method, path: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"statusCode": 404, "message": format!("Cannot {method} {path}"), "error": "Not Found"}),
    )
}

/// Express' `json()` body parser: JSON only for JSON content types, `{}` otherwise.
fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    let is_json = header_str(headers, "content-type")
        .map(|c| c.to_ascii_lowercase().contains("json"))
        .unwrap_or(false);
    if !is_json || bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Ok(v),
        Ok(_) => {
            // body-parser's strict mode only takes objects and arrays.
            let text = String::from_utf8_lossy(bytes);
            let first = text.trim_start().chars().next().unwrap_or(' ');
            Err(ApiError::raw(
                400,
                json!({"statusCode": 400, "message": format!("Unexpected token '{first}', \"{}\" is not valid JSON", text.chars().take(30).collect::<String>()), "error": "Bad Request"}),
            ))
        }
        Err(e) => Err(json_parse_error(bytes, &e)),
    }
}

/// The axum fallback handler for every request.
pub(crate) async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    if path == "/__fake" || path.starts_with("/__fake/") {
        let bytes = to_bytes(body, app.config.body_limit)
            .await
            .unwrap_or_default();
        return with_common_headers(control::handle(&app, &parts.method, &path, &bytes).await);
    }
    let too_big = header_str(&parts.headers, "content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > app.config.body_limit);
    let bytes = if too_big {
        None
    } else {
        to_bytes(body, app.config.body_limit).await.ok()
    };
    let idx = {
        let mut log = app.log();
        log.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: raw_query.clone(),
            headers: RecordedHeaders {
                authorization: parts.headers.contains_key(header::AUTHORIZATION),
                idempotency_key: header_str(&parts.headers, "idempotency-key"),
                content_type: header_str(&parts.headers, "content-type"),
                user_agent: header_str(&parts.headers, "user-agent"),
            },
            body: bytes.as_ref().and_then(|b| serde_json::from_slice(b).ok()),
            status: 0,
            fault: None,
            at_ms: crate::util::now_millis(),
        });
        log.len() - 1
    };
    let Some(bytes) = bytes else {
        app.log_update(idx, 413, None);
        return with_common_headers(payload_too_large().into_response());
    };
    let conn = parts.extensions.get::<ConnHandle>().cloned();
    match process(
        &app,
        &parts.method,
        &parts.headers,
        &path,
        raw_query.as_deref(),
        &bytes,
        idx,
    )
    .await
    {
        Outcome::Respond(resp) => {
            app.log_update(idx, resp.status().as_u16(), None);
            with_common_headers(resp)
        }
        Outcome::Drop { status, fault } => {
            app.log_update(idx, status, Some(fault));
            if let Some(c) = conn {
                c.kill();
            }
            std::future::pending::<()>().await;
            Response::new(Body::empty())
        }
    }
}

async fn process(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    raw_query: Option<&str>,
    bytes: &[u8],
    idx: usize,
) -> Outcome {
    let route = classify(path);
    if *method == Method::OPTIONS {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE"),
        );
        if let Some(req_h) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, req_h.clone());
        }
        return Outcome::Respond(resp);
    }
    let slow = app.faults.lock().slow;
    if !slow.is_zero() {
        tokio::time::sleep(slow).await;
    }
    match route {
        Route::Unknown => return Outcome::Respond(not_found(method, path)),
        Route::Health => {
            let faulted = {
                let f = app.faults.lock();
                f.unhealthy || !f.fail_queue.is_empty()
            };
            let (status, body) = if faulted {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"status": "error", "info": {}, "error": {"database": {"status": "down"}}, "details": {"database": {"status": "down"}}}),
                )
            } else {
                (
                    StatusCode::OK,
                    json!({"status": "ok", "info": {}, "error": {}, "details": {}}),
                )
            };
            let mut resp = json_response(status, &body);
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache, no-store, must-revalidate"),
            );
            return Outcome::Respond(resp);
        }
        _ => {}
    }
    // Injected infrastructure failures come before the application sees the request.
    let (fail, hang) = {
        let mut f = app.faults.lock();
        if !f.fail_queue.is_empty() {
            (Some(f.fail_queue.remove(0)), None)
        } else if f.timeout_next > 0 {
            f.timeout_next -= 1;
            (None, Some(f.hang))
        } else {
            (None, None)
        }
    };
    if let Some(status) = fail {
        app.log_update(idx, status, Some("fail"));
        return Outcome::Respond(server_error(status));
    }
    if let Some(hang) = hang {
        app.log_update(idx, 0, Some("timeout"));
        tokio::time::sleep(hang).await;
        return Outcome::Drop {
            status: 0,
            fault: "timeout",
        };
    }
    // Express parses the body before any guard runs.
    let body = match parse_body(headers, bytes) {
        Ok(b) => b,
        Err(e) => return Outcome::Respond(e.into_response()),
    };
    let is_graphql = matches!(route, Route::GraphqlMetadata);
    if let Route::OpenApi = route {
        return Outcome::Respond(json_response(
            StatusCode::OK,
            &json!({"openapi": "3.0.3", "info": {"title": "Twenty Api", "version": "v0.1"}, "servers": [{"url": "/rest/"}], "paths": {}}),
        ));
    }
    {
        let world = app.world();
        if let Err(e) = authenticate(headers, &world) {
            return Outcome::Respond(if is_graphql {
                let code = if e.status == StatusCode::FORBIDDEN {
                    "FORBIDDEN"
                } else {
                    "UNAUTHENTICATED"
                };
                json_response(StatusCode::OK, &graphql_error(&e.message(), code))
            } else {
                auth_error_response(e)
            });
        }
    }
    let limited = {
        let profile = app.world().profile;
        let mut f = app.faults.lock();
        if f.quota_exhausted {
            Some((quota_exhausted("api-key"), "quota_exhausted"))
        } else {
            match f.bucket.as_mut().map(|b| (b.config, b.try_take())) {
                Some((cfg, Err(wait))) => {
                    Some((throttled(&cfg, profile, wait, "api-key"), "rate_limited"))
                }
                _ => None,
            }
        }
    };
    if let Some((err, fault)) = limited {
        app.log_update(idx, err.status.as_u16(), Some(fault));
        return Outcome::Respond(err.into_response());
    }
    let is_mutation_query = body["query"].as_str().unwrap_or("").contains("mutation");
    let is_write = matches!(
        *method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    ) && (!is_graphql || is_mutation_query);
    let q = parse_query(raw_query);
    let result: Result<(u16, Value), ApiError> = {
        let mut world = app.world();
        match &route {
            Route::Rest(segs) => records::handle(&mut world, method, path, segs, &q, &body),
            Route::RestMetadata(segs) => {
                metadata::handle_rest(&mut world, method, path, raw_query, segs, &body)
            }
            Route::GraphqlMetadata if *method == Method::POST => {
                Ok(metadata::handle_graphql(&mut world, &body))
            }
            _ => return Outcome::Respond(not_found(method, path)),
        }
    };
    let resp = match result {
        Ok((status, v)) => {
            json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), &v)
        }
        Err(e) => e.into_response(),
    };
    if is_write {
        let mut f = app.faults.lock();
        if f.drop_after_commit_next > 0 {
            f.drop_after_commit_next -= 1;
            return Outcome::Drop {
                status: resp.status().as_u16(),
                fault: "drop_after_commit",
            };
        }
        if f.error_after_commit_next > 0 {
            f.error_after_commit_next -= 1;
            app.log_update(idx, 500, Some("error_after_commit"));
            return Outcome::Respond(data_validation_error().into_response());
        }
    }
    Outcome::Respond(not_modified(method, headers, resp))
}
