//! Metadata API: REST `/rest/metadata/objects` and `/rest/metadata/fields`, and just enough of
//! the GraphQL `POST /metadata` endpoint (`objects` listing, `createOneField`), paged as the
//! real servers page it: objects and fields ordered by id, offset cursors, and a whole-workspace
//! query capped at `first + 1` fields *in total* across objects (real-server-samples.md: 501 of
//! 536 fields for `fields(paging:{first:500})`), so that only a per-object read is complete.

use axum::http::Method;
use serde_json::{json, Value};

use crate::auth::{graphql_error, permission_denied};
use crate::config::{MetadataListShape, Profile};
use crate::errors::ApiError;
use crate::records::Reply;
use crate::schema::{FieldType, ObjectDef, ObjectKind};
use crate::store::World;
use crate::util::{b64_decode, b64_encode};

/// The workspace's objects that hold no records in the fake (only metadata): the seeded standard
/// objects and custom objects tests add.
#[derive(Debug, Clone)]
pub struct OtherObject {
    pub id: String,
    pub name_singular: String,
    pub name_plural: String,
    pub fields: Vec<crate::schema::FieldDef>,
}

/// The rest of the data model and the switches that shape its answers.
#[derive(Debug, Clone)]
pub struct MetadataModel {
    pub others: Vec<OtherObject>,
    /// New fields get ids that sort after every other field (as `externalId` did on a real
    /// run, where it was left out of the whole-workspace answer).
    pub new_field_ids_sort_last: bool,
    pub last_id_counter: u64,
    /// Per-object field reads that still leave `externalId` out (a race with another client).
    pub hide_external_id_reads: u32,
}

/// The standard objects of a seeded workspace besides companies and people, with about as many
/// fields: together with companies and people the workspace has 535 fields, and 536 once
/// `externalId` is added to `company`, as the real seeded workspace had (real-server-samples.md).
const SEEDED_OBJECTS: &[(&str, &str, usize)] = &[
    ("opportunity", "opportunities", 28),
    ("note", "notes", 18),
    ("task", "tasks", 22),
    ("noteTarget", "noteTargets", 14),
    ("taskTarget", "taskTargets", 14),
    ("attachment", "attachments", 20),
    ("timelineActivity", "timelineActivities", 26),
    ("favorite", "favorites", 24),
    ("favoriteFolder", "favoriteFolders", 10),
    ("workspaceMember", "workspaceMembers", 30),
    ("connectedAccount", "connectedAccounts", 22),
    ("message", "messages", 20),
    ("messageThread", "messageThreads", 10),
    ("messageChannel", "messageChannels", 30),
    ("messageParticipant", "messageParticipants", 16),
    ("calendarEvent", "calendarEvents", 30),
    ("calendarChannel", "calendarChannels", 24),
    ("calendarEventParticipant", "calendarEventParticipants", 18),
    ("blocklist", "blocklists", 10),
    ("workflow", "workflows", 20),
    ("workflowRun", "workflowRuns", 22),
    ("workflowVersion", "workflowVersions", 18),
    ("view", "views", 25),
    ("viewField", "viewFields", 24),
];

fn padding_field(name: String) -> crate::schema::FieldDef {
    ObjectDef::custom_field(
        crate::config::Profile::Current,
        &name,
        &name,
        FieldType::Text,
        false,
        Some(true),
        None,
    )
}

impl Default for MetadataModel {
    fn default() -> Self {
        let others = SEEDED_OBJECTS
            .iter()
            .map(|(singular, plural, count)| OtherObject {
                id: uuid::Uuid::new_v4().to_string(),
                name_singular: singular.to_string(),
                name_plural: plural.to_string(),
                fields: (0..*count)
                    .map(|i| {
                        let mut f = padding_field(format!("field{i}"));
                        f.is_custom = false;
                        f
                    })
                    .collect(),
            })
            .collect();
        MetadataModel {
            others,
            new_field_ids_sort_last: false,
            last_id_counter: 0,
            hide_external_id_reads: 0,
        }
    }
}

