//! A row's cells read through a file's mapping: record columns and fixed fields kept as text
//! (validated later as `push` validates them), every other field read and checked against its
//! type with `parse_cell` / `parse_items` (JSON lists and objects given directly), the first
//! non-empty value per target kept, and every cell that does not fit reported.

use std::cell::{Cell as Counter, RefCell};
use std::collections::HashMap;

use serde_json::Value;

use super::{fixed_field, FileMapping, Fixed, RowDraft, Slot};
use crate::domain::fields::{
    parse_cell, parse_items, CellError, CellValue, FieldDef, FieldTarget, FieldType, Part,
    RecordColumn,
};
use crate::domain::{EntityKind, IntentDraft};
use crate::import::parse::{json_type, truncate, Cell};

/// The most distinct choice cells remembered per pass (all columns together).
const MAX_REMEMBERED_CHOICES: usize = 4_096;

/// Longer choice cells are read every time: options are short, and a memo of long texts (and of
/// their errors, which quote them) would hold megabytes.
const MAX_REMEMBERED_CHOICE_BYTES: usize = 256;

/// Choice cells (select, multi-select, rating) read once per distinct text and column in a pass:
/// a directory repeats a handful of categories and tags over every row, and matching a text
/// against the options compared folded (case, accents) was a sixth of reading a 20-field row.
#[derive(Debug, Clone, Default)]
pub(super) struct ChoiceMemo {
    read: RefCell<HashMap<(EntityKind, usize), HashMap<String, ReadCell>>>,
    remembered: Counter<usize>,
}

type ReadCell = Result<Option<CellValue>, CellError>;

impl ChoiceMemo {
    /// What `read_cell` gives for `text` in a column (of rows of one kind: the same column may
    /// be another field for the other kind), read at most once.
    fn read(
        &self,
        column: (EntityKind, usize),
        text: &str,
        read_cell: impl FnOnce() -> ReadCell,
    ) -> ReadCell {
        if let Some(known) = self
            .read
            .borrow()
            .get(&column)
            .and_then(|texts| texts.get(text))
        {
            return known.clone();
        }
        let read = read_cell();
        if self.remembered.get() < MAX_REMEMBERED_CHOICES
            && text.len() <= MAX_REMEMBERED_CHOICE_BYTES
        {
            self.remembered.set(self.remembered.get() + 1);
            self.read
                .borrow_mut()
                .entry(column)
                .or_default()
                .insert(text.to_string(), read.clone());
        }
        read
    }
}

/// Fields whose cells name one of a few options.
fn is_choice(field: &FieldDef) -> bool {
    matches!(
        field.field_type,
        FieldType::Select | FieldType::MultiSelect | FieldType::Rating
    )
}

impl FileMapping {
    /// Reads a row's cells for `kind`: the record columns and fixed fields as text (the first
    /// non-empty cell of each; validated later as `push` validates them), every other mapped
    /// field read and checked against its type into the draft's values.
    pub fn draft(&self, kind: EntityKind, cells: &[(usize, Cell)]) -> RowDraft {
        let plan = self.plan(kind);
        let mut row = RowDraft::default();
        for (column, cell) in cells {
            let Some(slot) = plan.slots.get(*column) else {
                continue;
            };
            let header = plan.header(*column);
            match slot {
                Slot::Ignored => {}
                Slot::Record(record) => match text_of(header, cell) {
                    Ok(text) => put_record(&mut row, *record, text),
                    Err(error) => row.errors.push(error),
                },
                Slot::Field { def, target, fixed } => {
                    let field = &plan.defs[*def];
                    self.read_field(
                        &mut row,
                        (kind, *column),
                        field,
                        target,
                        *fixed,
                        header,
                        cell,
                    );
                }
            }
        }
        row
    }

