//! The relay's HTTP endpoint (`twenty-sync run --relay`): other agents POST their intents to
//! `/api/v1/intents` with the bearer `relay_token`; each is validated exactly like `push`,
//! recorded with source `Relay { origin }` and its original intent id, once.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

use super::wire::{
    Acceptance, IntentResult, IntentsRequest, IntentsResponse, WireFieldError, HEALTH_PATH,
    INTENTS_PATH, MAX_BODY_BYTES, MAX_INTENTS_PER_REQUEST,
};
use crate::config::Settings;
use crate::domain::fields::{read_field_inputs, DataModel, DateOrder, DecimalSeparator, ReadHints};
use crate::domain::{EntityKind, Event, IntentDraft, IntentSource};
use crate::store::{Store, StoreError};

/// Why the relay could not start or serve a request.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The address is taken or not allowed: choose another `relay_port` or `--relay-bind`.
    #[error("the relay cannot listen on {addr}: {detail}; choose another relay_port or --relay-bind address")]
    Bind { addr: SocketAddr, detail: String },
    /// Without a token any process could write into the log.
    #[error("the relay needs a relay_token (at least 16 characters): set TWENTY_SYNC_RELAY_TOKEN or `twenty-sync config set relay_token …`, and give the same token to the agents as platform_token")]
    NoToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
struct RelayState {
    store: Store,
    settings: watch::Receiver<Settings>,
    /// One request at a time checks the relay index and appends: no id is recorded twice.
    recording: Arc<Mutex<()>>,
}

/// A bound relay endpoint, ready to serve.
pub struct RelayServer {
    listener: tokio::net::TcpListener,
    state: RelayState,
}

impl RelayServer {
    /// Binds `addr`. The token is read from the settings on every request, so a new
    /// `relay_token` applies at once; there must be one at start.
    pub async fn bind(
        addr: SocketAddr,
        store: Store,
        settings: watch::Receiver<Settings>,
    ) -> Result<RelayServer, RelayError> {
        if settings.borrow().relay_token.is_none() {
            return Err(RelayError::NoToken);
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| RelayError::Bind {
                addr,
                detail: e.to_string(),
            })?;
        Ok(RelayServer {
            listener,
            state: RelayState {
                store,
                settings,
                recording: Arc::new(Mutex::new(())),
            },
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let app = Router::new()
            .route(INTENTS_PATH, post(receive))
            .route(HEALTH_PATH, get(|| async { Json(json!({ "ok": true })) }))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self.state);
        if let Err(error) = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("the relay stopped: {error}");
        }
    }
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Constant-time comparison of the presented token with the relay token (through BLAKE3, whose
/// hash equality is constant-time, so neither the content nor the length leaks by timing).
fn authorized(headers: &HeaderMap, settings: &Settings) -> bool {
    let Some(expected) = &settings.relay_token else {
        return false;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    blake3::hash(presented.as_bytes()) == blake3::hash(expected.expose().as_bytes())
}

async fn receive(State(state): State<RelayState>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&headers, &state.settings.borrow()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <relay token> (the agent's platform_token must equal the relay's relay_token)",
        );
    }
    let request: IntentsRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not an intents request ({e})"),
            )
        }
    };
    if request.intents.len() > MAX_INTENTS_PER_REQUEST {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_INTENTS_PER_REQUEST} intents per request; send smaller batches"),
        );
    }
    let recorded = tokio::task::spawn_blocking(move || record(&state, request)).await;
    match recorded {
        Ok(Ok(response)) => (StatusCode::OK, Json(response)).into_response(),
        Ok(Err(error)) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("nothing was recorded: {error}; send again later"),
        ),
        Err(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "nothing was recorded (internal error); send again later",
        ),
    }
}

fn origin_of(request: &IntentsRequest) -> String {
    let origin: String = request
        .origin
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if origin.trim().is_empty() {
        "unknown agent".into()
    } else {
        origin.trim().to_string()
    }
}

/// Values from other agents are machine-written: `.` is the decimal mark, dates are ISO.
const MACHINE_HINTS: ReadHints = ReadHints {
    decimal: DecimalSeparator::Dot,
    dates: DateOrder::Auto,
};

/// The data model the relay reads values against: the one last read from its own Twenty server,
/// else Twenty's standard fields (as `app::fields::fields_in_force`, which the relay may not use).
fn model_in_force(store: &Store, settings: &Settings) -> DataModel {
    settings
        .server_key()
        .and_then(|server| store.data_model(&server).ok().flatten())
        .unwrap_or_else(DataModel::standard)
}

/// Validates, deduplicates and records the intents of one request in one durable append.
fn record(state: &RelayState, request: IntentsRequest) -> Result<IntentsResponse, StoreError> {
    let _one_at_a_time = state.recording.lock().unwrap_or_else(|p| p.into_inner());
    let origin = origin_of(&request);
    let now = state.store.clock().now_ms();
    let mut seen = std::collections::HashSet::new();
    let settings = state.settings.borrow().clone();
    let mut model: Option<DataModel> = None;
    let mut results = Vec::with_capacity(request.intents.len());
    let mut accepted = Vec::new();
    for wire in request.intents {
        let result = |status, errors| IntentResult {
            id: wire.id,
            status,
            errors,
        };
        if !seen.insert(wire.id) || state.store.relayed_seq(&wire.id)?.is_some() {
            results.push(result(Acceptance::AlreadyAccepted, Vec::new()));
            continue;
        }
        let Some(kind) = EntityKind::parse(&wire.kind) else {
            results.push(result(
                Acceptance::Rejected,
                vec![WireFieldError {
                    field: "kind".into(),
                    message: format!("'{}' is not company or person", wire.kind),
                }],
            ));
            continue;
        };
        let mut draft = IntentDraft {
            external_id: wire.external_id.clone(),
            fields: wire.fields.fixed.clone(),
            ..Default::default()
        };
        if !wire.fields.values.is_empty() {
            let model = model.get_or_insert_with(|| model_in_force(&state.store, &settings));
            match read_field_inputs(
                model.object(kind),
                wire.fields.values.iter().map(|(k, v)| (k.as_str(), v)),
                MACHINE_HINTS,
                &mut draft.fields,
            ) {
                Ok(values) => draft.values = values,
                Err(errors) => {
                    results.push(result(
                        Acceptance::Rejected,
                        errors
                            .into_iter()
                            .map(|e| WireFieldError {
                                field: e.key,
                                message: e.message,
                            })
                            .collect(),
                    ));
                    continue;
                }
            }
        }
        let source = IntentSource::Relay {
            origin: origin.clone(),
        };
        match draft.into_intent(kind, wire.id, source, wire.requested_at_ms.unwrap_or(now)) {
            Ok(intent) => {
                accepted.push(intent);
                results.push(result(Acceptance::Accepted, Vec::new()));
            }
            Err(errors) => results.push(result(
                Acceptance::Rejected,
                errors
                    .into_iter()
                    .map(|e| WireFieldError {
                        field: e.field.to_string(),
                        message: e.message,
                    })
                    .collect(),
            )),
        }
    }
    state
        .store
        .append(accepted.into_iter().map(Event::IntentRecorded).collect())?;
    let count = |status| results.iter().filter(|r| r.status == status).count();
    Ok(IntentsResponse {
        accepted: count(Acceptance::Accepted),
        already_accepted: count(Acceptance::AlreadyAccepted),
        rejected: count(Acceptance::Rejected),
        results,
    })
}
