//! The data model read from the metadata API's answers, pure: one field node, one object's
//! fields (a list or a GraphQL connection), or a whole object listing — the GraphQL
//! `objects { edges { node { fields { edges { node … } } } } }` shape and both REST
//! `/rest/metadata/objects` shapes (`{"data":{"objects":[…]}}` and `{"data":[…]}`).
//!
//! A whole-workspace answer may be partial (real servers cap it at about 500 fields in total,
//! see real-server-samples.md): the caller reads each object's fields page by page and builds
//! the model with [`DataModel::new`]; [`data_model_from_listing`] is for answers known complete.

use serde_json::Value;

use super::model::{DataModel, FieldDef, FieldOption, FieldOrigin, FieldType};
use crate::domain::intent::EntityKind;

/// The properties of a field node to ask the GraphQL metadata API for (`options` is a JSON
/// scalar: no sub-selection): every query for fields uses it, and [`field_from_metadata`] reads
/// the answer.
pub const FIELD_NODE_SELECTION: &str =
    "id name label type options isNullable isUnique isActive isCustom isSystem";

/// A metadata answer that holds no data model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error(
        "Twenty's metadata answer lists no objects; check that the API key may read the data model"
    )]
    NoObjects,
    #[error("Twenty's metadata answer has no {0} object; check that the API key may read the data model")]
    MissingObject(EntityKind),
}

/// Items of a list that is either an array or a GraphQL connection `{"edges":[{"node":…}]}`.
pub fn metadata_items(value: &Value) -> Vec<&Value> {
    if let Some(list) = value.as_array() {
        return list.iter().collect();
    }
    value
        .get("edges")
        .and_then(Value::as_array)
        .map(|edges| edges.iter().filter_map(|edge| edge.get("node")).collect())
        .unwrap_or_default()
}

/// One field node; `None` without a name.
pub fn field_from_metadata(kind: EntityKind, node: &Value) -> Option<FieldDef> {
    let text = |key: &str| node.get(key).and_then(Value::as_str);
    let flag = |key: &str, absent: bool| node.get(key).and_then(Value::as_bool).unwrap_or(absent);
    let name = text("name")
        .filter(|name| !name.trim().is_empty())?
        .to_string();
    Some(FieldDef {
        id: text("id").unwrap_or_default().to_string(),
        kind,
        label: text("label")
            .filter(|label| !label.trim().is_empty())
            .unwrap_or(&name)
            .trim()
            .to_string(),
        field_type: FieldType::from_name(text("type").unwrap_or("UNKNOWN")),
        options: options(node.get("options")),
        nullable: flag("isNullable", true),
        unique: flag("isUnique", false),
        active: flag("isActive", true),
        system: flag("isSystem", false),
        origin: if flag("isCustom", false) {
            FieldOrigin::Custom
        } else {
            FieldOrigin::Standard
        },
        name,
    })
}

/// The options of a field node, by position: `[{"value","label","position",…}]`; options
/// without a value are skipped, a missing label is the value.
fn options(value: Option<&Value>) -> Vec<FieldOption> {
    let Some(list) = value.and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut options: Vec<(f64, FieldOption)> = list
        .iter()
        .enumerate()
        .filter_map(|(at, option)| {
            let value = option.get("value")?.as_str()?.to_string();
            let label = option
                .get("label")
                .and_then(Value::as_str)
                .unwrap_or(&value)
                .to_string();
            let position = option
                .get("position")
                .and_then(Value::as_f64)
                .unwrap_or(at as f64);
            Some((position, FieldOption { value, label }))
        })
        .collect();
    options.sort_by(|a, b| a.0.total_cmp(&b.0));
    options.into_iter().map(|(_, option)| option).collect()
}

/// One object's fields, from an array of field nodes or a fields connection.
pub fn fields_from_metadata(kind: EntityKind, fields: &Value) -> Vec<FieldDef> {
    metadata_items(fields)
        .into_iter()
        .filter_map(|node| field_from_metadata(kind, node))
        .collect()
}

/// The data model of a complete object listing: the GraphQL `{"data":{"objects":{"edges":…}}}`
/// or the REST `{"data":{"objects":[…]}}` / `{"data":[…]}`, each object with its `fields`.
pub fn data_model_from_listing(body: &Value) -> Result<DataModel, MetadataError> {
    let data = body.get("data").ok_or(MetadataError::NoObjects)?;
    let list = if data.is_array() {
        data
    } else {
        data.get("objects").ok_or(MetadataError::NoObjects)?
    };
    let objects = metadata_items(list);
    if objects.is_empty() {
        return Err(MetadataError::NoObjects);
    }
    let fields_of = |kind: EntityKind| {
        objects
            .iter()
            .find(|object| {
                object.get("nameSingular").and_then(Value::as_str) == Some(kind.as_str())
            })
            .map(|object| {
                object
                    .get("fields")
                    .map(|fields| fields_from_metadata(kind, fields))
                    .unwrap_or_default()
            })
            .ok_or(MetadataError::MissingObject(kind))
    };
    Ok(DataModel::new(
        fields_of(EntityKind::Company)?,
        fields_of(EntityKind::Person)?,
    ))
}
