//! Control HTTP API under `/__fake/…` for external processes (Playwright, benchmarks):
//! flip faults, change profile/credentials, inspect state and the request log, reset.
//!
//! * `POST /__fake/faults` — JSON with any of `fail_next: {count, status}`, `timeout_next`,
//!   `hang_ms`, `drop_after_commit_next`, `error_after_commit_next`, `down`, `down_for_ms`, `slow_ms`,
//!   `rate_limit: {limit, window_ms, time_scale?, variant?, count_refused?} | null`, `quota_exhausted`,
//!   `unhealthy`, `clear: true`.
//! * `POST /__fake/config` — any of `profile`, `revoke_key`, `api_key`, `read_only`,
//!   `can_edit_data_model`, `external_id_fields: true`, `drop_external_id_field: "people"`,
//!   `metadata_list_shape: "flat"|"nested"`, `batch_cap: n|null`.
//!   `directory_fields: true` (a directory owner's custom fields, see `FakeConfig`).
//! * `PATCH /__fake/records/{people|companies}/{id}` — JSON of fields: the record edited as a
//!   person in Twenty's UI would (checked like an API `PATCH`, not logged); 200 with the record,
//!   400 `{"error": Twenty's message}`, 404 for an unknown object.
//! * `GET /__fake/state`, `GET /__fake/requests`, `DELETE /__fake/requests`, `POST /__fake/reset`.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::app::App;
use crate::config::{MetadataListShape, Profile};
use crate::errors::json_response;
use crate::ratelimit::{RateLimitConfig, RateLimitVariant};
use crate::schema::ObjectKind;

fn bad(msg: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": msg.into()}))
}

fn ok(v: Value) -> Response {
    json_response(StatusCode::OK, &v)
}

