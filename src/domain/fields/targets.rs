//! What people name as a column's destination (`linkedinLink`, `address.city`, `external_id`,
//! `ignore`), read against the data model, and the per-kind overrides that keep those choices.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::known_columns::RecordColumn;
use super::model::{FieldDef, FieldType, ObjectFields, EXTERNAL_ID_FIELD};
use super::parts::Part;
use super::text::compact_header;
use super::wire::FieldTarget;
use crate::domain::intent::EntityKind;

/// Where an override sends a column: a field (or part), a record column, or nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverrideTarget {
    Field(FieldTarget),
    Record(RecordColumn),
    Ignore,
}

impl std::fmt::Display for OverrideTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverrideTarget::Field(target) => target.fmt(f),
            OverrideTarget::Record(column) => f.write_str(column.as_str()),
            OverrideTarget::Ignore => f.write_str("ignore"),
        }
    }
}

/// A destination that names nothing we can fill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("no field was named; give a field such as jobTitle or address.city, or ignore")]
    Empty,
    #[error("{kind} has no field '{field}'; `twenty-sync fields {kind}` lists them")]
    UnknownField { kind: EntityKind, field: String },
    #[error(
        "{field} is a {field_type} field, which twenty-sync does not fill; choose another field"
    )]
    NotWritable {
        field: String,
        field_type: FieldType,
    },
    #[error("{field} is inactive in Twenty; activate it in Settings → Data model or choose another field")]
    Inactive { field: String },
    #[error("{field} holds the external id; map the column to external_id instead")]
    ExternalId { field: String },
    #[error("{field} has no part '{part}'; use one of {allowed}")]
    UnknownPart {
        field: String,
        part: String,
        allowed: String,
    },
    #[error("{field} is a {field_type} field, which has no parts; name the field alone")]
    NoParts {
        field: String,
        field_type: FieldType,
    },
}

/// Reads `FIELD[.PART]`, a record column (`external_id`, `type`, `company_external_id`,
/// `company_name`) or `ignore`. The field is found by its name, or by its name or label compared
/// as headers are (`Job Title`, `job-title`); the part by its wire name, label or usual word
/// (`address.city`, `address.addressCity`, `linkedinLink.url`). A composite field named alone
/// means its primary part ([`FieldType::default_part`]).
pub fn parse_target(text: &str, fields: &ObjectFields) -> Result<OverrideTarget, TargetError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TargetError::Empty);
    }
    if text.eq_ignore_ascii_case("ignore") {
        return Ok(OverrideTarget::Ignore);
    }
    if let Some(column) = RecordColumn::parse(text) {
        return Ok(OverrideTarget::Record(column));
    }
    let (field_text, part_text) = match text.split_once('.') {
        Some((field, part)) => (field.trim(), Some(part.trim())),
        None => (text, None),
    };
    let field = find_field(field_text, fields).ok_or_else(|| TargetError::UnknownField {
        kind: fields.kind,
        field: field_text.to_string(),
    })?;
    check_writable(field)?;
    let part = match part_text {
        None => field.field_type.default_part(),
        Some(_) if !field.field_type.is_composite() => {
            return Err(TargetError::NoParts {
                field: field.name.clone(),
                field_type: field.field_type.clone(),
            });
        }
        Some(part_text) => Some(Part::find(&field.field_type, part_text).ok_or_else(|| {
            TargetError::UnknownPart {
                field: field.name.clone(),
                part: part_text.to_string(),
                allowed: field
                    .field_type
                    .parts()
                    .iter()
                    .map(|p| p.wire_name())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?),
    };
    Ok(OverrideTarget::Field(FieldTarget::new(
        field.name.clone(),
        part,
    )))
}

/// The field `text` names: exactly, else the one whose name or label compacts like it
/// (mappable fields first).
fn find_field<'a>(text: &str, fields: &'a ObjectFields) -> Option<&'a FieldDef> {
    if let Some(field) = fields.get(text) {
        return Some(field);
    }
    let key = compact_header(text);
    let matches = |field: &&FieldDef| {
        compact_header(&field.name) == key || compact_header(&field.label) == key
    };
    fields
        .mappable()
        .find(matches)
        .or_else(|| fields.iter().find(matches))
}

