//! The endpoints of the local API: adapters of a few lines over `app::ops`. `POST /api/rpc` takes
//! any [`ops::Request`]; the REST routes parse one operation from their query string (GET) or
//! JSON body (POST/PUT). Every error is `{"error": …, "fields": {…}}` with a fitting status.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::Serialize;

use super::client::CALLER_HEADER;
use super::security::{self, TOKEN_COOKIE};
use super::{assets, sse, AppState};
use crate::app::inbox::{self, UploadError};
use crate::app::ops::{self, OpError, Operation};
use crate::app::Live;

/// An operation's error as an HTTP answer.
pub(crate) struct Refused(OpError);

impl From<OpError> for Refused {
    fn from(error: OpError) -> Refused {
        Refused(error)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, no_store(), Json(self.0.reply())).into_response()
    }
}

type Reply = Result<Response, Refused>;

fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

fn answer<T: Serialize>(value: &T) -> Response {
    (no_store(), Json(value)).into_response()
}

/// The query string's parameters, refused with a sentence when malformed.
fn query<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, OpError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(value)| value)
        .map_err(|e| OpError::bad_request(ops::plain_serde_message(&e.body_text())))
}

/// A GET route: the operation from the query string.
async fn from_query<O: Operation>(State(state): State<AppState>, uri: Uri) -> Reply {
    let op: O = query(&uri)?;
    Ok(answer(&op.run(&state.live).await?))
}

/// A POST/PUT route: the operation from the JSON body (an empty body is `{}`).
async fn from_body<O: Operation>(State(state): State<AppState>, body: Bytes) -> Reply {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &body
    };
    let op: O = serde_json::from_slice(body)
        .map_err(|e| OpError::bad_request(ops::plain_serde_message(&e)))?;
    Ok(answer(&op.run(&state.live).await?))
}

/// `POST /api/rpc`: any operation, `{"op": "…", …}`.
async fn rpc(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Reply {
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| OpError::bad_request(ops::plain_serde_message(&e)))?;
    let request = ops::Request::from_json(value)?;
    Ok(answer(&request.run(&caller_view(&state, &headers)).await?))
}

/// The agent as seen by the caller the request names in [`CALLER_HEADER`]: only the CLI names
/// itself; any other value is the UI, so the header cannot put arbitrary text in the log.
fn caller_view(state: &AppState, headers: &HeaderMap) -> Live {
    match headers.get(CALLER_HEADER).map(|value| value.as_bytes()) {
        Some(b"cli") => state.live.called_by("cli"),
        _ => state.live.clone(),
    }
}

pub(crate) fn router(state: AppState) -> Router {
    use ops::*;
    Router::new()
        .route("/api/rpc", post(rpc))
        .route("/api/status", get(from_query::<Status>))
        .route("/api/about", get(from_query::<About>))
        .route("/api/live", get(from_query::<LiveStatus>))
        .route("/api/chart", get(from_query::<Chart>))
        .route("/api/events", get(from_query::<Events>))
        .route("/api/events/stream", get(sse::stream))
        .route("/api/records", get(from_query::<Records>))
        .route("/api/records/failed", get(from_query::<FailedRecords>))
        .route("/api/records/retry", post(from_body::<RetryRecord>))
        .route("/api/records/retry-all", post(from_body::<RetryAll>))
        .route("/api/mappings", get(from_query::<Mappings>))
        .route("/api/imports", get(from_query::<Imports>))
        .route("/api/imports/report", get(import_report))
        .route(
            "/api/imports/upload",
            post(upload).layer(DefaultBodyLimit::max(
                usize::try_from(inbox::MAX_UPLOAD_BYTES).unwrap_or(usize::MAX) + 1,
            )),
        )
        .route(
            "/api/settings",
            get(from_query::<ShowSettings>).put(from_body::<SaveSettings>),
        )
        .route("/api/settings/drop-dir", get(from_query::<CheckDropDir>))
        .route(
            "/api/settings/test-connection",
            post(from_body::<TestConnection>),
        )
        .route("/api/settings/create-field", post(from_body::<CreateField>))
        .route(
            "/api/fields",
            get(from_query::<Fields>).post(from_body::<Fields>),
        )
        .route(
            "/api/field-mapping",
            get(from_query::<MappingShow>).put(from_body::<MappingSet>),
        )
        .route("/api/field-mapping/unset", post(from_body::<MappingUnset>))
        .route("/api/sync-now", post(from_body::<SyncNow>))
        .route("/api/pause", post(pause))
        .route("/api/resume", post(resume))
        .route("/api/{*rest}", get(unknown).post(unknown).put(unknown))
        .route("/", get(index))
        .fallback(assets::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

async fn unknown() -> Refused {
    Refused(OpError::NotFound(
        "no such endpoint; see the README for the list".into(),
    ))
}

/// The page; a valid `?token=` is kept in an HttpOnly, SameSite=Strict cookie for the page's
/// stream and downloads (the page keeps it in sessionStorage for its own calls).
async fn index(
    State(state): State<AppState>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let mut response = assets::index();
    if let Some(token) = query.get("token") {
        if security::same_token(token, &state.token) {
            if let Ok(cookie) = HeaderValue::from_str(&format!(
                "{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
            )) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
        }
    }
    response
}

async fn pause(State(state): State<AppState>) -> Reply {
    Ok(answer(
        &ops::SetPaused { paused: true }.run(&state.live).await?,
    ))
}

async fn resume(State(state): State<AppState>) -> Reply {
    Ok(answer(
        &ops::SetPaused { paused: false }.run(&state.live).await?,
    ))
}

/// The error report as a CSV download.
async fn import_report(State(state): State<AppState>, uri: Uri) -> Reply {
    let report = query::<ops::ImportReport>(&uri)?.run(&state.live).await?;
    let name = report.file_name.replace(['"', '\\'], "");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        report.text,
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
struct UploadParams {
    name: String,
}

/// A file streamed into the drop folder (the raw body), refused past the size limit.
async fn upload(State(state): State<AppState>, uri: Uri, body: Body) -> Reply {
    let params: UploadParams = query(&uri)?;
    let mut writer = ops::files::start_upload(&state.live, &params.name)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            writer.abort();
            if e.to_string().contains("length limit") {
                OpError::Upload(UploadError::TooLarge)
            } else {
                OpError::bad_request(format!("the upload was interrupted: {e}"))
            }
        })?;
        writer.write(&chunk).map_err(OpError::from)?;
    }
    Ok(answer(
        &ops::files::finish_upload(&state.live, writer).await?,
    ))
}
