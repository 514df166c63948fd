//! Record endpoints under `/rest`: path parsing with the real error messages, find-many,
//! find-one, create (one and batch, with upsert in `Current`), update, delete, restore.

use axum::http::Method;
use serde_json::{json, Value};

use crate::auth::permission_denied;
use crate::config::Profile;
use crate::errors::ApiError;
use crate::filter;
use crate::listing::{paginate, parse_depth, parse_limit, parse_order_by};
use crate::schema::ObjectKind;
use crate::store::World;
use crate::util::{is_valid_uuid, query_get};

/// Handler result: status and JSON body.
pub type Reply = Result<(u16, Value), ApiError>;

fn resolve_object(name: &str) -> Result<ObjectKind, ApiError> {
    if let Some(k) = ObjectKind::from_plural(name) {
        return Ok(k);
    }
    if let Some(k) = ObjectKind::from_singular(name) {
        return Err(ApiError::bad_request(format!(
            "object '{name}' not found. Did you mean '{}'?",
            k.plural()
        )));
    }
    Err(ApiError::bad_request(format!(
        "object '{name}' not found. eg: companies"
    )))
}

fn invalid_path(path: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Query path '{path}' invalid. Valid examples: /rest/companies/id or /rest/companies or /rest/batch/companies"
    ))
}

fn check_id(id: &str) -> Result<String, ApiError> {
    if is_valid_uuid(id) {
        Ok(id.to_lowercase())
    } else {
        Err(ApiError::bad_request(format!("'{id}' is not a valid UUID")))
    }
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    )
}

/// Routes one `/rest/...` request (auth already checked). `segs` excludes the `rest` prefix.
pub fn handle(
    world: &mut World,
    method: &Method,
    path: &str,
    segs: &[&str],
    q: &[(String, String)],
    body: &Value,
) -> Reply {
    if segs.is_empty() {
        return Err(invalid_path(path));
    }
    // POST /rest/batch/{plural}
    if segs[0] == "batch" && *method == Method::POST {
        if segs.len() != 2 {
            return Err(invalid_path(path));
        }
        let kind = resolve_object(segs[1])?;
        if world.keys.read_only {
            return Err(permission_denied(world.profile));
        }
        return create_many(world, kind, q, body);
    }
    let kind = resolve_object(segs[0])?;
    if is_write(method) && world.keys.read_only {
        return Err(permission_denied(world.profile));
    }
    match (segs.len(), method.clone()) {
        (1, Method::GET) => find_many(world, kind, q),
        (1, Method::POST) => create_one(world, kind, q, body),
        (1, Method::PATCH | Method::PUT | Method::DELETE) => Err(ApiError::bad_request(
            "fake-twenty: update/delete by filter is not implemented",
        )),
        (2, Method::GET) => {
            let id = check_id(segs[1])?;
            let depth = parse_depth(q)?;
            let rec = world
                .get_live(kind, &id)
                .cloned()
                .ok_or_else(|| world.not_found_read())?;
            Ok((
                200,
                json!({"data": {kind.singular(): expand(world, kind, rec, depth)}}),
            ))
        }
        (2, Method::PATCH | Method::PUT) => {
            let id = check_id(segs[1])?;
            if !body.is_object() {
                return Err(ApiError::bad_request(
                    "Invalid input: an object was expected",
                ));
            }
            let rec = world.update_one(kind, &id, body)?;
            Ok((
                200,
                json!({"data": {format!("update{}", kind.cap_singular()): rec}}),
            ))
        }
        (2, Method::DELETE) => {
            let id = check_id(segs[1])?;
            let soft = query_get(q, "soft_delete") == Some("true");
            world.delete_one(kind, &id, soft)?;
            Ok((
                200,
                json!({"data": {format!("delete{}", kind.cap_singular()): {"id": id}}}),
            ))
        }
        (3, Method::PATCH) if segs[2] == "restore" => {
            let id = check_id(segs[1])?;
            let rec = world.restore(kind, &id)?;
            Ok((
                200,
                json!({"data": {format!("restore{}", kind.cap_singular()): rec}}),
            ))
        }
        (n, _) if n > 2 => Err(invalid_path(path)),
        _ => Err(ApiError::raw(
            404,
            json!({"statusCode": 404, "message": format!("Cannot {method} {path}"), "error": "Not Found"}),
        )),
    }
}

