//! The GraphQL `POST /metadata` endpoint, parsed leniently: `createOneField`, and the `objects`
//! query paged as the real servers page it (offset cursors, objects and fields ordered by id, the
//! whole answer capped at `first + 1` fields).

use serde_json::{json, Value};

use crate::auth::graphql_error;
use crate::schema::ObjectKind;
use crate::store::World;
use crate::util::{b64_decode, b64_encode};

use super::create_field;

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
        "id": f.id, "name": f.metadata_name(), "type": f.ftype.as_str(),
        "label": f.label, "isUnique": f.is_unique, "isCustom": f.is_custom,
        "isActive": true, "isSystem": f.is_system, "isNullable": f.is_nullable,
        "defaultValue": f.default_meta, "options": f.options_json(),
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
