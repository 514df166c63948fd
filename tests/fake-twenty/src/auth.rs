//! Bearer-token authentication (the real servers' 401/403 bodies, headers and chunked framing)
//! and permission checks.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use rand::Rng;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::Profile;
use crate::errors::ApiError;
use crate::store::World;
use crate::util::{b64_decode, b64url_encode, now_millis};

/// A random token shaped like Twenty's API-key JWTs (`header.payload.signature`).
pub fn generate_api_key() -> String {
    let workspace = Uuid::new_v4().to_string();
    let iat = now_millis() / 1000;
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let payload = json!({
        "sub": workspace, "type": "API_KEY", "workspaceId": workspace,
        "iat": iat, "exp": iat + 100 * 365 * 86_400, "jti": Uuid::new_v4().to_string()
    });
    let mut sig = [0u8; 32];
    rand::rng().fill(&mut sig);
    format!(
        "{}.{}.{}",
        b64url_encode(header.to_string().as_bytes()),
        b64url_encode(payload.to_string().as_bytes()),
        b64url_encode(&sig)
    )
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = raw.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && b64_decode(parts[1])
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v.is_object())
}

/// Checks the `Authorization` header against the world's key. Both real builds (Aug 2025 and
/// 2.4.0) answer with the same middleware shapes (real-server-samples.md, Auth and the 2.4.0
/// table): 401 `No payload` for a token that is not a JWT, 401 `Token invalid.` for a JWT the
/// server did not sign, 403 `Missing authentication token` without a header.
pub fn authenticate(headers: &HeaderMap, world: &World) -> Result<(), ApiError> {
    let keys = &world.keys;
    let token = bearer(headers);
    let ok = token.as_deref() == Some(keys.key.as_str()) && !keys.revoked;
    if ok {
        return Ok(());
    }
    Err(match token {
        None => ApiError::new(403, "FORBIDDEN_EXCEPTION", "Missing authentication token"),
        Some(t) if t == keys.key || keys.old_keys.contains(&t) => {
            ApiError::new(403, "FORBIDDEN_EXCEPTION", "This API Key is revoked")
        }
        Some(t) if looks_like_jwt(&t) => ApiError::new(401, "UNAUTHENTICATED", "Token invalid."),
        Some(_) => ApiError::new(401, "UNAUTHENTICATED", "No payload"),
    })
}

/// A body sent in one chunk of unknown length, so hyper answers `Transfer-Encoding: chunked`.
struct Chunked(Option<axum::body::Bytes>);

impl hyper::body::Body for Chunked {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// The auth middleware writes its answer itself: `Content-Type: application/json` (no charset),
/// chunked, no `ETag` (real-server-samples.md, Auth).
pub fn auth_error_response(e: ApiError) -> Response {
    let bytes = axum::body::Bytes::from(e.body.to_string());
    let mut resp = Response::new(Body::new(Chunked(Some(bytes))));
    *resp.status_mut() = e.status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// 403 for a key whose role lacks the permission (read-only key writing, or no data-model
/// permission on metadata).
pub fn permission_denied(profile: Profile) -> ApiError {
    let e = ApiError::new(
        403,
        "ForbiddenException",
        "Entity performing the request does not have permission",
    );
    match profile {
        Profile::Current => e.with_code("PERMISSION_DENIED"),
        Profile::Legacy2025 => e,
    }
}

/// GraphQL-style error document for `/metadata` (errors travel in the body with HTTP 200).
pub fn graphql_error(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}], "data": null})
}
