//! The workspace's fields and the mapping overrides as operations: [`Fields`] (`twenty-sync
//! fields`, reading the data model again from Twenty when asked), [`MappingShow`],
//! [`MappingSet`] and [`MappingUnset`] (`twenty-sync mapping …`, kept as `mapping:<kind>:<column>`
//! configuration values in one `ConfigChanged` event each). Each has one function over a
//! [`Store`] and the settings in force, run by the agent and by a CLI holding the store alike.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::commands::kind_name;
use super::{blocking, OpError, Operation};
use crate::app::connection::ConnectionError;
use crate::app::fields::{fields_in_force, refresh_data_model, FieldsInForce, RefreshError};
use crate::app::Live;
use crate::config::{save_mapping_values, Settings};
use crate::domain::fields::{
    compact_header, mapping_config_key, parse_mapping_config_key, parse_target, FieldDef,
    FieldOption, FieldOrigin, MappingOverrides,
};
use crate::domain::EntityKind;
use crate::store::Store;
use crate::twenty::{ClientConfig, RequestBudget, TwentyClient, TwentyTarget};

/// The fields in force (`twenty-sync fields [company|person] [--refresh]`): of one kind, or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    /// `company` or `person`; both when absent.
    #[serde(default)]
    pub kind: Option<String>,
    /// Read the data model from Twenty first (with the settings in force).
    #[serde(default)]
    pub refresh: bool,
}

/// The fields in force, per kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsReport {
    /// The server the data model was read from; `None`: Twenty's standard fields.
    pub read_from: Option<String>,
    /// When the list is Twenty's standard fields: why, and how to read the workspace's own.
    pub note: Option<String>,
    pub kinds: Vec<KindFields>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindFields {
    pub kind: String,
    pub fields: Vec<FieldRow>,
}

/// One field as `fields` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRow {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: String,
    /// SELECT / MULTI_SELECT / RATING options (value and label).
    pub options: Vec<FieldOption>,
    pub nullable: bool,
    pub unique: bool,
    /// `custom` or `standard`.
    pub origin: String,
    /// Whether a column (or `--field`) may fill it.
    pub mappable: bool,
    /// The parts a column can fill (`addressCity`, …), by wire name; empty for simple types.
    pub parts: Vec<String>,
}

impl FieldRow {
    fn of(field: &FieldDef) -> FieldRow {
        FieldRow {
            name: field.name.clone(),
            label: field.label.clone(),
            field_type: field.field_type.to_string(),
            options: field.effective_options().into_owned(),
            nullable: field.nullable,
            unique: field.unique,
            origin: match field.origin {
                FieldOrigin::Custom => "custom",
                FieldOrigin::Standard => "standard",
            }
            .to_string(),
            mappable: field.is_mappable(),
            parts: field
                .field_type
                .parts()
                .iter()
                .map(|part| part.wire_name().to_string())
                .collect(),
        }
    }
}

/// The kinds `kind` names (both when absent), or a refusal naming the two.
pub fn kinds_of(kind: Option<&str>) -> Result<Vec<EntityKind>, OpError> {
    match kind {
        None => Ok(vec![EntityKind::Company, EntityKind::Person]),
        Some(name) => EntityKind::parse(name.trim())
            .map(|kind| vec![kind])
            .ok_or_else(|| OpError::BadRequest {
                message: format!("unknown kind '{name}'; use company or person"),
                field: Some("kind".into()),
            }),
    }
}

impl Fields {
    /// The report over `store` for `settings`' server.
    pub fn report(&self, store: &Store, settings: &Settings) -> Result<FieldsReport, OpError> {
        let kinds = kinds_of(self.kind.as_deref())?;
        let FieldsInForce {
            model, read_from, ..
        } = fields_in_force(store, settings)?;
        let note = read_from.is_none().then(|| {
            "these are Twenty's standard fields: the workspace's data model was not read yet \
             (or no server is configured); read it with `twenty-sync fields --refresh`"
                .to_string()
        });
        Ok(FieldsReport {
            read_from,
            note,
            kinds: kinds
                .into_iter()
                .map(|kind| KindFields {
                    kind: kind.as_str().to_string(),
                    fields: model.object(kind).iter().map(FieldRow::of).collect(),
                })
                .collect(),
        })
    }
}

/// What a refusal against Twenty's standard fields adds: the workspace's own were not read.
pub fn standard_hint(in_force: &FieldsInForce) -> &'static str {
    if in_force.read_from.is_none() {
        " (these are Twenty's standard fields: the workspace's were not read yet; read them with \
         `twenty-sync fields --refresh`)"
    } else {
        ""
    }
}

/// The Twenty client of `settings` on `budget`, refused naming the missing setting.
pub fn client_of(settings: &Settings, budget: Arc<RequestBudget>) -> Result<TwentyClient, OpError> {
    let target =
        TwentyTarget::from_settings(settings).map_err(|error| ConnectionError::Invalid {
            setting: error.setting,
            message: error.message,
        })?;
    TwentyClient::new(ClientConfig::for_target(target), budget)
        .map_err(|error| OpError::bad_request(error.to_string()))
}

/// Reads the data model again from Twenty (`fields --refresh`) and records it when it changed.
pub async fn refresh(store: &Store, client: &TwentyClient) -> Result<(), OpError> {
    super::commands::recall_server(store, client);
    refresh_data_model(store, client)
        .await
        .map(|_| ())
        .map_err(|error| match error {
            RefreshError::Store(error) => OpError::Store(error),
            RefreshError::Twenty(error) => OpError::Unavailable(format!(
                "the data model could not be read from Twenty: {error}"
            )),
        })
}

impl Operation for Fields {
    type Reply = FieldsReport;

