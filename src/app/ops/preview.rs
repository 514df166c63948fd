//! The Imports screen's mapping table: [`ImportPreview`] reads the beginning of a file the
//! browser holds (CSV with a sniffed delimiter, a JSON array, NDJSON), decides its kind as the
//! import does (a `type` column, else the file name), proposes each column's field against the
//! fields in force (data model + stored overrides + the screen's unsaved choices) and reads the
//! first rows' cells against their fields; [`MappingSet`] keeps one column's choice as an
//! override (`mapping:<kind>:<column>` in the stored configuration, a `ConfigChanged` event).

use serde::{Deserialize, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::fields::{fields_in_force, refresh_data_model, FieldsInForce};
use crate::app::Live;
use crate::domain::fields::{
    parse_cell, parse_items, parse_target, propose_mapping, ColumnTarget, FieldType, KnownColumn,
    MatchedBy, ObjectFields, OverrideTarget, ReadHints, RecordColumn,
};
use crate::domain::EntityKind;
use crate::import::columns::kind_from_file_name;
use crate::twenty::{ClientConfig, TwentyClient, TwentyTarget};

/// The most text a preview reads: the beginning of a file, not the file.
pub const MAX_PREVIEW_BYTES: usize = 256 * 1024;
/// The rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// The mapping table of a file: its first bytes as text (the browser reads them), the kind
/// chosen on the screen, and the screen's unsaved choices.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportPreview {
    pub file_name: String,
    /// The beginning of the file (at most [`MAX_PREVIEW_BYTES`]).
    pub text: String,
    /// The whole file is in `text`: its last line is complete even without a line break.
    #[serde(default)]
    pub complete: bool,
    /// The kind to preview (a file of both kinds, or one its name does not tell).
    /// `company` or `person`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Choices not saved yet, applied over the stored overrides.
    #[serde(default)]
    pub overrides: Vec<ColumnChoice>,
    /// Read the workspace's data model from Twenty first when none was read yet (the screen
    /// asks so when a file is first shown).
    #[serde(default)]
    pub read_data_model: bool,
}

/// The file's text is not shown (a request may be logged): only its length.
impl std::fmt::Debug for ImportPreview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportPreview")
            .field("file_name", &self.file_name)
            .field("text_bytes", &self.text.len())
            .field("complete", &self.complete)
            .field("kind", &self.kind)
            .field("overrides", &self.overrides)
            .field("read_data_model", &self.read_data_model)
            .finish()
    }
}

/// One column's chosen destination: `FIELD[.PART]`, a record column, or `ignore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnChoice {
    pub column: String,
    pub target: String,
}

/// The mapping table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewReply {
    pub file_name: String,
    /// `csv (,)`, `json`, `ndjson`.
    pub format: String,
    /// The kind previewed: `company` or `person`.
    pub kind: String,
    /// The kinds the screen may choose between (the file's own, or both when it does not say).
    pub kinds: Vec<String>,
    /// How the kind was decided, in a sentence.
    pub kind_note: String,
    /// Where the fields come from: the server the data model was read from, else `None`
    /// (Twenty's standard fields).
    pub model_from: Option<String>,
    pub columns: Vec<PreviewColumn>,
    /// What a person should know about the mapping, as sentences.
    pub findings: Vec<String>,
    /// Every destination a column may be given, for the screen's choice.
    pub targets: Vec<TargetChoice>,
    /// The first rows of the kind (at most [`PREVIEW_ROWS`]).
    pub rows: Vec<PreviewRow>,
    /// Rows of the kind in the text read, shown or not.
    pub rows_read: usize,
    /// The text was the beginning of a longer file.
    pub partial: bool,
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewColumn {
    pub header: String,
    /// The destination in its stored spelling (`address.addressCity`, `external_id`); `None`:
    /// not imported.
    pub target: Option<String>,
    pub matched_by: Option<MatchedBy>,
    /// The override stored for this column, if any.
    pub saved: Option<String>,
    /// Why the screen's choice for this column was not used.
    pub error: Option<String>,
}

/// A destination in the screen's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetChoice {
    /// What is stored and sent back (`ignore`, `external_id`, `address.addressCity`).
    pub value: String,
    /// What people read: `Don't import`, `Address › City`.
    pub label: String,
    /// `record`, `field` or `ignore`.
    pub group: String,
    /// The field's type (`SELECT`, `ADDRESS`); empty for record columns and `ignore`.
    pub field_type: String,
}

/// One row of the preview: its number in the file (from 1) and a cell per column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub number: usize,
    pub cells: Vec<PreviewCell>,
}

/// One value and whether it can be sent as its column is mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewCell {
    pub value: String,
    pub valid: bool,
    /// What is wrong and what to write instead.
    pub problem: Option<String>,
    /// For select and rating fields: the options' labels.
    pub allowed: Vec<String>,
}

/// Why a file cannot be previewed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error(
        "the preview reads at most 256 KiB of a file ({given} bytes were sent); send its beginning"
    )]
    TooBig { given: usize },
    #[error("{file} is empty: nothing to map")]
    Empty { file: String },
    #[error("{file} has no header line: its first line names the columns")]
    NoHeaders { file: String },
    #[error("unknown kind '{0}'; use company or person")]
    UnknownKind(String),
    #[error("{file} cannot be read: {detail}")]
    Malformed { file: String, detail: String },
}

