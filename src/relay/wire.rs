//! The JSON of the relay endpoint `POST /api/v1/intents`, shared by the server and the forwarder.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::IntentFields;

/// The path of the endpoint.
pub const INTENTS_PATH: &str = "/api/v1/intents";
/// The path of the unauthenticated liveness probe.
pub const HEALTH_PATH: &str = "/api/v1/health";
/// The most intents one request may carry.
pub const MAX_INTENTS_PER_REQUEST: usize = 500;
/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What an agent sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentsRequest {
    /// Who sends (a machine name), recorded as the intents' source `relay from <origin>`.
    #[serde(default)]
    pub origin: Option<String>,
    pub intents: Vec<WireIntent>,
}

/// One intent as recorded by the sending agent; the relay keeps its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireIntent {
    pub id: Uuid,
    /// `company` or `person`.
    pub kind: String,
    pub external_id: Option<String>,
    #[serde(default)]
    pub fields: WireFields,
    /// When the person asked, ms since the epoch (the relay's time when absent).
    #[serde(default)]
    pub requested_at_ms: Option<i64>,
}

/// An intent's fields: the fixed ones by their names (`name`, `email`, `job_title`, …) and any
/// field of the workspace as `push --field` names it (`"category": "Fintech"`, `"address.city":
/// "Paris"`, `"tags": ["a", "b"]`), read by the relay against its own fields in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFields {
    #[serde(flatten)]
    pub fixed: IntentFields,
    #[serde(flatten)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// What the relay answers (HTTP 200), one result per intent in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentsResponse {
    pub results: Vec<IntentResult>,
    pub accepted: usize,
    pub already_accepted: usize,
    pub rejected: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentResult {
    pub id: Uuid,
    pub status: Acceptance,
    /// Why it was rejected, one entry per field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WireFieldError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// Recorded durably now.
    Accepted,
    /// Recorded by an earlier request (same intent id): nothing new was recorded.
    AlreadyAccepted,
    /// Invalid: nothing recorded; sending it again will not help.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFieldError {
    pub field: String,
    pub message: String,
}
