//! The one error type of the Twenty boundary ([`TwentyError`]: an [`ErrorKind`] with the status and
//! messages), its codes ([`ErrorCode`], the domain's [`FailureCode`]) and the classification of HTTP
//! statuses, Twenty's error bodies and transport failures into them. Every message is scrubbed of
//! the API key (by the client's [`Redactor`]) before it is stored.

use std::time::Duration;

use crate::config::Secret;
use crate::domain::FailureCode;
use crate::logging::redact;

mod classify;

pub(crate) use classify::{classify_status, classify_transport};
#[cfg(test)]
pub(crate) use classify::{parse_server_text, transport_reason};

/// Why a call to Twenty failed, in the vocabulary of the original integration's typed errors:
/// the very list a parked record keeps ([`FailureCode`]), under the name the client's callers
/// know.
pub use crate::domain::FailureCode as ErrorCode;

/// What kind of failure a [`TwentyError`] is, and so what the caller does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401 or 403: the key is wrong, revoked, expired or lacks a permission. A person must fix
    /// the key; not retryable.
    Auth,
    /// 429: wait (`retry_after`, from `Retry-After` or the body) and try again.
    RateLimited,
    /// No answer in time (client timeout, or a 408 from the server): try again.
    Timeout,
    /// Connection refused, DNS failure, TLS failure, connection dropped mid-response: try again.
    Network,
    /// 404, or the older builds' 400 `Record not found` / `EntityNotFoundError`: the record is
    /// gone (look it up again); not retryable.
    NotFound,
    /// 5xx: try again for 500, 502, 503 and 504 only.
    Server,
    /// 400 (or 409) for a unique value that another record already holds: resolve the conflict;
    /// not retryable.
    Duplicate,
    /// Any other 4xx, or a request we refused to build (bad base URL, empty id): the request
    /// must change; not retryable.
    Validation,
    /// 402: the workspace's credits or record stock are used up: a person must act; not
    /// retryable.
    QuotaExhausted,
    /// A success status whose body is not what Twenty sends (e.g. a web page): the server URL
    /// probably points at something else. Classified as `SERVER_ERROR`, not retryable.
    UnexpectedResponse,
    /// Retries were exhausted; the error's source is the final attempt's error. Kept retryable so
    /// the replay engine can go offline and try again later.
    OperationFailed,
}

impl ErrorKind {
    /// The code of this kind in the original integration's vocabulary.
    pub fn code(self) -> ErrorCode {
        match self {
            ErrorKind::Auth => ErrorCode::AuthError,
            ErrorKind::RateLimited => ErrorCode::RateLimit,
            ErrorKind::Timeout => ErrorCode::Timeout,
            ErrorKind::Network => ErrorCode::NetworkError,
            ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::Server | ErrorKind::UnexpectedResponse => ErrorCode::ServerError,
            ErrorKind::Duplicate => ErrorCode::Duplicate,
            ErrorKind::Validation => ErrorCode::ValidationError,
            ErrorKind::QuotaExhausted => ErrorCode::QuotaExhausted,
            ErrorKind::OperationFailed => ErrorCode::OperationFailed,
        }
    }
}

/// A failed call to Twenty. `message` (the `Display` text) says what happened and what to do; it
/// never contains the API key. `server_message` is Twenty's own text (from `messages` or
/// `message`, or a short prefix of a non-JSON body), also scrubbed. For
/// [`ErrorKind::OperationFailed`], `status`, `server_message` and `retry_after` are the last
/// attempt's, and so is the [`std::error::Error::source`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TwentyError {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
    server_message: Option<String>,
    retry_after: Option<Duration>,
    /// An earlier attempt of the same call ended without a clear answer (a server error, a
    /// timeout, a dropped connection): it may have been applied.
    after_unknown_outcome: bool,
    /// The last attempt's error, when the retries ran out.
    #[source]
    last: Option<Box<TwentyError>>,
}