impl From<PreviewError> for OpError {
    fn from(error: PreviewError) -> OpError {
        let field = match error {
            PreviewError::TooBig { .. } => "text",
            PreviewError::UnknownKind(_) => "kind",
            _ => "file_name",
        };
        OpError::BadRequest {
            message: error.to_string(),
            field: Some(field.to_string()),
        }
    }
}

impl Operation for ImportPreview {
    type Reply = PreviewReply;

    async fn run(self, live: &Live) -> Result<PreviewReply, OpError> {
        if self.text.len() > MAX_PREVIEW_BYTES {
            return Err(PreviewError::TooBig {
                given: self.text.len(),
            }
            .into());
        }
        let handle = live.handle().clone();
        let settings = handle.settings();
        let store = handle.store().clone();
        let in_force = {
            let settings = settings.clone();
            blocking(move || Ok(fields_in_force(&store, &settings)?)).await?
        };
        // The data model is read once, when a file is first shown and none was read from the
        // configured server yet (re-asking after each choice does not wait for Twenty again).
        let in_force = if in_force.read_from.is_none() && self.read_data_model {
            read_model(&handle, &settings).await.unwrap_or(in_force)
        } else {
            in_force
        };
        Ok(preview(&self, &in_force)?)
    }
}

/// How long a preview waits for Twenty's data model before it uses what it has.
const READ_MODEL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The fields in force with the data model read from the configured server now; `None` when
/// no server is configured or it did not answer in time (said in the log).
async fn read_model(
    handle: &crate::app::agent::AgentHandle,
    settings: &crate::config::Settings,
) -> Option<FieldsInForce> {
    let target = TwentyTarget::from_settings(settings).ok()?;
    let client = TwentyClient::new(ClientConfig::for_target(target), handle.budget()).ok()?;
    let read = tokio::time::timeout(READ_MODEL_WAIT, refresh_data_model(handle.store(), &client));
    match read.await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            tracing::info!(%error, "the data model could not be read for an import preview");
            return None;
        }
        Err(_) => {
            tracing::info!(
                "Twenty did not answer in time with the data model for an import preview"
            );
            return None;
        }
    }
    let store = handle.store().clone();
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || fields_in_force(&store, &settings).ok())
        .await
        .ok()
        .flatten()
}

/// The mapping table of `request` against the fields in force (no I/O).
pub fn preview(
    request: &ImportPreview,
    in_force: &FieldsInForce,
) -> Result<PreviewReply, PreviewError> {
    if request.text.len() > MAX_PREVIEW_BYTES {
        return Err(PreviewError::TooBig {
            given: request.text.len(),
        });
    }
    let file = request.file_name.trim().to_string();
    let asked = match request.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            EntityKind::parse(text).ok_or_else(|| PreviewError::UnknownKind(text.to_string()))?,
        ),
    };
    let sample = read_sample(&file, &request.text, request.complete)?;
    if sample.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(PreviewError::NoHeaders { file });
    }

    // The kind, as the import decides it: a row's `type` cell, else the file's name.
    let type_column = sample
        .headers
        .iter()
        .position(|h| KnownColumn::recognise(h) == Some(KnownColumn::Type));
    let by_name = kind_from_file_name(&file);
    let row_kind = |row: &[Cell]| -> Option<EntityKind> {
        match type_column.and_then(|i| row.get(i)).map(Cell::text) {
            Some(text) if !text.trim().is_empty() => EntityKind::parse(text.trim()),
            _ => by_name,
        }
    };
    let mut found: Vec<EntityKind> = Vec::new();
    for row in &sample.rows {
        if let Some(kind) = row_kind(row) {
            if !found.contains(&kind) {
                found.push(kind);
            }
        }
    }
    found.sort();
    let (kind, kind_note) = match (asked, found.first()) {
        (Some(kind), _) => (kind, format!("showing the {} rows", label_of(kind))),
        (None, Some(&kind)) if type_column.is_some() && found.len() > 1 => (
            kind,
            format!(
                "the file holds companies and people (its type column); showing the {} rows",
                label_of(kind)
            ),
        ),
        (None, Some(&kind)) if type_column.is_some() => (
            kind,
            format!("the type column says {}", plural_of(kind)),
        ),
        (None, Some(&kind)) => (kind, format!("the file name says {}", plural_of(kind))),
        (None, None) => (
            EntityKind::Company,
            "the file does not say whether it holds companies or people (its name, a type column); choose which"
                .to_string(),
        ),
    };
    let mut kinds = if found.is_empty() {
        EntityKind::ALL.to_vec()
    } else {
        found.clone()
    };
    if !kinds.contains(&kind) {
        kinds.push(kind);
        kinds.sort();
    }

    let fields = in_force.model.object(kind);
    let mut overrides = in_force.overrides.clone();
    let mut errors: Vec<(String, String)> = Vec::new();
    for choice in &request.overrides {
        match parse_target(&choice.target, fields) {
            Ok(target) => overrides.set(kind, &choice.column, target),
            Err(error) => errors.push((choice.column.clone(), error.to_string())),
        }
    }
    let mapping = propose_mapping(kind, &sample.headers, fields, &overrides);
    let columns = mapping
        .columns
        .iter()
        .map(|column| PreviewColumn {
            header: column.header.clone(),
            target: column.target.as_ref().map(ColumnTarget::to_string),
            matched_by: column.matched_by,
            saved: in_force
                .overrides
                .get(kind, &column.header)
                .map(OverrideTarget::to_string),
            error: errors
                .iter()
                .find(|(c, _)| c.trim() == column.header)
                .map(|(_, e)| e.clone()),
        })
        .collect();

    let of_kind: Vec<(usize, &Vec<Cell>)> = sample
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row_kind(row).unwrap_or(kind) == kind)
        .collect();
    let rows = of_kind
        .iter()
        .take(PREVIEW_ROWS)
        .map(|(index, row)| PreviewRow {
            number: index + 1,
            cells: mapping
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| {
                    let cell = row.get(i).cloned().unwrap_or_default();
                    read_cell(fields, column.target.as_ref(), &column.header, &cell)
                })
                .collect(),
        })
        .collect();

    Ok(PreviewReply {
        file_name: file,
        format: sample.format,
        kind: kind.as_str().to_string(),
        kinds: kinds.iter().map(|k| k.as_str().to_string()).collect(),
        kind_note,
        model_from: in_force.read_from.clone(),
        columns,
        findings: mapping.findings.iter().map(ToString::to_string).collect(),
        targets: target_choices(fields),
        rows,
        rows_read: of_kind.len(),
        partial: !request.complete,
    })
}

