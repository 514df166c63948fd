//! Bearer-token authentication and permission checks with each profile's 401/403 bodies.

use axum::http::{header, HeaderMap};
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

/// 403 of the newest builds for any credential problem.
fn forbidden_resource() -> ApiError {
    ApiError::new(403, "ForbiddenException", "Forbidden resource")
}

/// Checks the `Authorization` header against the world's key.
pub fn authenticate(headers: &HeaderMap, world: &World) -> Result<(), ApiError> {
    let keys = &world.keys;
    let token = bearer(headers);
    let ok = token.as_deref() == Some(keys.key.as_str()) && !keys.revoked;
    if ok {
        return Ok(());
    }
    Err(match world.profile {
        Profile::Current => forbidden_resource(),
        Profile::Legacy2025 => match token {
            None => ApiError::new(403, "FORBIDDEN_EXCEPTION", "Missing authentication token"),
            Some(t) if t == keys.key || keys.old_keys.contains(&t) => {
                ApiError::new(403, "FORBIDDEN_EXCEPTION", "This API Key is revoked")
            }
            Some(t) if looks_like_jwt(&t) => {
                ApiError::new(401, "UNAUTHENTICATED", "Token invalid.")
            }
            Some(_) => ApiError::new(401, "UNAUTHENTICATED", "No payload"),
        },
    })
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
