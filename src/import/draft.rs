//! Rows → drafts: the kind of a row (its `type` cell or the file's name), the column checks that
//! refuse a file whose columns cannot describe a valid row, the validation of one row, and the
//! dedupe key and repeat bookkeeping behind "the last row of each id wins".

use std::collections::HashMap;

use super::mapping::{FileMapping, Fixed};
use super::parse::{self, Cell, Row};
use super::ImportError;
use crate::domain::fields::RecordColumn;
use crate::domain::{EntityKind, IntentDraft, IntentFields};

/// One problem for the error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub message: String,
}

impl From<crate::domain::fields::CellError> for Problem {
    fn from(error: crate::domain::fields::CellError) -> Problem {
        Problem {
            column: error.column,
            value: parse::truncate(&error.value),
            message: error.problem,
        }
    }
}

/// A row's kind and draft, and the cells that could not be read for their fields.
pub type RowDraft = (EntityKind, IntentDraft, Vec<Problem>);

/// Turns a row's cells into a draft and its kind, through the file's mapping. `fallback` is the
/// kind the file name implies; a `type` cell overrides it. Cells that cannot be read for their
/// field are returned beside the draft (every one of them): the row is invalid.
pub fn draft_from_cells(
    cells: &[(usize, Cell)],
    fallback: Option<EntityKind>,
    mapping: &FileMapping,
) -> Result<RowDraft, Vec<Problem>> {
    let kind = match mapping.kind_cell(cells) {
        Some(text) => EntityKind::parse(text).ok_or_else(|| {
            vec![Problem {
                column: mapping.type_header().to_string(),
                value: parse::truncate(text),
                message: "must be company or person".to_string(),
            }]
        })?,
        None => fallback.ok_or_else(|| {
            vec![Problem {
                column: mapping.type_header().to_string(),
                value: String::new(),
                message: "is empty; write company or person".to_string(),
            }]
        })?,
    };
    let row = mapping.draft(kind, cells);
    let problems = row.errors.into_iter().map(Problem::from).collect();
    let mut draft = row.draft;
    // A companies file whose names are in a `company` column: that column is the name.
    if kind == EntityKind::Company && draft.fields.name.is_none() && !mapping.has_fixed(Fixed::Name)
    {
        draft.fields.name = draft.fields.company_name.take();
    }
    Ok((kind, draft, problems))
}

/// Refuses files whose columns cannot describe a valid row.
pub fn check_columns(
    file: &str,
    mapping: &FileMapping,
    file_kind: Option<EntityKind>,
) -> Result<(), ImportError> {
    if !mapping.any_mapped() {
        let mut found = mapping.headers().join(", ");
        if found.chars().count() > 200 {
            found = parse::truncate(&found);
        }
        if found.is_empty() {
            found = "no column names".to_string();
        }
        return Err(ImportError::NoRecognisableColumns {
            file: file.to_string(),
            found,
        });
    }
    let missing = |column, hint| {
        Err(ImportError::MissingColumn {
            file: file.to_string(),
            column,
            hint,
        })
    };
    if !mapping.has_record(RecordColumn::ExternalId) {
        return missing(
            "external_id",
            "every row needs your own stable id for the record: add an external_id (or id) column",
        );
    }
    let typed = mapping.typed();
    if !typed && file_kind.is_none() {
        return Err(ImportError::UnknownKind {
            file: file.to_string(),
        });
    }
    let person_names = mapping.has_fixed(Fixed::FirstName) || mapping.has_fixed(Fixed::LastName);
    let has_name = mapping.has_fixed(Fixed::Name);
    let company_name = mapping.has_record(RecordColumn::CompanyName);
    match (typed, file_kind) {
        (false, Some(EntityKind::Company)) if !has_name && !company_name => {
            return missing("name", "every company needs a name: add a name column")
        }
        (false, Some(EntityKind::Person)) if !has_name && !person_names => {
            return missing(
                "name",
                "every person needs a name: add a name column (or first_name and last_name)",
            )
        }
        (false, Some(EntityKind::Person)) if !mapping.has_fixed(Fixed::Email) => {
            return missing(
                "email",
                "every person needs an email address: add an email column",
            )
        }
        (true, _) if !has_name && !person_names && !company_name => {
            return missing(
                "name",
                "every record needs a name: add a name column (people may use first_name and last_name)",
            )
        }
        _ => {}
    }
    Ok(())
}

