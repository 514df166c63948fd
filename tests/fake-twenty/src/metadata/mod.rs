//! Metadata API: REST `/rest/metadata/objects` and `/rest/metadata/fields`, and just enough of
//! the GraphQL `POST /metadata` endpoint (`objects` listing, `createOneField`), paged as the
//! real servers page it: objects and fields ordered by id, offset cursors, and a whole-workspace
//! query capped at `first + 1` fields *in total* across objects (real-server-samples.md: 501 of
//! 536 fields for `fields(paging:{first:500})`), so that only a per-object read is complete.
//!
//! Here: the data model besides companies and people, and creating a field (shared by both
//! APIs); the REST routes live in `rest`, the GraphQL endpoint in `graphql`.

mod graphql;
mod rest;

pub use graphql::handle_graphql;
pub use rest::handle_rest;

use serde_json::Value;

use crate::errors::ApiError;
use crate::schema::{FieldOption, FieldType, ObjectDef};
use crate::store::World;

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
    if let Some(list) = o.get("options").and_then(Value::as_array) {
        field.options = list
            .iter()
            .enumerate()
            .filter_map(|(at, option)| {
                let value = option.get("value")?.as_str()?;
                let label = option.get("label").and_then(Value::as_str).unwrap_or(value);
                let color = option.get("color").and_then(Value::as_str);
                let position = option
                    .get("position")
                    .and_then(Value::as_u64)
                    .unwrap_or(at as u64);
                Some(FieldOption::new(value, label, color, position as u32))
            })
            .collect();
    }
    let field = world.add_field(kind, field)?;
    Ok(field.to_json(&world.table(kind).def.id))
}
