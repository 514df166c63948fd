//! A file's columns mapped to the fields in force: each header proposed a target per kind with
//! `domain::fields::propose_mapping` (the overrides, then one run's `--map`), and the split of
//! every target between the intent's fixed fields (the record columns and the fields matching,
//! search, adoption and the company link rely on, validated as `push` validates them) and its
//! typed other values, read with `parse_cell` / `parse_items`. A row's cells go through
//! [`FileMapping::draft`]; the mapping is computed once per file (again only when a JSON file
//! shows a key not met before), never per row.

pub use crate::domain::fields::{fixed_field, FixedField as Fixed};
use std::collections::BTreeSet;
use std::sync::Arc;

use super::parse::{truncate, Cell, Headers};
use crate::domain::fields::{
    parse_target, propose_mapping, CellError, ColumnMapping, ColumnTarget, DataModel, FieldDef,
    FieldTarget, MappingFinding, MappingOverrides, ReadHints, RecordColumn, TargetError,
};
use crate::domain::{EntityKind, IntentDraft};

/// The fields a file is mapped against: the workspace's data model (Twenty's standard fields
/// until it was read) and the overrides in force for this import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFields {
    pub model: DataModel,
    pub overrides: MappingOverrides,
}

impl Default for ImportFields {
    fn default() -> Self {
        ImportFields {
            model: DataModel::standard(),
            overrides: MappingOverrides::default(),
        }
    }
}

/// Why a `--map COLUMN=FIELD[.PART]` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("--map {given}: write COLUMN=FIELD or COLUMN=FIELD.PART (for example --map \"Listing URL=listingUrl\")")]
    Malformed { given: String },
    #[error("--map {column}={target}: {problem}; name a field of the workspace (`twenty-sync fields` lists them), `ignore`, or a record column such as external_id")]
    Target {
        column: String,
        target: String,
        problem: String,
    },
}

impl ImportFields {
    /// Applies one run's `--map COLUMN=FIELD[.PART]` choices on top of the stored overrides:
    /// each is parsed against both kinds' fields and kept for every kind it names a field of.
    pub fn with_one_run_map(mut self, map: &[String]) -> Result<ImportFields, MapError> {
        for given in map {
            let Some((column, target)) = given.rsplit_once('=') else {
                return Err(MapError::Malformed {
                    given: given.clone(),
                });
            };
            let (column, target) = (column.trim(), target.trim());
            if column.is_empty() || target.is_empty() {
                return Err(MapError::Malformed {
                    given: given.clone(),
                });
            }
            let mut first_error: Option<TargetError> = None;
            let mut used = false;
            for kind in [EntityKind::Person, EntityKind::Company] {
                match parse_target(target, self.model.object(kind)) {
                    Ok(chosen) => {
                        self.overrides.set(kind, column, chosen);
                        used = true;
                    }
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
            if !used {
                return Err(MapError::Target {
                    column: column.to_string(),
                    target: target.to_string(),
                    problem: first_error.map(|e| e.to_string()).unwrap_or_default(),
                });
            }
        }
        Ok(self)
    }
}

/// Where one column's cells go, for one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Ignored,
    Record(RecordColumn),
    /// A field: `def` indexes the plan's field definitions; `fixed` when it is a fixed field.
    Field {
        def: usize,
        target: FieldTarget,
        fixed: Option<Fixed>,
    },
}

/// One kind's mapping of the file, ready for rows.
#[derive(Debug, Clone)]
struct KindPlan {
    mapping: ColumnMapping,
    slots: Vec<Slot>,
    defs: Vec<FieldDef>,
}

impl KindPlan {
    fn new(kind: EntityKind, headers: &[String], fields: &ImportFields) -> KindPlan {
        let object = fields.model.object(kind);
        let mapping = propose_mapping(kind, headers, object, &fields.overrides);
        let mut defs: Vec<FieldDef> = Vec::new();
        let slots = mapping
            .columns
            .iter()
            .map(|column| match &column.target {
                None => Slot::Ignored,
                Some(ColumnTarget::Record(record)) => Slot::Record(*record),
                Some(ColumnTarget::Field(target)) => match object.get(&target.field) {
                    None => Slot::Ignored,
                    Some(field) => {
                        let def = match defs.iter().position(|d| d.name == field.name) {
                            Some(def) => def,
                            None => {
                                defs.push(field.clone());
                                defs.len() - 1
                            }
                        };
                        Slot::Field {
                            def,
                            target: target.clone(),
                            fixed: fixed_field(kind, target),
                        }
                    }
                },
            })
            .collect();
        KindPlan {
            mapping,
            slots,
            defs,
        }
    }

    fn header(&self, column: usize) -> &str {
        self.mapping
            .columns
            .get(column)
            .map(|c| c.header.as_str())
            .unwrap_or_default()
    }

    fn has_record(&self, record: RecordColumn) -> bool {
        self.slots.contains(&Slot::Record(record))
    }

    fn has_fixed(&self, fixed: Fixed) -> bool {
        self.slots
            .iter()
            .any(|slot| matches!(slot, Slot::Field { fixed: Some(f), .. } if *f == fixed))
    }

    fn any_mapped(&self) -> bool {
        self.slots.iter().any(|slot| *slot != Slot::Ignored)
    }

    /// The header of the first column filling a validation error's field.
    fn header_of_field<'a>(&'a self, field: &'a str) -> &'a str {
        let found = self.slots.iter().position(|slot| match slot {
            Slot::Record(record) => record.as_str() == field,
            Slot::Field { fixed: Some(f), .. } => f.field_name() == field,
            _ => false,
        });
        match found {
            Some(column) => self.header(column),
            None => field,
        }
    }
}

/// One row's draft, before validation, with the cells that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowDraft {
    pub draft: IntentDraft,
    pub kind_cell: Option<String>,
    pub errors: Vec<CellError>,
}