fn label_of(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "company",
        EntityKind::Person => "person",
    }
}

fn plural_of(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "companies",
        EntityKind::Person => "people",
    }
}

/// A cell read for its column's destination.
fn read_cell(
    fields: &ObjectFields,
    target: Option<&ColumnTarget>,
    header: &str,
    cell: &Cell,
) -> PreviewCell {
    let value = cell.shown();
    let ok = |value: String| PreviewCell {
        value,
        valid: true,
        problem: None,
        allowed: Vec::new(),
    };
    let result = match target {
        None => return ok(value),
        Some(ColumnTarget::Record(RecordColumn::Kind)) => {
            let text = value.trim();
            if text.is_empty() || EntityKind::parse(text).is_some() {
                return ok(value);
            }
            return PreviewCell {
                value,
                valid: false,
                problem: Some("must be company or person".to_string()),
                allowed: vec!["company".to_string(), "person".to_string()],
            };
        }
        Some(ColumnTarget::Record(_)) => return ok(value),
        Some(ColumnTarget::Field(target)) => {
            let Some(field) = fields.get(&target.field) else {
                return ok(value);
            };
            match cell {
                Cell::Text(text) => {
                    parse_cell(field, target.part, header, text, ReadHints::default())
                }
                Cell::List(items) => parse_items(field, target.part, header, items),
            }
        }
    };
    match result {
        Ok(_) => ok(value),
        Err(error) => PreviewCell {
            value,
            valid: false,
            problem: Some(error.problem),
            allowed: error.allowed,
        },
    }
}

/// Every destination of `fields`' kind: `Don't import`, the record columns, then each mappable
/// field (each part of a composite field) by label.
fn target_choices(fields: &ObjectFields) -> Vec<TargetChoice> {
    let mut choices = vec![TargetChoice {
        value: OverrideTarget::Ignore.to_string(),
        label: "Don't import".to_string(),
        group: "ignore".to_string(),
        field_type: String::new(),
    }];
    for (column, label) in [
        (RecordColumn::ExternalId, "External id (the record's key)"),
        (RecordColumn::Kind, "Type (company or person)"),
        (RecordColumn::CompanyExternalId, "Company's external id"),
        (RecordColumn::CompanyName, "Company name"),
    ] {
        choices.push(TargetChoice {
            value: column.as_str().to_string(),
            label: label.to_string(),
            group: "record".to_string(),
            field_type: String::new(),
        });
    }
    let mut mappable: Vec<_> = fields.mappable().collect();
    mappable.sort_by_key(|field| (field.label.to_lowercase(), field.name.clone()));
    for field in mappable {
        let field_type = field.field_type.as_str().to_string();
        let parts = field.field_type.parts();
        let whole = parts.is_empty()
            || field.field_type.default_part().is_none()
            || matches!(field.field_type, FieldType::FullName);
        if whole {
            choices.push(TargetChoice {
                value: field.name.clone(),
                label: field.label.clone(),
                group: "field".to_string(),
                field_type: field_type.clone(),
            });
        }
        for part in parts {
            choices.push(TargetChoice {
                value: format!("{}.{}", field.name, part.wire_name()),
                label: format!("{} › {}", field.label, part.label()),
                group: "field".to_string(),
                field_type: field_type.clone(),
            });
        }
    }
    choices
}

mod sample;

use sample::{read_sample, Cell};

#[cfg(test)]
mod tests;
