//! A file's columns mapped to the workspace's fields, automatically first: overrides win, then
//! today's record columns, then a field's name or label, a field with a part, today's aliases,
//! and a part's own word ([`MatchedBy`] in that order). The mapping reports what a person
//! should know (columns that fill nothing, that could fill several fields, that fill the same
//! field as another) and reads a row's cells into [`FieldValues`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cells::{parse_cell, CellError, ReadHints};
use super::header_index::{HeaderIndex, Lookup, MatchedBy};
use super::known_columns::{KnownColumn, RecordColumn};
use super::model::ObjectFields;
use super::targets::{MappingOverrides, OverrideTarget};
use super::text::compact_header;
use super::wire::{FieldTarget, FieldValues};
use crate::domain::intent::EntityKind;

/// What a mapped column fills.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ColumnTarget {
    Field(FieldTarget),
    Record(RecordColumn),
}

impl std::fmt::Display for ColumnTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnTarget::Field(target) => target.fmt(f),
            ColumnTarget::Record(column) => f.write_str(column.as_str()),
        }
    }
}

/// One column of the file and what it fills (`None`: ignored, by choice or for want of a field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedColumn {
    /// The header as the file spells it (trimmed).
    pub header: String,
    pub target: Option<ColumnTarget>,
    /// How the target was found; `None` when the column fills nothing.
    pub matched_by: Option<MatchedBy>,
}

/// What a person should know about a mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingFinding {
    /// The column matches no field and is ignored.
    Unmapped { column: String },
    /// The column could fill several fields; it is ignored until an override says which.
    Ambiguous {
        column: String,
        candidates: Vec<String>,
    },
    /// Several columns fill the same target; the first non-empty value of a row is used.
    SameTarget {
        columns: Vec<String>,
        target: String,
    },
    /// An override names a field the data model does not have (any more) or cannot fill.
    OverrideUnusable { column: String, target: String },
}

impl std::fmt::Display for MappingFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |names: &[String]| {
            names
                .iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        match self {
            MappingFinding::Unmapped { column } => write!(
                f,
                "column '{column}' matches no field and is ignored; map it to a field to send it"
            ),
            MappingFinding::Ambiguous { column, candidates } => write!(
                f,
                "column '{column}' could fill {}; map it to the one you mean",
                candidates.join(" or ")
            ),
            MappingFinding::SameTarget { columns, target } => write!(
                f,
                "columns {} all fill {target}; the first non-empty value of each row is used",
                quoted(columns)
            ),
            MappingFinding::OverrideUnusable { column, target } => write!(
                f,
                "column '{column}' is mapped to {target}, which this workspace cannot fill any more; \
                 map it again"
            ),
        }
    }
}

/// The columns of one file for one kind, with the findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub kind: EntityKind,
    /// One entry per header, in the file's order.
    pub columns: Vec<MappedColumn>,
    pub findings: Vec<MappingFinding>,
}

/// A row read through a mapping: the field values, the record columns' text (first non-empty
/// per column), and the cells that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowValues {
    pub fields: FieldValues,
    pub record: BTreeMap<RecordColumn, String>,
    pub errors: Vec<CellError>,
}