impl MetadataModel {
    /// The id for a field created now.
    pub fn new_field_id(&mut self) -> String {
        if self.new_field_ids_sort_last {
            self.last_id_counter += 1;
            format!("ffffffff-ffff-4fff-bfff-{:012x}", self.last_id_counter)
        } else {
            uuid::Uuid::new_v4().to_string()
        }
    }

    /// A custom object with `count` fields (metadata only).
    pub fn add_custom_object(&mut self, count: usize) {
        let n = self.others.len();
        self.others.push(OtherObject {
            id: uuid::Uuid::new_v4().to_string(),
            name_singular: format!("directoryListing{n}"),
            name_plural: format!("directoryListings{n}"),
            fields: (0..count)
                .map(|i| padding_field(format!("listingField{i}")))
                .collect(),
        });
    }
}

/// `arrayconnection:N` in base64, the cursor shape of Twenty's metadata connections.
fn offset_cursor(offset: usize) -> String {
    b64_encode(format!("arrayconnection:{offset}").as_bytes())
}

fn parse_offset_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(b64_decode(cursor)?).ok()?;
    text.strip_prefix("arrayconnection:")?.parse().ok()
}

/// The argument text of the first `name(` … `)` in `query`, and where the call ends.
fn call_args<'q>(query: &'q str, name: &str) -> Option<(&'q str, usize)> {
    let start = query.find(&format!("{name}("))? + name.len() + 1;
    let mut depth = 1;
    for (i, c) in query[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&query[start..start + i], start + i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// `first`, `after` and an `id` `eq` filter from an argument text like
/// `paging:{first:200, after:"…"}, filter:{id:{eq:"…"}}`.
#[derive(Debug, Default)]
struct Paging {
    first: Option<usize>,
    after: Option<String>,
    id_eq: Option<String>,
}

fn quoted_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let rest = &text[text.find(key)? + key.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn parse_paging(args: &str) -> Result<Paging, String> {
    let first = match args.find("first") {
        Some(i) => {
            let rest = args[i + 5..].trim_start().strip_prefix(':').unwrap_or("");
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            Some(
                digits
                    .parse()
                    .map_err(|_| "first must be an integer".to_string())?,
            )
        }
        None => None,
    };
    let id_eq = args
        .find("id:")
        .and_then(|i| quoted_after(&args[i + 3..], "eq"))
        .map(str::to_string);
    Ok(Paging {
        first,
        after: quoted_after(args, "after").map(str::to_string),
        id_eq,
    })
}

/// The node of one field in the GraphQL answer.
fn field_node(f: &crate::schema::FieldDef) -> Value {
    json!({"node": {
        "__typename": "Field",
        "id": f.id, "name": f.name, "type": f.ftype.as_str(),
        "label": f.label, "isUnique": f.is_unique, "isCustom": f.is_custom,
        "isActive": true, "isSystem": f.is_system, "isNullable": f.is_nullable,
        "defaultValue": f.default_meta,
    }})
}

/// One object as the GraphQL listing sees it.
struct ObjectView<'w> {
    id: &'w str,
    singular: String,
    plural: String,
    fields: Vec<&'w crate::schema::FieldDef>,
}

fn object_views(world: &World) -> Vec<ObjectView<'_>> {
    let mut views: Vec<ObjectView<'_>> = ObjectKind::ALL
        .iter()
        .map(|k| {
            let def = &world.table(*k).def;
            ObjectView {
                id: &def.id,
                singular: k.singular().to_string(),
                plural: k.plural().to_string(),
                fields: def.fields.iter().collect(),
            }
        })
        .chain(world.model.others.iter().map(|o| ObjectView {
            id: &o.id,
            singular: o.name_singular.clone(),
            plural: o.name_plural.clone(),
            fields: o.fields.iter().collect(),
        }))
        .collect();
    views.sort_by(|a, b| a.id.cmp(b.id));
    for view in &mut views {
        view.fields.sort_by(|a, b| a.id.cmp(&b.id));
    }
    views
}

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
        return match graphql_objects(world, query) {
            Ok(body) => (200, body),
            Err(message) => (200, graphql_error(&message, "BAD_USER_INPUT")),
        };
    }
    (
        400,
        graphql_error(
            "fake-twenty: only `objects` queries and `createOneField` are supported on /metadata",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    )
}