/// A row that passed validation: its kind, external id and cleaned fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRow {
    pub kind: EntityKind,
    pub external_id: String,
    pub fields: IntentFields,
}

/// Validates one row: its kind, external id and fields, or the problems for the error report.
pub fn validate_row(
    row: &Row,
    fallback: Option<EntityKind>,
    mapping: &FileMapping,
) -> Result<ValidRow, Vec<Problem>> {
    let cells = row.cells.as_ref().map_err(|issue| {
        vec![Problem {
            column: issue.column.clone(),
            value: issue.value.clone(),
            message: issue.message.clone(),
        }]
    })?;
    let (kind, draft, mut problems) = draft_from_cells(cells, fallback, mapping)?;
    let validated = draft.validate(kind).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| Problem {
                column: mapping.header_of_field(kind, e.field).to_string(),
                value: e.value,
                message: e.message,
            })
            .collect::<Vec<_>>()
    });
    let (external_id, fields) = match validated {
        Ok(valid) if problems.is_empty() => valid,
        Ok(_) => return Err(problems),
        Err(mut invalid) => {
            invalid.append(&mut problems);
            return Err(invalid);
        }
    };
    Ok(ValidRow {
        kind,
        external_id,
        fields,
    })
}

/// The kind and external id an invalid row was meant to have, when its cells still say them
/// (to warn about people whose company row was invalid).
pub fn identity_of_invalid(
    row: &Row,
    fallback: Option<EntityKind>,
    mapping: &FileMapping,
) -> Option<(EntityKind, String)> {
    let cells = row.cells.as_ref().ok()?;
    let kind = match mapping.kind_cell(cells) {
        Some(text) => EntityKind::parse(text)?,
        None => fallback?,
    };
    let external_id = mapping
        .draft(kind, cells)
        .draft
        .external_id?
        .trim()
        .to_string();
    (!external_id.is_empty() && !external_id.chars().any(char::is_control))
        .then_some((kind, external_id))
}

/// The dedupe key of a record: 16 bytes of BLAKE3 over its kind and external id.
pub(super) fn key_hash(kind: EntityKind, external_id: &str) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[kind.as_byte()]);
    hasher.update(external_id.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// Repeated ids, for the warning that names their rows (the first few in detail).
#[derive(Default)]
pub(super) struct Repeats {
    detailed: Vec<(String, Vec<u64>)>,
    index: HashMap<[u8; 16], usize>,
    others: u64,
}

impl Repeats {
    const DETAILED: usize = 20;

    pub(super) fn note(
        &mut self,
        key: [u8; 16],
        label: impl FnOnce() -> String,
        earlier: u64,
        later: u64,
    ) {
        if let Some(&slot) = self.index.get(&key) {
            self.detailed[slot].1.push(later);
        } else if self.detailed.len() < Self::DETAILED {
            self.index.insert(key, self.detailed.len());
            self.detailed.push((label(), vec![earlier, later]));
        } else {
            self.others += 1;
        }
    }

    pub(super) fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .detailed
            .iter()
            .map(|(label, rows)| {
                let last = rows.last().copied().unwrap_or_default();
                let list = rows
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{label} appears in rows {list}; the last one (row {last}) was used")
            })
            .collect();
        if self.others > 0 {
            out.push(format!(
                "{} more rows repeat an id met earlier in the file; the last row of each id was used",
                self.others
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests;