/// depth=1: people get `company`, companies get `people` (up to 60).
fn expand(world: &World, kind: ObjectKind, mut rec: Value, depth: u8) -> Value {
    if depth == 0 {
        return rec;
    }
    match kind {
        ObjectKind::People => {
            let company = rec["companyId"]
                .as_str()
                .and_then(|id| world.get_live(ObjectKind::Companies, id))
                .cloned()
                .unwrap_or(Value::Null);
            rec["company"] = company;
        }
        ObjectKind::Companies => {
            let people: Vec<Value> = world
                .table(ObjectKind::People)
                .rows
                .values()
                .filter(|p| p["companyId"] == rec["id"] && p["deletedAt"].is_null())
                .take(60)
                .cloned()
                .collect();
            rec["people"] = Value::Array(people);
        }
    }
    rec
}

fn find_many(world: &World, kind: ObjectKind, q: &[(String, String)]) -> Reply {
    let profile = world.profile;
    let def = &world.table(kind).def;
    let limit = parse_limit(q, profile)?;
    let depth = parse_depth(q)?;
    let terms = parse_order_by(q, def)?;
    let parsed = match query_get(q, "filter").filter(|f| !f.is_empty()) {
        Some(raw) => Some(filter::parse(raw, def, profile).map_err(ApiError::bad_request)?),
        None => None,
    };
    let with_deleted = parsed
        .as_ref()
        .is_some_and(|f| filter::mentions_field(f, "deletedAt"));
    let rows: Vec<Value> = world
        .table(kind)
        .rows
        .values()
        .filter(|r| with_deleted || r["deletedAt"].is_null())
        .filter(|r| parsed.as_ref().is_none_or(|f| filter::matches(f, r, def)))
        .cloned()
        .collect();
    let page = paginate(rows, q, &terms, limit, profile)?;
    let records: Vec<Value> = page
        .records
        .into_iter()
        .map(|r| expand(world, kind, r, depth))
        .collect();
    Ok((
        200,
        json!({
            "data": {kind.plural(): records},
            "pageInfo": page.page_info,
            "totalCount": page.total_count,
        }),
    ))
}

fn upsert_flag(q: &[(String, String)]) -> bool {
    query_get(q, "upsert") == Some("true")
}

fn create_one(world: &mut World, kind: ObjectKind, q: &[(String, String)], body: &Value) -> Reply {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "Invalid input: an object was expected",
        ));
    }
    let mut created = world.create_many(kind, std::slice::from_ref(body), upsert_flag(q))?;
    let rec = created.pop().unwrap_or(Value::Null);
    Ok((
        201,
        json!({"data": {format!("create{}", kind.cap_singular()): rec}}),
    ))
}

fn create_many(world: &mut World, kind: ObjectKind, q: &[(String, String)], body: &Value) -> Reply {
    let Value::Array(items) = body else {
        return Err(ApiError::bad_request("Body must be an array"));
    };
    if items.is_empty() {
        return Err(ApiError::bad_request("Input must not be empty"));
    }
    if let Some(cap) = world.batch_cap() {
        if items.len() > cap {
            return Err(ApiError::bad_request(format!(
                "Maximum number of records to upsert is {cap}."
            )));
        }
    }
    if let Some(bad) = items.iter().find(|i| !i.is_object()) {
        return Err(ApiError::bad_request(format!(
            "Invalid input: an object was expected, received {bad}"
        )));
    }
    let upsert = upsert_flag(q) && world.profile == Profile::Current;
    let created = world.create_many(kind, items, upsert)?;
    Ok((
        201,
        json!({"data": {format!("create{}", kind.cap_plural()): created}}),
    ))
}