impl TwentyError {
    /// An error of `kind`; `message` must already be scrubbed of the key.
    pub(crate) fn new(kind: ErrorKind, status: Option<u16>, message: impl Into<String>) -> Self {
        TwentyError {
            kind,
            status,
            message: message.into(),
            server_message: None,
            retry_after: None,
            after_unknown_outcome: false,
            last: None,
        }
    }

    /// With Twenty's own (scrubbed) text.
    pub(crate) fn with_server_message(mut self, server_message: Option<String>) -> Self {
        self.server_message = server_message;
        self
    }

    /// With the wait Twenty asked for.
    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// With another message (a hint that says how to fix it), keeping everything else.
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Marks the answer of a call whose earlier attempt ended without a clear answer.
    pub(crate) fn after_unknown_outcome(mut self) -> Self {
        self.after_unknown_outcome = true;
        self
    }

    /// An earlier attempt of this call may have been applied (it ended with a server error, a
    /// timeout or a dropped connection): a write refused now as a duplicate may be our own.
    pub fn follows_unknown_outcome(&self) -> bool {
        self.after_unknown_outcome
    }

    /// Whether this attempt ended without a clear answer: the request may have been applied.
    pub fn outcome_unknown(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Server => true,
            ErrorKind::OperationFailed => self.root().outcome_unknown(),
            _ => false,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn code(&self) -> ErrorCode {
        self.kind.code()
    }

    pub fn failure_code(&self) -> FailureCode {
        self.code()
    }

    /// Whether trying again later can succeed. The client retries exactly these errors.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::RateLimited
            | ErrorKind::Timeout
            | ErrorKind::Network
            | ErrorKind::OperationFailed => true,
            ErrorKind::Server => matches!(self.status, Some(500 | 502 | 503 | 504)),
            ErrorKind::Auth
            | ErrorKind::NotFound
            | ErrorKind::Duplicate
            | ErrorKind::Validation
            | ErrorKind::QuotaExhausted
            | ErrorKind::UnexpectedResponse => false,
        }
    }

    /// The HTTP status, when Twenty answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Twenty's own error text, scrubbed of the key.
    pub fn server_message(&self) -> Option<&str> {
        self.server_message.as_deref()
    }

    /// How long Twenty asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The error that ended the operation: the last attempt's when the retries ran out, else
    /// `self`.
    pub fn root(&self) -> &TwentyError {
        match &self.last {
            Some(last) => last.root(),
            None => self,
        }
    }

    /// A request we refused to send (bad configuration or arguments).
    pub(crate) fn invalid(message: impl Into<String>) -> TwentyError {
        TwentyError::new(ErrorKind::Validation, None, message)
    }

    /// A success status with a body we cannot use.
    pub(crate) fn unexpected(status: u16, what: &str, redactor: &Redactor) -> TwentyError {
        TwentyError::new(
            ErrorKind::UnexpectedResponse,
            Some(status),
            redactor.scrub(&format!(
                "Twenty's answer ({status}) is not what its API sends: {what}. Check the server \
                 URL: it must be the address of the Twenty server (e.g. https://api.twenty.com)"
            )),
        )
    }

    /// Wraps the last error after the retries ran out.
    pub(crate) fn exhausted(attempts: u32, last: TwentyError) -> TwentyError {
        TwentyError {
            kind: ErrorKind::OperationFailed,
            status: last.status,
            message: format!("gave up after {attempts} attempts: {last}"),
            server_message: last.server_message.clone(),
            retry_after: last.retry_after,
            after_unknown_outcome: last.after_unknown_outcome,
            last: Some(Box::new(last)),
        }
    }
}

/// Scrubs the API key out of every text that leaves the client (a literal match, see
/// [`crate::logging::redact`]). Each client owns one, made from its key.
#[derive(Clone)]
pub struct Redactor(Secret);

impl Redactor {
    pub fn new(secret: Secret) -> Redactor {
        Redactor(secret)
    }

    /// `text` with every occurrence of the key masked.
    pub fn scrub(&self, text: &str) -> String {
        redact(text, self.0.expose())
    }

    /// The key, masked (for `Debug` output).
    pub fn masked_key(&self) -> String {
        self.0.masked()
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({})", self.0.masked())
    }
}
