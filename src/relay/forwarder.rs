//! The agent side of platform mode: forwards the pending queue to the upstream relay in batches,
//! with the same guarantees as a push to Twenty: an intent is settled (`ForwardedToRelay`) only
//! after the relay answered that it recorded it; until then it stays queued and is sent again.

use std::time::Duration;

use super::wire::{
    Acceptance, IntentsRequest, IntentsResponse, WireFields, WireIntent, HEALTH_PATH, INTENTS_PATH,
};
use crate::config::{Secret, Settings};
use crate::domain::fields::inputs_of;
use crate::domain::plan::RoundOutcome;
use crate::domain::{Event, FailureCode};
use crate::logging::redact;
use crate::store::{Store, StoreError};

/// How many batches one round looks at.
const WINDOW_BATCHES: usize = 10;
/// An intent the relay did not answer for this many times in a row is parked.
const MAX_UNANSWERED: u32 = 5;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a round stopped. Messages are scrubbed of the token.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The relay is down, overloaded or unreachable: intents stay queued; retry later.
    #[error("the relay is unreachable: {0}")]
    Unreachable(String),
    /// The relay refused this agent (wrong token, bad request): fix platform_token / platform_url.
    #[error("the relay refused the intents: {0}; check platform_url and platform_token (it must equal the relay's relay_token)")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The relay the settings name (platform mode): its address and the token it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    url: String,
    token: Secret,
}

impl RelayTarget {
    /// `platform_url` and `platform_token` of the settings, or what to set.
    pub fn from_settings(settings: &Settings) -> Result<RelayTarget, String> {
        match (&settings.platform_url, &settings.platform_token) {
            (Some(url), Some(token)) => Ok(RelayTarget {
                url: url.trim_end_matches('/').to_string(),
                token: token.clone(),
            }),
            _ => Err(
                "platform mode needs platform_url and platform_token (the relay's address \
                      and its relay_token)"
                    .into(),
            ),
        }
    }
}

/// Forwards one store's pending queue to one relay.
pub struct Forwarder {
    store: Store,
    http: reqwest::Client,
    target: RelayTarget,
    batch_size: usize,
    origin: String,
}

impl Forwarder {
    pub fn new(
        store: Store,
        target: RelayTarget,
        batch_size: usize,
    ) -> Result<Forwarder, ForwardError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ForwardError::Refused(redact(&e.to_string(), target.token.expose())))?;
        Ok(Forwarder {
            store,
            http,
            target,
            batch_size: batch_size.clamp(1, super::wire::MAX_INTENTS_PER_REQUEST),
            origin: origin_name(),
        })
    }

    /// The relay this forwarder sends to.
    pub fn target(&self) -> &RelayTarget {
        &self.target
    }

    /// True when the relay answers its health probe.
    pub async fn healthy(&self) -> bool {
        self.http
            .get(format!("{}{HEALTH_PATH}", self.target.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Forwards one window of the queue. Rejected intents are parked; the others settle.
    pub async fn forward_round(&mut self) -> Result<RoundOutcome, ForwardError> {
        let window = self
            .store
            .pending_in_order(self.batch_size * WINDOW_BATCHES)?;
        if window.is_empty() {
            return Ok(RoundOutcome::IDLE);
        }
        let mut settled = 0;
        for chunk in window.chunks(self.batch_size) {
            let mut batch = Vec::with_capacity(chunk.len());
            for (key, pending) in chunk {
                match self.store.intent_at(pending.seq)? {
                    Some(intent) => batch.push((key.clone(), pending.clone(), intent)),
                    None => {
                        tracing::error!(%key, seq = pending.seq, "a pending record points at no intent; run rebuild-projections")
                    }
                }
            }
            let request = IntentsRequest {
                origin: Some(self.origin.clone()),
                intents: batch
                    .iter()
                    .map(|(_, _, intent)| WireIntent {
                        id: intent.id,
                        kind: intent.kind.as_str().to_string(),
                        external_id: Some(intent.external_id.clone()),
                        fields: wire_fields(intent),
                        requested_at_ms: Some(intent.requested_at_ms),
                    })
                    .collect(),
            };
            let response = self.send(&request).await?;
            let mut events = Vec::new();
            for (key, pending, intent) in batch {
                let result = response.results.iter().find(|r| r.id == intent.id);
                let event = match result.map(|r| (r.status, &r.errors)) {
                    Some((Acceptance::Accepted, _)) => Event::ForwardedToRelay {
                        intent_id: intent.id,
                        key,
                        already_accepted: false,
                    },
                    Some((Acceptance::AlreadyAccepted, _)) => Event::ForwardedToRelay {
                        intent_id: intent.id,
                        key,
                        already_accepted: true,
                    },
                    Some((Acceptance::Rejected, errors)) => Event::PushFailed {
                        intent_id: intent.id,
                        key,
                        code: FailureCode::ValidationError,
                        message: format!(
                            "the relay rejected it: {}",
                            errors
                                .iter()
                                .map(|e| format!("{}: {}", e.field, e.message))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                        attempt: pending.attempts + 1,
                        retryable: false,
                    },
                    None => Event::PushFailed {
                        intent_id: intent.id,
                        key,
                        code: FailureCode::OperationFailed,
                        message: "the relay did not answer for this intent".into(),
                        attempt: pending.attempts + 1,
                        retryable: pending.attempts + 1 < MAX_UNANSWERED,
                    },
                };
                if matches!(event, Event::ForwardedToRelay { .. })
                    || matches!(
                        event,
                        Event::PushFailed {
                            retryable: false,
                            ..
                        }
                    )
                {
                    settled += 1;
                }
                events.push(event);
            }
            self.store.append(events)?;
        }
        Ok(RoundOutcome::settled(settled))
    }

    async fn send(&self, request: &IntentsRequest) -> Result<IntentsResponse, ForwardError> {
        let token = &self.target.token;
        let scrub = |text: String| redact(&text, token.expose());
        let response = self
            .http
            .post(format!("{}{INTENTS_PATH}", self.target.url))
            .bearer_auth(token.expose())
            .json(request)
            .send()
            .await
            .map_err(|e| ForwardError::Unreachable(scrub(e.to_string())))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json::<IntentsResponse>()
                .await
                .map_err(|e| ForwardError::Unreachable(scrub(format!("unreadable answer: {e}"))));
        }
        let body = response.text().await.unwrap_or_default();
        let message: String = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or(body)
            .chars()
            .take(300)
            .collect();
        let message = scrub(format!("HTTP {}: {message}", status.as_u16()));
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(ForwardError::Unreachable(message))
        } else {
            Err(ForwardError::Refused(message))
        }
    }
}

/// This machine's name, sent as the origin of the intents.
fn origin_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "twenty-sync agent".into())
}

/// An intent's fields as the relay reads them: the fixed ones, then every other value by its
/// `FIELD[.PART]` key (a key the fixed fields hold already is theirs: they win, as when pushed).
fn wire_fields(intent: &crate::domain::Intent) -> WireFields {
    let fixed = intent.fields.clone();
    let taken = |key: &str| match key {
        "name" => fixed.name.is_some(),
        "city" => fixed.city.is_some(),
        _ => false,
    };
    let values = inputs_of(&intent.values)
        .into_iter()
        .filter(|(key, _)| !taken(key))
        .collect();
    WireFields { fixed, values }
}