/// Full state snapshot.
pub(crate) fn state_json(app: &App) -> Value {
    let world = app.world();
    let objects: serde_json::Map<String, Value> = ObjectKind::ALL
        .iter()
        .map(|k| {
            let t = world.table(*k);
            let live: Vec<&Value> = t.rows.values().filter(|r| r["deletedAt"].is_null()).collect();
            (
                k.plural().to_string(),
                json!({
                    "object_metadata_id": t.def.id,
                    "live_count": live.len(),
                    "deleted_count": t.rows.len() - live.len(),
                    "custom_fields": t.def.fields.iter().filter(|f| f.is_custom).map(|f| &f.name).collect::<Vec<_>>(),
                    "records": t.rows.values().collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    json!({
        "profile": world.profile.as_str(),
        "api_key": world.keys.key,
        "key_revoked": world.keys.revoked,
        "read_only": world.keys.read_only,
        "can_edit_data_model": world.keys.can_edit_data_model,
        "request_count": app.log().len(),
        "faults": app.faults.to_json(),
        "objects": objects,
    })
}

fn parse_rate_limit(v: &Value) -> Result<Option<RateLimitConfig>, String> {
    if v.is_null() || v == &json!(false) {
        return Ok(None);
    }
    let limit = v["limit"]
        .as_u64()
        .ok_or("rate_limit.limit must be a positive integer")?;
    let window = v["window_ms"].as_u64().unwrap_or(60_000);
    let mut cfg = RateLimitConfig::new(
        limit.min(u32::MAX as u64) as u32,
        Duration::from_millis(window.max(1)),
    );
    if let Some(s) = v["time_scale"].as_f64() {
        cfg = cfg.with_time_scale(s);
    }
    if let Some(b) = v["count_refused"].as_bool() {
        cfg = cfg.counting_refused(b);
    }
    if let Some(s) = v["variant"].as_str() {
        cfg = cfg.with_variant(
            RateLimitVariant::parse(s).ok_or("rate_limit.variant must be legacy|current")?,
        );
    }
    Ok(Some(cfg))
}

fn apply_faults(app: &App, v: &Value) -> Result<(), String> {
    let f = &app.faults;
    if v["clear"] == json!(true) {
        f.clear();
    }
    if let Some(fail) = v.get("fail_next") {
        let count = fail["count"]
            .as_u64()
            .or_else(|| fail.as_u64())
            .unwrap_or(1);
        let status = fail["status"].as_u64().unwrap_or(500);
        if !(100..=599).contains(&status) {
            return Err("fail_next.status must be an HTTP status".into());
        }
        f.fail_next(count.min(1_000_000) as u32, status as u16);
    }
    if let Some(n) = v["timeout_next"].as_u64() {
        f.timeout_next(n.min(1_000_000) as u32);
    }
    if let Some(ms) = v["hang_ms"].as_u64() {
        f.set_hang_duration(Duration::from_millis(ms));
    }
    if let Some(n) = v["drop_after_commit_next"].as_u64() {
        f.drop_after_commit_next(n.min(1_000_000) as u32);
    }
    if let Some(n) = v["error_after_commit_next"].as_u64() {
        f.error_after_commit_next(n.min(1_000_000) as u32);
    }
    if let Some(ms) = v["slow_ms"].as_u64() {
        f.slow(ms);
    }
    if let Some(rl) = v.get("rate_limit") {
        f.rate_limit(parse_rate_limit(rl)?);
    }
    if let Some(b) = v["quota_exhausted"].as_bool() {
        f.quota_exhausted(b);
    }
    if let Some(b) = v["unhealthy"].as_bool() {
        f.unhealthy(b);
    }
    if let Some(b) = v["down"].as_bool() {
        f.down(b);
        if let (true, Some(ms)) = (b, v["down_for_ms"].as_u64()) {
            let handle = f.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                handle.down(false);
            });
        }
    }
    Ok(())
}

fn apply_config(app: &App, v: &Value) -> Result<(), String> {
    let mut world = app.world();
    if let Some(p) = v["profile"].as_str() {
        world.profile = Profile::parse(p).ok_or("profile must be legacy|current")?;
    }
    if v["revoke_key"] == json!(true) {
        world.keys.revoked = true;
    }
    if let Some(k) = v["api_key"].as_str() {
        let old = std::mem::replace(&mut world.keys.key, k.to_string());
        world.keys.old_keys.push(old);
        world.keys.revoked = false;
    }
    if let Some(b) = v["read_only"].as_bool() {
        world.keys.read_only = b;
    }
    if let Some(b) = v["can_edit_data_model"].as_bool() {
        world.keys.can_edit_data_model = b;
    }
    if v["external_id_fields"] == json!(true) {
        for k in ObjectKind::ALL {
            world.ensure_external_id(k);
        }
    }
    if let Some(o) = v["drop_external_id_field"].as_str() {
        let kind = ObjectKind::from_any(o).ok_or("unknown object")?;
        world.drop_field(kind, "externalId");
    }
    if let Some(s) = v["metadata_list_shape"].as_str() {
        world.metadata_list_shape = match s {
            "flat" => MetadataListShape::Flat,
            "nested" => MetadataListShape::Nested,
            _ => return Err("metadata_list_shape must be flat|nested".into()),
        };
    }
    if v["directory_fields"] == json!(true) {
        world.add_directory_fields();
    }
    if let Some(c) = v.get("batch_cap") {
        world.batch_cap_override = c.as_u64().map(|n| n as usize);
    }
    Ok(())
}

pub(crate) async fn handle(app: &App, method: &Method, path: &str, bytes: &[u8]) -> Response {
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return bad(format!("invalid JSON: {e}")),
        }
    };
    let route = path.trim_end_matches('/');
    match (method.clone(), route) {
        (Method::GET, "/__fake/state") => ok(state_json(app)),
        (Method::GET, "/__fake/requests") => ok(Value::Array(
            app.log().iter().map(|r| r.to_json()).collect(),
        )),
        (Method::DELETE, "/__fake/requests") => {
            app.log().clear();
            ok(json!({"ok": true}))
        }
        (Method::POST, "/__fake/faults") => match apply_faults(app, &body) {
            Ok(()) => ok(app.faults.to_json()),
            Err(e) => bad(e),
        },
        (Method::POST, "/__fake/config") => match apply_config(app, &body) {
            Ok(()) => ok(state_json(app)),
            Err(e) => bad(e),
        },
        (Method::PATCH, r) if r.starts_with("/__fake/records/") => {
            let rest = &r["/__fake/records/".len()..];
            let Some((object, id)) = rest.split_once('/') else {
                return bad("PATCH /__fake/records/{people|companies}/{id}");
            };
            let Some(kind) = ObjectKind::from_any(object) else {
                return json_response(
                    StatusCode::NOT_FOUND,
                    &json!({"error": format!("unknown object {object:?}")}),
                );
            };
            match app.world().edit_as_member(kind, id, &body) {
                Ok(record) => ok(record),
                Err(e) => bad(e.message()),
            }
        }
        (Method::POST, "/__fake/reset") => {
            crate::reset_app(app);
            ok(json!({"ok": true}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("unknown control route {method} {path}")}),
        ),
    }
}
