//! The metadata API's queries and answers, pure: GraphQL queries with inline literals, the
//! object and field pages with their cursors, the REST listing, the field-creation body. Field
//! nodes are asked for with [`FIELD_NODE_SELECTION`] and read by the domain's one parser,
//! [`field_from_metadata`].

use serde_json::{json, Value};

use super::{ObjectRef, FIELDS_PAGE, OBJECTS_PAGE};
use crate::domain::fields::{
    field_from_metadata, metadata_items as items, FieldDef, FIELD_NODE_SELECTION,
};
use crate::domain::EntityKind;
use crate::twenty::wire;

/// The next page's cursor of a connection: `Ok(None)` on the last page, an error when the
/// connection says there is more but gives no cursor (we must not conclude from a partial page).
fn next_cursor(connection: &Value) -> Result<Option<String>, &'static str> {
    let info = connection.get("pageInfo");
    let more = info
        .and_then(|i| i.get("hasNextPage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !more {
        return Ok(None);
    }
    info.and_then(|i| i.get("endCursor"))
        .and_then(Value::as_str)
        .filter(|c| is_safe_literal(c))
        .map(|c| Some(c.to_string()))
        .ok_or("the metadata says there are more fields but gives no usable cursor")
}

/// Cursors and ids are put into the query as string literals: only plain characters pass.
pub(super) fn is_safe_literal(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 512
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_:.-".contains(c))
}

/// The active `externalId` field among `fields`.
pub fn external_id_in(fields: &[FieldDef]) -> Option<&FieldDef> {
    fields
        .iter()
        .find(|f| f.name == wire::EXTERNAL_ID_FIELD && f.active)
}

/// The kind a metadata object's `nameSingular` names, if it is one we sync.
pub fn kind_of(name_singular: &str) -> Option<EntityKind> {
    EntityKind::ALL
        .into_iter()
        .find(|kind| wire::singular(*kind) == name_singular)
}

/// The query for one page of the object listing (ids and names only).
pub fn objects_query(after: Option<&str>) -> String {
    let after = after
        .map(|c| format!(", after:\"{c}\""))
        .unwrap_or_default();
    format!(
        "{{ objects(paging:{{first:{OBJECTS_PAGE}{after}}}) {{ edges {{ node {{ id nameSingular \
         namePlural }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    )
}

/// The query for one page of one object's fields, each with [`FIELD_NODE_SELECTION`].
pub fn fields_query(object_id: &str, after: Option<&str>) -> String {
    let after = after
        .map(|c| format!(", after:\"{c}\""))
        .unwrap_or_default();
    format!(
        "{{ objects(paging:{{first:1}}, filter:{{id:{{eq:\"{object_id}\"}}}}) {{ edges {{ node {{ \
         id nameSingular fields(paging:{{first:{FIELDS_PAGE}{after}}}) {{ edges {{ node {{ \
         {FIELD_NODE_SELECTION} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }} }} }}"
    )
}

/// A GraphQL answer's first error: its message and `extensions.code`.
pub fn graphql_error(body: &Value) -> Option<(String, Option<String>)> {
    let error = body.get("errors")?.as_array()?.first()?;
    Some((
        error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown GraphQL error")
            .to_string(),
        error
            .get("extensions")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string),
    ))
}

/// One page of the object listing: the objects and the next page's cursor.
pub fn parse_objects_page(body: &Value) -> Result<(Vec<ObjectRef>, Option<String>), &'static str> {
    let connection = body
        .get("data")
        .and_then(|d| d.get("objects"))
        .ok_or("the metadata answer has no objects")?;
    let objects = items(connection)
        .into_iter()
        .filter_map(|o| {
            Some(ObjectRef {
                id: o.get("id")?.as_str()?.to_string(),
                name_singular: o.get("nameSingular")?.as_str()?.to_string(),
            })
        })
        .collect();
    Ok((objects, next_cursor(connection)?))
}

/// One page of one object's fields (of `kind`): the fields and the next page's cursor.
pub fn parse_fields_page(
    kind: EntityKind,
    body: &Value,
) -> Result<(Vec<FieldDef>, Option<String>), &'static str> {
    let object = body
        .get("data")
        .and_then(|d| d.get("objects"))
        .map(items)
        .and_then(|objects| objects.into_iter().next())
        .ok_or("the metadata answer does not hold the object asked for")?;
    let connection = object
        .get("fields")
        .ok_or("the metadata answer has no fields")?;
    let fields = items(connection)
        .into_iter()
        .filter_map(|node| field_from_metadata(kind, node))
        .collect();
    Ok((fields, next_cursor(connection)?))
}

/// Reads a REST metadata listing: `{"data":{"objects":[…]}}` (older) or `{"data":[…]}` (newer).
/// Returns each object's ref and the fields the listing shows (possibly not all of them; only
/// for company and person, the objects we sync).
pub fn parse_rest_objects(body: &Value) -> Option<Vec<(ObjectRef, Vec<FieldDef>)>> {
    let data = body.get("data")?;
    let list = if data.is_array() {
        data
    } else {
        data.get("objects")?
    };
    if !list.is_array() && list.get("edges").is_none() {
        return None;
    }
    Some(
        items(list)
            .into_iter()
            .filter_map(|o| {
                let object = ObjectRef {
                    id: o.get("id")?.as_str()?.to_string(),
                    name_singular: o.get("nameSingular")?.as_str()?.to_string(),
                };
                let fields = match kind_of(&object.name_singular) {
                    Some(kind) => o
                        .get("fields")
                        .map(items)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|node| field_from_metadata(kind, node))
                        .collect(),
                    None => Vec::new(),
                };
                Some((object, fields))
            })
            .collect(),
    )
}

/// The field a `POST /rest/metadata/fields` created on `kind`:
/// `{"data":{"createOneField":{…}}}`.
pub fn parse_created_field(kind: EntityKind, body: &Value) -> Option<FieldDef> {
    field_from_metadata(kind, body.get("data")?.get("createOneField")?)
}

/// The body of `POST /rest/metadata/fields` creating `externalId` on an object.
pub fn external_id_field_body(object_metadata_id: &str) -> Value {
    json!({
        "objectMetadataId": object_metadata_id,
        "type": "TEXT",
        "name": wire::EXTERNAL_ID_FIELD,
        "label": "External ID",
        "description": "Id of the record in Twenty Sync",
        "icon": "IconKey",
        "isNullable": true,
        "isUnique": true,
    })
}