fn check_writable(field: &FieldDef) -> Result<(), TargetError> {
    if field.name == EXTERNAL_ID_FIELD {
        return Err(TargetError::ExternalId {
            field: field.name.clone(),
        });
    }
    if !field.field_type.is_writable() || field.system {
        return Err(TargetError::NotWritable {
            field: field.name.clone(),
            field_type: field.field_type.clone(),
        });
    }
    if !field.active {
        return Err(TargetError::Inactive {
            field: field.name.clone(),
        });
    }
    Ok(())
}

/// The mapping choices people made, per kind: column (as they wrote it) → destination. A
/// column matches a header compared as headers are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingOverrides {
    by_kind: BTreeMap<EntityKind, BTreeMap<String, OverrideTarget>>,
}

impl MappingOverrides {
    /// Sets the destination of `column` for `kind`, replacing one set for the same column
    /// (however spelled).
    pub fn set(&mut self, kind: EntityKind, column: &str, target: OverrideTarget) {
        self.unset(kind, column);
        self.by_kind
            .entry(kind)
            .or_default()
            .insert(column.trim().to_string(), target);
    }

    /// Forgets the destination of `column`; `false` when none was set.
    pub fn unset(&mut self, kind: EntityKind, column: &str) -> bool {
        let key = compact_header(column);
        let Some(columns) = self.by_kind.get_mut(&kind) else {
            return false;
        };
        let before = columns.len();
        columns.retain(|name, _| compact_header(name) != key);
        before != columns.len()
    }

    /// The destination set for a header, if any.
    pub fn get(&self, kind: EntityKind, header: &str) -> Option<&OverrideTarget> {
        let key = compact_header(header);
        self.by_kind
            .get(&kind)?
            .iter()
            .find(|(name, _)| compact_header(name) == key)
            .map(|(_, target)| target)
    }

    /// Every override of `kind`, by column.
    pub fn of_kind(&self, kind: EntityKind) -> impl Iterator<Item = (&str, &OverrideTarget)> {
        self.by_kind
            .get(&kind)
            .into_iter()
            .flat_map(|columns| columns.iter().map(|(name, target)| (name.as_str(), target)))
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.values().all(BTreeMap::is_empty)
    }

    /// The overrides kept in the stored configuration: every value under a
    /// [`mapping_config_key`] (`mapping:company:Listing URL` → `listingUrl`), read back in the
    /// stored spelling ([`OverrideTarget::from_stored`]); a value that no longer reads is skipped
    /// (the mapping then reports the column as it finds it).
    pub fn from_config<'a>(
        values: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> MappingOverrides {
        let mut overrides = MappingOverrides::default();
        for (key, value) in values {
            let Some((kind, column)) = parse_mapping_config_key(key) else {
                continue;
            };
            if let Some(target) = OverrideTarget::from_stored(value) {
                overrides.set(kind, column, target);
            }
        }
        overrides
    }
}

/// The prefix of the configuration keys that hold mapping overrides; they are not settings.
pub const MAPPING_CONFIG_PREFIX: &str = "mapping:";

/// The configuration key of the override of `column` for `kind`: `mapping:company:Listing URL`.
pub fn mapping_config_key(kind: EntityKind, column: &str) -> String {
    format!("{MAPPING_CONFIG_PREFIX}{}:{}", kind.as_str(), column.trim())
}

/// The kind and column of a [`mapping_config_key`]; `None` for any other key.
pub fn parse_mapping_config_key(key: &str) -> Option<(EntityKind, &str)> {
    let rest = key.strip_prefix(MAPPING_CONFIG_PREFIX)?;
    let (kind, column) = rest.split_once(':')?;
    let kind = EntityKind::parse(kind)?;
    (!column.trim().is_empty()).then_some((kind, column))
}

impl OverrideTarget {
    /// The stored spelling of the target: `ignore`, a record column (`external_id`), or
    /// `field` / `field.part` by wire names, as [`std::fmt::Display`] writes it.
    pub fn from_stored(text: &str) -> Option<OverrideTarget> {
        let text = text.trim();
        if text == "ignore" {
            return Some(OverrideTarget::Ignore);
        }
        if let Some(column) = RecordColumn::parse(text) {
            return Some(OverrideTarget::Record(column));
        }
        FieldTarget::try_from(text.to_string())
            .ok()
            .map(OverrideTarget::Field)
    }
}
