//! The REST metadata routes: `GET /rest/metadata/objects` (one or all), `GET` and `POST
//! /rest/metadata/fields`, with each build's literal failures (the query string taken for part of
//! the path, the Aug-2025 build's broken object listing).

use axum::http::Method;
use serde_json::{json, Value};

use crate::auth::permission_denied;
use crate::config::{MetadataListShape, Profile};
use crate::errors::ApiError;
use crate::records::Reply;
use crate::schema::ObjectKind;
use crate::store::World;

use super::create_field;

fn invalid_metadata_path(full: &str, rest: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Query path '{full}' invalid. Metadata path \"{rest}\" does not exist. Valid examples: /rest/metadata/fields or /rest/metadata/objects"
    ))
}

/// The Aug-2025 build's REST object listing failure.
fn legacy_objects_failure() -> ApiError {
    ApiError::raw(
        400,
        json!({"statusCode": 400, "messages": ["Cannot query field 'dataSourceId' on type 'Object'."], "error": "Bad Request"}),
    )
}

fn page_info(items: &[Value]) -> Value {
    json!({
        "hasNextPage": false,
        "hasPreviousPage": false,
        "startCursor": items.first().map(|o| o["id"].clone()),
        "endCursor": items.last().map(|o| o["id"].clone()),
    })
}

/// `/rest/metadata/...` (auth already checked). `segs` excludes `rest/metadata`.
pub fn handle_rest(
    world: &mut World,
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    segs: &[&str],
    body: &Value,
) -> Reply {
    let rest = segs.join("/");
    // Both builds take the query string for part of the path (real-server-samples.md: the
    // Aug-2025 build and 2.4.0 alike answer `?limit=200` with this 400).
    if let Some(q) = raw_query {
        let with_q = format!("{rest}?{q}");
        return Err(invalid_metadata_path(&format!("{path}?{q}"), &with_q));
    }
    if !world.keys.can_edit_data_model {
        return Err(permission_denied(world.profile));
    }
    match (method.clone(), segs) {
        (Method::GET, ["objects"]) => {
            if world.profile == Profile::Legacy2025 {
                return Err(legacy_objects_failure());
            }
            let objects: Vec<Value> = ObjectKind::ALL
                .iter()
                .map(|k| world.table(*k).def.to_json())
                .collect();
            let pi = page_info(&objects);
            let total = objects.len();
            Ok((
                200,
                match world.metadata_list_shape {
                    MetadataListShape::Flat => {
                        json!({"data": objects, "pageInfo": pi, "totalCount": total})
                    }
                    MetadataListShape::Nested => {
                        json!({"data": {"objects": objects}, "pageInfo": pi, "totalCount": total})
                    }
                },
            ))
        }
        (Method::GET, ["objects", id]) => {
            if world.profile == Profile::Legacy2025 {
                return Err(legacy_objects_failure());
            }
            let kind = world.kind_by_object_id(id).ok_or_else(|| {
                ApiError::new(404, "NotFoundException", "Object metadata not found")
            })?;
            Ok((
                200,
                json!({"data": {"object": world.table(kind).def.to_json()}}),
            ))
        }
        (Method::GET, ["fields"]) => {
            let fields: Vec<Value> = ObjectKind::ALL
                .iter()
                .flat_map(|k| {
                    let def = &world.table(*k).def;
                    def.fields
                        .iter()
                        .map(|f| f.to_json(&def.id))
                        .collect::<Vec<_>>()
                })
                .collect();
            let pi = page_info(&fields);
            let total = fields.len();
            Ok((
                200,
                json!({"data": fields, "pageInfo": pi, "totalCount": total}),
            ))
        }
        (Method::POST, ["fields"]) => {
            let field = create_field(world, body)?;
            Ok((201, json!({"data": {"createOneField": field}})))
        }
        _ => Err(invalid_metadata_path(path, &rest)),
    }
}
