//! The request log: every non-control request with the interesting headers, body and outcome,
//! so tests can assert request economy.

use serde_json::{json, Value};

/// The subset of request headers tests look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedHeaders {
    /// An `Authorization` header was present (its value is not recorded).
    pub authorization: bool,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Raw (still URL-encoded) query string.
    pub query: Option<String>,
    pub headers: RecordedHeaders,
    /// Body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
    /// Status sent, or that would have been sent for a dropped connection; 0 while in flight or
    /// when the request hung.
    pub status: u16,
    /// Injected fault that affected the request: `fail`, `timeout`, `drop_after_commit`,
    /// `rate_limited`, `quota_exhausted`.
    pub fault: Option<String>,
    /// When the request arrived, in milliseconds since the Unix epoch (for rate assertions).
    pub at_ms: i64,
}

impl RecordedRequest {
    /// Query string decoded (`+` and `%XX`), for readable assertions.
    pub fn query_decoded(&self) -> Option<String> {
        self.query.as_deref().map(crate::util::url_decode)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": {
                "authorization": self.headers.authorization,
                "idempotency_key": self.headers.idempotency_key,
                "content_type": self.headers.content_type,
                "user_agent": self.headers.user_agent,
            },
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "at_ms": self.at_ms,
        })
    }
}