/// Proposes what each header fills for `kind`, given the object's fields and the overrides.
/// Empty headers fill nothing and are not reported.
pub fn propose_mapping(
    kind: EntityKind,
    headers: &[impl AsRef<str>],
    fields: &ObjectFields,
    overrides: &MappingOverrides,
) -> ColumnMapping {
    let index = HeaderIndex::new(fields);
    let mut findings = Vec::new();
    let mut columns = Vec::with_capacity(headers.len());
    for header in headers {
        let header = header.as_ref().trim().trim_start_matches('\u{feff}').trim();
        let (target, matched_by) = match overrides.get(kind, header) {
            Some(chosen) => match usable_override(chosen, fields) {
                Some(target) => (Some(target), Some(MatchedBy::Override)),
                None => {
                    if !matches!(chosen, OverrideTarget::Ignore) {
                        findings.push(MappingFinding::OverrideUnusable {
                            column: header.to_string(),
                            target: chosen.to_string(),
                        });
                    }
                    (None, None)
                }
            },
            None => automatic(header, &index, &mut findings),
        };
        columns.push(MappedColumn {
            header: header.to_string(),
            target,
            matched_by,
        });
    }
    let mut by_target: BTreeMap<&ColumnTarget, Vec<String>> = BTreeMap::new();
    for column in &columns {
        if let Some(target) = &column.target {
            by_target
                .entry(target)
                .or_default()
                .push(column.header.clone());
        }
    }
    for (target, headers) in by_target.into_iter().filter(|(_, h)| h.len() > 1) {
        findings.push(MappingFinding::SameTarget {
            columns: headers,
            target: target.to_string(),
        });
    }
    ColumnMapping {
        kind,
        columns,
        findings,
    }
}

/// An override's target, if the data model can still fill it.
fn usable_override(chosen: &OverrideTarget, fields: &ObjectFields) -> Option<ColumnTarget> {
    match chosen {
        OverrideTarget::Ignore => None,
        OverrideTarget::Record(column) => Some(ColumnTarget::Record(*column)),
        OverrideTarget::Field(target) => {
            let field = fields.get(&target.field).filter(|f| f.is_mappable())?;
            let part_ok = match target.part {
                Some(part) => field.field_type.parts().contains(&part),
                None => {
                    !field.field_type.is_composite() || field.field_type.default_part().is_none()
                }
            };
            part_ok.then(|| ColumnTarget::Field(target.clone()))
        }
    }
}

fn automatic(
    header: &str,
    index: &HeaderIndex,
    findings: &mut Vec<MappingFinding>,
) -> (Option<ColumnTarget>, Option<MatchedBy>) {
    let key = compact_header(header);
    if key.is_empty() {
        return (None, None);
    }
    if let Some(record) = KnownColumn::from_compact(&key).and_then(KnownColumn::record_column) {
        return (
            Some(ColumnTarget::Record(record)),
            Some(MatchedBy::RecordColumn),
        );
    }
    match index.lookup(&key) {
        Lookup::Found(target, matched_by) => (Some(ColumnTarget::Field(target)), Some(matched_by)),
        Lookup::Ambiguous(candidates) => {
            findings.push(MappingFinding::Ambiguous {
                column: header.to_string(),
                candidates: candidates.iter().map(FieldTarget::to_string).collect(),
            });
            (None, None)
        }
        Lookup::NotFound => {
            findings.push(MappingFinding::Unmapped {
                column: header.to_string(),
            });
            (None, None)
        }
    }
}

impl ColumnMapping {
    /// Reads one row (cells in the headers' order; missing cells are empty). Every cell is
    /// read, so a row reports all its errors at once.
    pub fn read_row(
        &self,
        fields: &ObjectFields,
        cells: &[impl AsRef<str>],
        hints: ReadHints,
    ) -> RowValues {
        let mut row = RowValues::default();
        for (column, cell) in self.columns.iter().zip(cells.iter().map(AsRef::as_ref)) {
            match &column.target {
                None => {}
                Some(ColumnTarget::Record(record)) => {
                    let text = cell.trim();
                    if !text.is_empty() {
                        row.record
                            .entry(*record)
                            .or_insert_with(|| text.to_string());
                    }
                }
                Some(ColumnTarget::Field(target)) => {
                    let Some(field) = fields.get(&target.field) else {
                        continue;
                    };
                    match parse_cell(field, target.part, &column.header, cell, hints) {
                        Ok(Some(value)) => {
                            row.fields.set(target.clone(), value);
                        }
                        Ok(None) => {}
                        Err(error) => row.errors.push(error),
                    }
                }
            }
        }
        row
    }

    /// The column filling `target`, if any (the first one).
    pub fn column_of(&self, target: &ColumnTarget) -> Option<&MappedColumn> {
        self.columns
            .iter()
            .find(|column| column.target.as_ref() == Some(target))
    }
}