/// The `objects` query: objects paged by id; each object's `fields` connection paged by id with
/// offset cursors; all nested fields of one answer capped at `first + 1` in total (the real
/// servers' behaviour), with `hasNextPage` honest only when the answer holds one object.
fn graphql_objects(world: &mut World, query: &str) -> Result<Value, String> {
    let (object_args, objects_end) = call_args(query, "objects").unwrap_or(("", 0));
    let paging = parse_paging(object_args)?;
    let fields_paging = match call_args(&query[objects_end..], "fields") {
        Some((args, _)) => Some(parse_paging(args)?),
        None if query[objects_end..].contains("fields") => Some(Paging::default()),
        None => None,
    };
    let hide_external_id = fields_paging.is_some() && world.model.hide_external_id_reads > 0;
    if hide_external_id {
        world.model.hide_external_id_reads -= 1;
    }
    let views = object_views(world);
    let mut selected: Vec<&ObjectView<'_>> = views
        .iter()
        .filter(|v| paging.id_eq.as_deref().is_none_or(|id| id == v.id))
        .collect();
    let offset = match &paging.after {
        Some(cursor) => {
            parse_offset_cursor(cursor).ok_or_else(|| format!("Invalid cursor: {cursor}"))? + 1
        }
        None => 0,
    };
    let first = paging.first.unwrap_or(1000);
    let total_objects = selected.len();
    selected = selected.into_iter().skip(offset).take(first).collect();
    let objects_more = offset + selected.len() < total_objects;

    // Fields: per object, from its own cursor; the whole answer holds at most `first + 1`.
    let mut budget = fields_paging
        .as_ref()
        .map(|p| p.first.unwrap_or(1000) + 1)
        .unwrap_or(0);
    let single = selected.len() == 1;
    let mut edges = Vec::new();
    for view in &selected {
        let mut node = json!({
            "__typename": "Object",
            "id": view.id,
            "nameSingular": view.singular,
            "namePlural": view.plural,
            "isCustom": false,
            "isActive": true,
            "isSystem": false,
        });
        if let Some(fp) = &fields_paging {
            let start = match &fp.after {
                Some(cursor) => {
                    parse_offset_cursor(cursor)
                        .ok_or_else(|| format!("Invalid cursor: {cursor}"))?
                        + 1
                }
                None => 0,
            };
            let page = fp.first.unwrap_or(1000);
            let visible: Vec<&&crate::schema::FieldDef> = view
                .fields
                .iter()
                .filter(|f| !(hide_external_id && f.name == "externalId"))
                .collect();
            let take = page.min(budget);
            let shown: Vec<Value> = visible
                .iter()
                .skip(start)
                .take(take)
                .map(|f| field_node(f))
                .collect();
            budget = budget.saturating_sub(shown.len());
            let end = start + shown.len();
            let more = single && end < visible.len();
            node["fields"] = json!({
                "__typename": "ObjectFieldsConnection",
                "edges": shown,
                "pageInfo": {
                    "hasNextPage": more,
                    "hasPreviousPage": start > 0,
                    "startCursor": offset_cursor(start),
                    "endCursor": offset_cursor(end.saturating_sub(1)),
                },
            });
        }
        edges.push(json!({"__typename": "ObjectEdge", "node": node}));
    }
    let last = offset + selected.len();
    Ok(json!({"data": {"objects": {
        "__typename": "ObjectConnection",
        "edges": edges,
        "pageInfo": {
            "hasNextPage": objects_more,
            "hasPreviousPage": offset > 0,
            "startCursor": offset_cursor(offset),
            "endCursor": offset_cursor(last.saturating_sub(1)),
        },
    }}}))
}