/// A file's mapping for both kinds.
#[derive(Debug, Clone)]
pub struct FileMapping {
    fields: Arc<ImportFields>,
    file_kind: Option<EntityKind>,
    hints: ReadHints,
    company: KindPlan,
    person: KindPlan,
    headers: usize,
    /// Choice cells already read in this pass.
    choices: read::ChoiceMemo,
}

impl FileMapping {
    pub fn new(
        fields: Arc<ImportFields>,
        file_kind: Option<EntityKind>,
        headers: &Headers,
    ) -> FileMapping {
        let names = headers.names();
        FileMapping {
            company: KindPlan::new(EntityKind::Company, names, &fields),
            person: KindPlan::new(EntityKind::Person, names, &fields),
            fields,
            file_kind,
            hints: ReadHints::default(),
            headers: names.len(),
            choices: Default::default(),
        }
    }

    /// Maps the headers again when a JSON file met new keys (never per row otherwise).
    pub fn sync(&mut self, headers: &Headers) {
        if headers.len() != self.headers {
            *self = FileMapping::new(self.fields.clone(), self.file_kind, headers);
        }
    }

    fn plan(&self, kind: EntityKind) -> &KindPlan {
        match kind {
            EntityKind::Company => &self.company,
            EntityKind::Person => &self.person,
        }
    }

    /// True when a column says each row's kind.
    pub fn typed(&self) -> bool {
        self.company.has_record(RecordColumn::Kind) || self.person.has_record(RecordColumn::Kind)
    }

    /// The kinds the file's rows may be: both with a type column, else the file name's.
    pub fn kinds(&self) -> Vec<EntityKind> {
        match (self.typed(), self.file_kind) {
            (false, Some(kind)) => vec![kind],
            _ => vec![EntityKind::Company, EntityKind::Person],
        }
    }

    pub fn has_record(&self, record: RecordColumn) -> bool {
        self.kinds()
            .into_iter()
            .any(|kind| self.plan(kind).has_record(record))
    }

    pub fn has_fixed(&self, fixed: Fixed) -> bool {
        self.kinds()
            .into_iter()
            .any(|kind| self.plan(kind).has_fixed(fixed))
    }

    pub fn any_mapped(&self) -> bool {
        self.kinds()
            .into_iter()
            .any(|kind| self.plan(kind).any_mapped())
    }

    /// Every header, for "found these columns" messages.
    pub fn headers(&self) -> Vec<String> {
        self.company
            .mapping
            .columns
            .iter()
            .map(|c| c.header.clone())
            .filter(|h| !h.is_empty())
            .collect()
    }

    /// The header of a type column, for a row's kind error.
    pub fn type_header(&self) -> &str {
        for plan in [&self.company, &self.person] {
            if let Some(column) = plan
                .slots
                .iter()
                .position(|s| *s == Slot::Record(RecordColumn::Kind))
            {
                return plan.header(column);
            }
        }
        RecordColumn::Kind.as_str()
    }

    /// The header of a validation error's field, for `kind`.
    pub fn header_of_field<'a>(&'a self, kind: EntityKind, field: &'a str) -> &'a str {
        self.plan(kind).header_of_field(field)
    }

    /// What the person should know about the mapping: the findings of the kinds in use, each
    /// once; a column ignored for one kind but used by the other is not reported.
    pub fn warnings(&self) -> Vec<String> {
        let kinds = self.kinds();
        let used = |column: &str| {
            kinds.iter().any(|kind| {
                let plan = self.plan(*kind);
                plan.mapping
                    .columns
                    .iter()
                    .zip(&plan.slots)
                    .any(|(c, slot)| c.header == column && *slot != Slot::Ignored)
            })
        };
        let mut seen = BTreeSet::new();
        let mut unmapped: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for kind in &kinds {
            for finding in &self.plan(*kind).mapping.findings {
                match finding {
                    MappingFinding::Unmapped { column }
                    | MappingFinding::Ambiguous { column, .. }
                        if used(column) => {}
                    MappingFinding::Unmapped { column } => {
                        if !unmapped.contains(column) {
                            unmapped.push(column.clone());
                        }
                    }
                    other => {
                        let text = other.to_string();
                        if seen.insert(text.clone()) {
                            out.push(text);
                        }
                    }
                }
            }
        }
        match unmapped.as_slice() {
            [] => {}
            [one] => out.insert(
                0,
                MappingFinding::Unmapped {
                    column: one.clone(),
                }
                .to_string(),
            ),
            many => out.insert(
                0,
                format!(
                    "columns {} match no field and are ignored; map them to fields to send them",
                    truncate(
                        &many
                            .iter()
                            .map(|c| format!("'{c}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                ),
            ),
        }
        out
    }

    /// The kind cell of a row: the first non-empty cell of a type column.
    pub fn kind_cell<'c>(&self, cells: &'c [(usize, Cell)]) -> Option<&'c str> {
        let plan = self.plan(self.file_kind.unwrap_or(EntityKind::Company));
        let other = self.plan(match self.file_kind {
            Some(EntityKind::Person) => EntityKind::Company,
            _ => EntityKind::Person,
        });
        let is_type = |column: usize| {
            [plan, other]
                .iter()
                .any(|p| p.slots.get(column) == Some(&Slot::Record(RecordColumn::Kind)))
        };
        cells.iter().find_map(|(column, cell)| match cell {
            Cell::Text(text) if is_type(*column) => Some(text.as_str()),
            _ => None,
        })
    }
}

mod read;

#[cfg(test)]
mod tests;