    async fn run(self, live: &Live) -> Result<FieldsReport, OpError> {
        let handle = live.handle().clone();
        let settings = handle.settings();
        kinds_of(self.kind.as_deref())?;
        if self.refresh {
            let client = client_of(&settings, handle.budget())?;
            refresh(handle.store(), &client).await?;
        }
        let store = handle.store().clone();
        blocking(move || self.report(&store, &settings)).await
    }
}

/// The mapping overrides (`twenty-sync mapping show`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingShow {}

/// Every override, by kind then column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingReport {
    pub overrides: Vec<OverrideRow>,
}

/// One override: a column of `kind` sent to `target` (`field`, `field.part`, a record column
/// such as `external_id`, or `ignore`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRow {
    #[serde(with = "kind_name")]
    pub kind: EntityKind,
    pub column: String,
    pub target: String,
}

fn overrides_of(store: &Store) -> Result<MappingOverrides, OpError> {
    Ok(store
        .config()?
        .map(|row| MappingOverrides::from_config(&row.values))
        .unwrap_or_default())
}

impl MappingShow {
    pub fn report(&self, store: &Store) -> Result<MappingReport, OpError> {
        let overrides = overrides_of(store)?;
        let overrides = [EntityKind::Company, EntityKind::Person]
            .into_iter()
            .flat_map(|kind| {
                overrides
                    .of_kind(kind)
                    .map(|(column, target)| OverrideRow {
                        kind,
                        column: column.to_string(),
                        target: target.to_string(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(MappingReport { overrides })
    }
}

impl Operation for MappingShow {
    type Reply = MappingReport;

    async fn run(self, live: &Live) -> Result<MappingReport, OpError> {
        let store = live.handle().store().clone();
        blocking(move || self.report(&store)).await
    }
}

/// Sends `column` of `kind` to `target` from now on (`twenty-sync mapping set`), checked against
/// the fields in force. Answers the override as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSet {
    #[serde(with = "kind_name")]
    pub kind: EntityKind,
    pub column: String,
    /// `FIELD[.PART]`, a record column (`external_id`, …) or `ignore`.
    pub target: String,
}

/// The stored keys of `column` of `kind` (however spelled), with their values.
fn keys_of(
    store: &Store,
    kind: EntityKind,
    column: &str,
) -> Result<Vec<(String, String)>, OpError> {
    let wanted = compact_header(column);
    Ok(store
        .config()?
        .map(|row| {
            row.values
                .into_iter()
                .filter(|(key, _)| {
                    parse_mapping_config_key(key)
                        .is_some_and(|(k, c)| k == kind && compact_header(c) == wanted)
                })
                .collect()
        })
        .unwrap_or_default())
}

fn check_column(column: &str) -> Result<&str, OpError> {
    let column = column.trim();
    if column.is_empty() {
        return Err(OpError::BadRequest {
            message: "no column was named; give the column's header as the file spells it".into(),
            field: Some("column".into()),
        });
    }
    Ok(column)
}

impl MappingSet {
    pub fn save(
        &self,
        store: &Store,
        settings: &Settings,
        by: &str,
    ) -> Result<OverrideRow, OpError> {
        let column = check_column(&self.column)?;
        let in_force = fields_in_force(store, settings)?;
        let target =
            parse_target(&self.target, in_force.model.object(self.kind)).map_err(|error| {
                OpError::BadRequest {
                    message: format!("{error}{}", standard_hint(&in_force)),
                    field: Some("target".into()),
                }
            })?;
        let stored = target.to_string();
        let key = mapping_config_key(self.kind, column);
        let existing = keys_of(store, self.kind, column)?;
        let row = OverrideRow {
            kind: self.kind,
            column: column.to_string(),
            target: stored.clone(),
        };
        if matches!(existing.as_slice(), [(old_key, old)] if *old_key == key && *old == stored) {
            return Ok(row); // Kept already: no event.
        }
        let mut values: Vec<(String, Option<String>)> =
            existing.into_iter().map(|(key, _)| (key, None)).collect();
        values.push((key, Some(stored)));
        save_mapping_values(store, values, by)?;
        Ok(row)
    }
}

impl Operation for MappingSet {
    type Reply = OverrideRow;

    async fn run(self, live: &Live) -> Result<OverrideRow, OpError> {
        let handle = live.handle().clone();
        let by = live.caller();
        blocking(move || self.save(handle.store(), &handle.settings(), by)).await
    }
}

/// Forgets the override of `column` of `kind` (`twenty-sync mapping unset`): the column is
/// mapped automatically again. Answers the override that was removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingUnset {
    #[serde(with = "kind_name")]
    pub kind: EntityKind,
    pub column: String,
}

impl MappingUnset {
    pub fn save(&self, store: &Store, by: &str) -> Result<OverrideRow, OpError> {
        let column = check_column(&self.column)?;
        let keys = keys_of(store, self.kind, column)?;
        let Some((_, target)) = keys.first() else {
            return Err(OpError::NotFound(format!(
                "no mapping is set for {} column '{column}'; `twenty-sync mapping show` lists them",
                self.kind
            )));
        };
        let row = OverrideRow {
            kind: self.kind,
            column: column.to_string(),
            target: target.clone(),
        };
        let values = keys.into_iter().map(|(key, _)| (key, None)).collect();
        save_mapping_values(store, values, by)?;
        Ok(row)
    }
}

impl Operation for MappingUnset {
    type Reply = OverrideRow;

    async fn run(self, live: &Live) -> Result<OverrideRow, OpError> {
        let store = live.handle().store().clone();
        let by = live.caller();
        blocking(move || self.save(&store, by)).await
    }
}