    #[allow(clippy::too_many_arguments)]
    /// Reads one cell of `column` (of a `kind` row) into `row`.
    fn read_field(
        &self,
        row: &mut RowDraft,
        (kind, column): (EntityKind, usize),
        field: &FieldDef,
        target: &FieldTarget,
        fixed: Option<Fixed>,
        header: &str,
        cell: &Cell,
    ) {
        match (cell, fixed) {
            (Cell::Text(text), Some(fixed)) => put_fixed(&mut row.draft, fixed, text),
            (Cell::Text(text), None) if is_choice(field) => {
                let read = self.choices.read((kind, column), text, || {
                    parse_cell(field, target.part, header, text, self.hints)
                });
                put_value(row, target, read);
            }
            (Cell::Text(text), None) => {
                let read = parse_cell(field, target.part, header, text, self.hints);
                put_value(row, target, read);
            }
            // A composite given as an object: each key one of its parts.
            (Cell::Json(Value::Object(parts)), _) if field.field_type.is_composite() => {
                for (key, value) in parts {
                    let Some(part) = Part::find(&field.field_type, key) else {
                        let allowed: Vec<&str> = field
                            .field_type
                            .parts()
                            .iter()
                            .map(|p| p.wire_name())
                            .collect();
                        row.errors.push(CellError {
                            column: header.to_string(),
                            value: truncate(key),
                            problem: format!(
                                "'{key}' is not a part of {}; use {}",
                                field.label,
                                allowed.join(", ")
                            ),
                            allowed: Vec::new(),
                        });
                        continue;
                    };
                    let part_target = FieldTarget::new(field.name.clone(), Some(part));
                    let cell = match value {
                        Value::Null => continue,
                        Value::String(text) => Cell::Text(text.clone()),
                        Value::Number(n) => Cell::Text(n.to_string()),
                        Value::Bool(b) => Cell::Text(b.to_string()),
                        nested => Cell::Json(nested.clone()),
                    };
                    let fixed = fixed_field(kind, &part_target);
                    if let Cell::Json(Value::Object(_)) = cell {
                        row.errors.push(nested_error(header, &cell));
                        continue;
                    }
                    self.read_field(
                        row,
                        (kind, column),
                        field,
                        &part_target,
                        fixed,
                        header,
                        &cell,
                    );
                }
            }
            (Cell::Json(json), None) if field.field_type == FieldType::RawJson => {
                let read = parse_cell(field, target.part, header, &json.to_string(), self.hints);
                put_value(row, target, read);
            }
            (Cell::Json(Value::Array(items)), None) => {
                let texts: Result<Vec<String>, CellError> = items
                    .iter()
                    .filter(|item| !item.is_null())
                    .map(|item| match item {
                        Value::String(text) => Ok(text.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        Value::Bool(b) => Ok(b.to_string()),
                        nested => Err(CellError {
                            column: header.to_string(),
                            value: truncate(&nested.to_string()),
                            problem: format!(
                                "holds {} inside a list; a list holds text or numbers",
                                json_type(nested)
                            ),
                            allowed: Vec::new(),
                        }),
                    })
                    .collect();
                match texts {
                    Ok(texts) => {
                        let read = parse_items(field, target.part, header, &texts);
                        put_value(row, target, read);
                    }
                    Err(error) => row.errors.push(error),
                }
            }
            (cell, _) => row.errors.push(nested_error(header, cell)),
        }
    }
}

fn nested_error(header: &str, cell: &Cell) -> CellError {
    let (value, what) = match cell {
        Cell::Text(text) => (truncate(text), "text"),
        Cell::Json(json) => (truncate(&json.to_string()), json_type(json)),
    };
    CellError {
        column: header.to_string(),
        value,
        problem: format!("holds {what}; expected text or a number"),
        allowed: Vec::new(),
    }
}

fn text_of<'c>(header: &str, cell: &'c Cell) -> Result<&'c str, CellError> {
    match cell {
        Cell::Text(text) => Ok(text),
        other => Err(nested_error(header, other)),
    }
}

fn put_record(row: &mut RowDraft, record: RecordColumn, text: &str) {
    let draft = &mut row.draft;
    let slot = match record {
        RecordColumn::Kind => &mut row.kind_cell,
        RecordColumn::ExternalId => &mut draft.external_id,
        RecordColumn::CompanyExternalId => &mut draft.fields.company_external_id,
        RecordColumn::CompanyName => &mut draft.fields.company_name,
    };
    if slot.is_none() {
        *slot = Some(text.to_string());
    }
}

fn put_fixed(draft: &mut IntentDraft, fixed: Fixed, text: &str) {
    let slot = fixed.slot(&mut draft.fields);
    if slot.is_none() {
        *slot = Some(text.to_string());
    }
}

/// Keeps a read value (the first non-empty one per target) or its error.
fn put_value(row: &mut RowDraft, target: &FieldTarget, read: Result<Option<CellValue>, CellError>) {
    match read {
        Ok(Some(value)) => {
            let values = &mut row.draft.values;
            if values.get(target).is_none() {
                values.set(target.clone(), value);
            }
        }
        Ok(None) => {}
        Err(error) => row.errors.push(error),
    }
}
