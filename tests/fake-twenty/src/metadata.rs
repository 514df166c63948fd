//! Metadata API: REST `/rest/metadata/objects` and `/rest/metadata/fields`, and just enough of
//! the GraphQL `POST /metadata` endpoint (`objects` listing, `createOneField`).

use axum::http::Method;
use serde_json::{json, Value};

use crate::auth::{graphql_error, permission_denied};
use crate::config::{MetadataListShape, Profile};
use crate::errors::ApiError;
use crate::records::Reply;
use crate::schema::{FieldType, ObjectDef, ObjectKind};
use crate::store::World;

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
    if world.profile == Profile::Legacy2025 {
        if let Some(q) = raw_query {
            let with_q = format!("{rest}?{q}");
            return Err(invalid_metadata_path(&format!("{path}?{q}"), &with_q));
        }
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

/// Shared by REST and GraphQL: validates the field input and adds the field.
fn create_field(world: &mut World, input: &Value) -> Result<Value, ApiError> {
    let Value::Object(o) = input else {
        return Err(ApiError::bad_request(
            "Invalid input: a field object was expected",
        ));
    };
    let object_id = o
        .get("objectMetadataId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = world.kind_by_object_id(object_id).ok_or_else(|| {
        ApiError::bad_request("Object metadata does not exist")
            .with_code("OBJECT_METADATA_NOT_FOUND")
    })?;
    let name = o.get("name").and_then(Value::as_str).unwrap_or("");
    let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.len() <= 63;
    if !valid_name {
        return Err(ApiError::bad_request(format!(
            "Name \"{name}\" is not valid: it must start with a lowercase letter and contain only alphanumeric characters"
        ))
        .with_code("INVALID_FIELD_INPUT"));
    }
    let type_str = o.get("type").and_then(Value::as_str).unwrap_or("");
    let ftype = FieldType::parse_custom(type_str).ok_or_else(|| {
        ApiError::bad_request(format!("Field type \"{type_str}\" is not supported"))
            .with_code("INVALID_FIELD_INPUT")
    })?;
    let label = o
        .get("label")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .unwrap_or(name)
        .to_string();
    let mut field = ObjectDef::custom_field(
        world.profile,
        name,
        &label,
        ftype,
        o.get("isUnique").and_then(Value::as_bool).unwrap_or(false),
        o.get("isNullable").and_then(Value::as_bool),
        o.get("defaultValue").cloned(),
    );
    field.description = o
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    field.icon = o.get("icon").and_then(Value::as_str).map(str::to_string);
    let field = world.add_field(kind, field)?;
    Ok(field.to_json(&world.table(kind).def.id))
}

/// `POST /metadata` GraphQL, parsed leniently. Returns HTTP status and body.
pub fn handle_graphql(world: &mut World, body: &Value) -> (u16, Value) {
    let query = body["query"].as_str().unwrap_or("");
    if query.contains("createOneField") {
        if !world.keys.can_edit_data_model {
            return (
                200,
                graphql_error(
                    "Entity performing the request does not have permission",
                    "FORBIDDEN",
                ),
            );
        }
        let vars = &body["variables"];
        let input = vars["input"]["field"]
            .as_object()
            .map(|o| Value::Object(o.clone()))
            .unwrap_or_else(|| vars["input"].clone());
        return match create_field(world, &input) {
            Ok(f) => (200, json!({"data": {"createOneField": f}})),
            Err(e) => (200, graphql_error(&e.message(), "BAD_USER_INPUT")),
        };
    }
    if query.contains("objects") {
        let with_fields = query.contains("fields");
        let edges: Vec<Value> = ObjectKind::ALL
            .iter()
            .map(|k| {
                let def = &world.table(*k).def;
                let mut node = json!({
                    "__typename": "Object",
                    "id": def.id,
                    "nameSingular": k.singular(),
                    "namePlural": k.plural(),
                    "labelSingular": k.cap_singular(),
                    "labelPlural": k.cap_plural(),
                    "isCustom": false,
                    "isActive": true,
                    "isSystem": false,
                });
                if with_fields {
                    let fields: Vec<Value> = def
                        .fields
                        .iter()
                        .map(|f| {
                            json!({"node": {
                                "__typename": "Field",
                                "id": f.id, "name": f.name, "type": f.ftype.as_str(),
                                "label": f.label, "isUnique": f.is_unique, "isCustom": f.is_custom,
                                "isActive": true, "isSystem": f.is_system, "isNullable": f.is_nullable,
                                "defaultValue": f.default_meta,
                            }})
                        })
                        .collect();
                    node["fields"] = json!({"__typename": "ObjectFieldsConnection", "edges": fields});
                }
                json!({"__typename": "ObjectEdge", "node": node})
            })
            .collect();
        return (
            200,
            json!({"data": {"objects": {
                "__typename": "ObjectConnection",
                "edges": edges,
                "pageInfo": {"hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null},
            }}}),
        );
    }
    (
        400,
        graphql_error(
            "fake-twenty: only `objects` queries and `createOneField` are supported on /metadata",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    )
}
