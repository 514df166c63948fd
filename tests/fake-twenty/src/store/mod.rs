//! The record store: tables of people and companies, input validation and normalisation, unique
//! constraints (including soft-deleted rows), all-or-nothing creates, upsert, update, delete.
//! Here: the workspace state, lookups and schema changes; the jobs live in `input` (validating
//! and normalising bodies), `profile_errors` (errors shaped by the profile), `unique` (unique
//! constraints and upsert matching) and `write` (creating, updating and deleting records).

mod checks;
mod input;
mod profile_errors;
#[cfg(test)]
mod tests;
mod unique;
mod write;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::config::{MetadataListShape, Profile};
use crate::errors::ApiError;
use crate::schema::{FieldDef, FieldType, ObjectDef, ObjectKind};

/// State of the one API key.
#[derive(Debug, Clone)]
pub struct KeyState {
    pub key: String,
    pub name: String,
    pub revoked: bool,
    /// Keys that were replaced or revoked earlier (answered as revoked).
    pub old_keys: Vec<String>,
    pub read_only: bool,
    pub can_edit_data_model: bool,
}

/// One object's metadata and rows (keyed by id, so iteration is the default `id` order).
#[derive(Debug, Clone)]
pub struct Table {
    pub def: ObjectDef,
    pub rows: BTreeMap<String, Value>,
}

/// Everything mutable about the fake workspace; lives behind one `std::sync::Mutex`.
#[derive(Debug)]
pub struct World {
    pub profile: Profile,
    pub tables: [Table; 2],
    pub keys: KeyState,
    pub metadata_list_shape: MetadataListShape,
    pub batch_cap_override: Option<usize>,
    /// The objects besides companies and people, and how metadata answers are shaped.
    pub model: crate::metadata::MetadataModel,
}

fn is_deleted(rec: &Value) -> bool {
    !rec["deletedAt"].is_null()
}

impl World {
    pub fn new(profile: Profile, keys: KeyState) -> Self {
        World {
            profile,
            tables: [
                Table {
                    def: ObjectDef::standard(ObjectKind::Companies, profile),
                    rows: BTreeMap::new(),
                },
                Table {
                    def: ObjectDef::standard(ObjectKind::People, profile),
                    rows: BTreeMap::new(),
                },
            ],
            keys,
            metadata_list_shape: MetadataListShape::Flat,
            batch_cap_override: None,
            model: crate::metadata::MetadataModel::default(),
        }
    }

    pub fn table(&self, kind: ObjectKind) -> &Table {
        &self.tables[kind.index()]
    }

    pub fn table_mut(&mut self, kind: ObjectKind) -> &mut Table {
        &mut self.tables[kind.index()]
    }

    /// Effective batch-create cap.
    pub fn batch_cap(&self) -> Option<usize> {
        self.batch_cap_override.or(match self.profile {
            Profile::Legacy2025 => None,
            Profile::Current => Some(200),
        })
    }

    /// Live (not soft-deleted) record by id.
    pub fn get_live(&self, kind: ObjectKind, id: &str) -> Option<&Value> {
        self.table(kind).rows.get(id).filter(|r| !is_deleted(r))
    }

    /// Adds a custom field, backfilling existing rows with its default.
    pub fn add_field(
        &mut self,
        kind: ObjectKind,
        mut field: FieldDef,
    ) -> Result<FieldDef, ApiError> {
        if self.table(kind).def.field(&field.name).is_some() {
            // The literal answers of the real servers (real-server-samples.md).
            return Err(match self.profile {
                Profile::Legacy2025 => ApiError::raw(
                    400,
                    json!({"statusCode": 400, "messages": [format!("Name '{}' is not available, check that it is not duplicating another field's name.", field.name)], "error": "Bad Request"}),
                ),
                Profile::Current => ApiError::bad_request(
                    "Multiple validation errors occurred while creating fields",
                ),
            });
        }
        field.id = self.model.new_field_id();
        let table = self.table_mut(kind);
        for r in table.rows.values_mut() {
            r[&field.name] = field.default_record.clone();
        }
        table.def.fields.push(field.clone());
        Ok(field)
    }

    /// Removes a field and its values.
    pub fn drop_field(&mut self, kind: ObjectKind, name: &str) -> bool {
        let table = self.table_mut(kind);
        let before = table.def.fields.len();
        table.def.fields.retain(|f| f.name != name || !f.is_custom);
        for r in table.rows.values_mut() {
            if let Value::Object(o) = r {
                o.remove(name);
            }
        }
        before != table.def.fields.len()
    }

    /// The custom unique `externalId` TEXT field, as the sync agent creates it.
    pub fn ensure_external_id(&mut self, kind: ObjectKind) {
        if self.table(kind).def.field("externalId").is_none() {
            let f = ObjectDef::custom_field(
                self.profile,
                "externalId",
                "External ID",
                FieldType::Text,
                true,
                Some(true),
                None,
            );
            let _ = self.add_field(kind, f);
        }
    }

    /// The custom fields of a directory owner's workspace (issue 15: a field of every type on
    /// company, a select and a text on person), added as the metadata API adds them
    /// (idempotent: a field already there is kept).
    pub fn add_directory_fields(&mut self) {
        for kind in ObjectKind::ALL {
            for field in ObjectDef::directory_fields(kind, self.profile) {
                if self.table(kind).def.field(&field.name).is_none() {
                    let _ = self.add_field(kind, field);
                }
            }
        }
    }

    /// Object kind by metadata id.
    pub fn kind_by_object_id(&self, id: &str) -> Option<ObjectKind> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| self.table(*k).def.id == id)
    }
}
