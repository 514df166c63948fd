//! The endpoints of the local API, each a few lines over `app` and the agent handle. Reads of
//! the store run on the blocking pool; errors become `{ "error": … }` with a fitting status.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::security::{self, TOKEN_COOKIE};
use super::{assets, sse, AppState};
use crate::app::connection::{self, ConnectionError, ConnectionRequest};
use crate::app::inbox::{self, InboxWriter, UploadError};
use crate::app::queries::{self, EventCategory, EventQuery};
use crate::app::report;
use crate::config::{ConfigError, SettingsUpdate};
use crate::domain::{EntityKind, RecordKey};
use crate::store::StoreError;

/// Why one request failed; becomes the response status and `{ "error": message }`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The store failed; the message says what to do.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request itself is wrong: fix it.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Settings were refused; nothing changed. One message per field.
    #[error("some settings are invalid; nothing was changed")]
    Invalid(Vec<ConfigError>),
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// A blocking task died (a bug): try again.
    #[error("the request could not be completed ({0}); try again")]
    Internal(String),
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let status = match &self {
            RequestError::Store(_) | RequestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::Invalid(_) | RequestError::Connection(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            RequestError::Upload(UploadError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::Upload(UploadError::BadName { .. }) => StatusCode::BAD_REQUEST,
            RequestError::Upload(UploadError::Io { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut body = json!({ "error": self.to_string() });
        match &self {
            RequestError::Invalid(errors) => {
                body["fields"] = errors
                    .iter()
                    .map(|e| (e.setting.to_string(), Value::String(e.message.clone())))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            RequestError::Connection(ConnectionError::Invalid { setting, message }) => {
                body["fields"] = json!({ *setting: message });
            }
            _ => {}
        }
        (status, no_store(), Json(body)).into_response()
    }
}

type Reply<T = Json<Value>> = Result<T, RequestError>;

fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}

fn to_json<T: serde::Serialize>(value: &T) -> Reply {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| RequestError::Internal(e.to_string()))
}

/// Runs a store read on the blocking pool.
async fn blocking<T, F>(work: F) -> Result<T, RequestError>
where
    F: FnOnce() -> Result<T, RequestError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| RequestError::Internal(e.to_string()))?
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/live", get(live))
        .route("/api/chart", get(chart))
        .route("/api/events", get(events))
        .route("/api/events/stream", get(sse::stream))
        .route("/api/records", get(records))
        .route("/api/records/failed", get(failed))
        .route("/api/records/retry", post(retry))
        .route("/api/records/retry-all", post(retry_all))
        .route("/api/mappings", get(mappings))
        .route("/api/imports", get(imports))
        .route("/api/imports/report", get(import_report))
        .route(
            "/api/imports/upload",
            post(upload).layer(DefaultBodyLimit::max(
                usize::try_from(inbox::MAX_UPLOAD_BYTES).unwrap_or(usize::MAX) + 1,
            )),
        )
        .route("/api/settings", get(settings).put(save_settings))
        .route("/api/settings/drop-dir", get(check_drop_dir))
        .route("/api/settings/test-connection", post(test_connection))
        .route("/api/settings/create-field", post(create_field))
        .route("/api/sync-now", post(sync_now))
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

async fn unknown() -> RequestError {
    RequestError::NotFound("no such endpoint; see the README for the list".into())
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

async fn status(State(state): State<AppState>) -> Reply {
    let report = blocking(move || Ok(state.live.handle().status()?)).await?;
    to_json(&report)
}

async fn live(State(state): State<AppState>) -> Reply {
    let update = blocking(move || Ok(state.live.update()?)).await?;
    to_json(&update)
}

async fn chart(State(state): State<AppState>) -> Reply {
    let chart = blocking(move || Ok(state.live.chart()?)).await?;
    to_json(&chart)
}

#[derive(Debug, Deserialize)]
struct EventsParams {
    before: Option<u64>,
    limit: Option<usize>,
    /// Comma-separated categories (intents, pushes, failures, imports, config).
    category: Option<String>,
    record: Option<String>,
}

async fn events(State(state): State<AppState>, Query(params): Query<EventsParams>) -> Reply {
    let mut categories = Vec::new();
    for name in params
        .category
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
    {
        categories.push(EventCategory::parse(name).ok_or_else(|| {
            RequestError::BadRequest(format!(
                "unknown category '{name}'; use intents, pushes, failures, imports or config"
            ))
        })?);
    }
    let query = EventQuery {
        before: params.before,
        limit: params.limit.unwrap_or(50),
        categories,
        record: params.record,
    };
    let page =
        blocking(move || Ok(queries::events_page(state.live.handle().store(), &query)?)).await?;
    to_json(&page)
}

#[derive(Debug, Deserialize)]
struct RecordsParams {
    q: Option<String>,
    before: Option<u64>,
    limit: Option<usize>,
}

async fn records(State(state): State<AppState>, Query(params): Query<RecordsParams>) -> Reply {
    let page = blocking(move || {
        let handle = state.live.handle();
        let base_url = handle.settings().base_url;
        Ok(queries::search_records(
            handle.store(),
            params.q.as_deref().unwrap_or_default(),
            params.before,
            params.limit.unwrap_or(50),
            base_url.as_deref(),
        )?)
    })
    .await?;
    to_json(&page)
}

#[derive(Debug, Deserialize)]
struct LimitParams {
    limit: Option<usize>,
}

async fn failed(State(state): State<AppState>, Query(params): Query<LimitParams>) -> Reply {
    let rows = blocking(move || {
        let handle = state.live.handle();
        let base_url = handle.settings().base_url;
        Ok(queries::failed_records(
            handle.store(),
            params.limit.unwrap_or(200).min(1_000),
            base_url.as_deref(),
        )?)
    })
    .await?;
    to_json(&json!({ "rows": rows }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryBody {
    kind: String,
    external_id: String,
}

async fn retry(State(state): State<AppState>, Json(body): Json<RetryBody>) -> Reply {
    let kind = EntityKind::parse(&body.kind).ok_or_else(|| {
        RequestError::BadRequest(format!(
            "unknown kind '{}'; use company or person",
            body.kind
        ))
    })?;
    let key = RecordKey::new(kind, body.external_id);
    let queued = blocking(move || Ok(state.live.handle().retry_failed(key)?)).await?;
    if !queued {
        return Err(RequestError::NotFound(
            "that record is not parked as failed (it may have been retried already)".into(),
        ));
    }
    Ok(Json(json!({ "queued": 1 })))
}

async fn retry_all(State(state): State<AppState>) -> Reply {
    let count = blocking(move || Ok(state.live.handle().retry_all_failed()?)).await?;
    Ok(Json(json!({ "queued": count })))
}

async fn mappings(State(state): State<AppState>) -> Reply {
    let rows = blocking(move || Ok(report::mapping_rows(state.live.handle().store())?)).await?;
    to_json(&rows)
}

async fn imports(State(state): State<AppState>, Query(params): Query<LimitParams>) -> Reply {
    let drop_dir = inbox::drop_dir(&state.live.handle().settings(), &state.data_dir);
    let dir = drop_dir.clone();
    let rows = blocking(move || {
        Ok(queries::imports_history(
            state.live.handle().store(),
            &dir,
            params.limit.unwrap_or(50),
        )?)
    })
    .await?;
    to_json(&json!({ "rows": rows, "drop_dir": drop_dir.display().to_string() }))
}

#[derive(Debug, Deserialize)]
struct ReportParams {
    path: String,
}

async fn import_report(
    State(state): State<AppState>,
    Query(params): Query<ReportParams>,
) -> Result<Response, RequestError> {
    let drop_dir = inbox::drop_dir(&state.live.handle().settings(), &state.data_dir);
    let name = queries::report_path(&drop_dir, &params.path)
        .and_then(|path| {
            path.file_name()
                .map(|n| n.to_string_lossy().replace('"', ""))
        })
        .ok_or_else(|| RequestError::NotFound("no such error report".into()))?;
    // Only a report the agent wrote, never through a link: anything else is "not found".
    let store = state.live.handle().store().clone();
    let bytes = blocking(move || Ok(queries::read_report(&store, &drop_dir, &params.path)))
        .await?
        .ok_or_else(|| RequestError::NotFound("no such error report".into()))?;
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
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct UploadParams {
    name: String,
}

async fn upload(
    State(state): State<AppState>,
    Query(params): Query<UploadParams>,
    body: Body,
) -> Reply {
    let drop_dir = inbox::drop_dir(&state.live.handle().settings(), &state.data_dir);
    let mut writer = InboxWriter::create(&drop_dir, &params.name)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            writer.abort();
            if e.to_string().contains("length limit") {
                RequestError::Upload(UploadError::TooLarge)
            } else {
                RequestError::BadRequest(format!("the upload was interrupted: {e}"))
            }
        })?;
        writer.write(&chunk)?;
    }
    let path = blocking(move || Ok(writer.finish()?)).await?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    tracing::info!(file = %file_name, "a file was added to the drop folder from the UI");
    Ok(Json(json!({
        "file_name": file_name,
        "drop_dir": drop_dir.display().to_string(),
    })))
}

fn settings_json(state: &AppState) -> Value {
    let handle = state.live.handle();
    json!({
        "settings": handle.settings_view(),
        "drop_dir": inbox::drop_dir(&handle.settings(), &state.data_dir).display().to_string(),
        "data_dir": state.data_dir.display().to_string(),
    })
}

async fn settings(State(state): State<AppState>) -> Reply {
    Ok(Json(settings_json(&state)))
}

async fn save_settings(State(state): State<AppState>, Json(update): Json<SettingsUpdate>) -> Reply {
    let state2 = state.clone();
    blocking(move || {
        state2
            .live
            .handle()
            .update_settings(&update, "ui")
            .map(|_| ())
            .map_err(RequestError::Invalid)
    })
    .await?;
    Ok(Json(settings_json(&state)))
}

#[derive(Debug, Deserialize)]
struct DropDirParams {
    #[serde(default)]
    path: String,
}

/// What choosing a folder as the drop folder would do (refused, or how many files are imported
/// and left alone), before it is saved.
async fn check_drop_dir(
    State(state): State<AppState>,
    Query(params): Query<DropDirParams>,
) -> Reply {
    let data_dir = state.data_dir.clone();
    let check = blocking(move || Ok(inbox::check_drop_dir(&params.path, &data_dir))).await?;
    to_json(&check)
}

async fn test_connection(
    State(state): State<AppState>,
    body: Option<Json<ConnectionRequest>>,
) -> Reply {
    let request = body.map(|Json(b)| b).unwrap_or_default();
    let handle = state.live.handle();
    let view = connection::test_connection(&handle.settings(), &request, handle.budget()).await?;
    to_json(&view)
}

async fn create_field(
    State(state): State<AppState>,
    body: Option<Json<ConnectionRequest>>,
) -> Reply {
    let request = body.map(|Json(b)| b).unwrap_or_default();
    let handle = state.live.handle();
    let view =
        connection::create_external_id_field(&handle.settings(), &request, handle.budget()).await?;
    to_json(&view)
}

async fn sync_now(State(state): State<AppState>) -> Reply {
    state.live.handle().sync_now();
    Ok(Json(json!({ "ok": true })))
}

async fn pause(State(state): State<AppState>) -> Reply {
    state.live.handle().set_paused(true);
    Ok(Json(json!({ "enabled": false })))
}

async fn resume(State(state): State<AppState>) -> Reply {
    state.live.handle().set_paused(false);
    Ok(Json(json!({ "enabled": true })))
}
