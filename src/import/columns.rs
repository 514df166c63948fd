//! Header normalisation: which of our fields a column (or JSON key) holds, and which file kind a
//! file name implies. The columns and their aliases live in `domain::fields` (`KnownColumn`).
//!
//! Names are compared case-insensitively with spaces, dashes, dots and underscores treated alike
//! (`First Name`, `first-name`, `FIRST_NAME` and `firstName` are the same column), and a few
//! common aliases are accepted (`id` → `external_id`, `company` → `company_name`, `e-mail` →
//! `email`, `url`/`domain` → `website`, `title` → `job_title`, …).

use std::collections::HashMap;

use crate::domain::EntityKind;

pub use crate::domain::fields::KnownColumn as Column;

/// The kind a file name implies: `companies*`/`company*` → company; `people*`, `person*`
/// (`persons*`) and `contact*` (`contacts*`) → person.
pub fn kind_from_file_name(file_name: &str) -> Option<EntityKind> {
    let lower = file_name.trim().to_lowercase();
    if lower.starts_with("compan") {
        Some(EntityKind::Company)
    } else if ["people", "person", "contact"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        Some(EntityKind::Person)
    } else {
        None
    }
}

/// The columns met in one file: what each header maps to, the headers we ignore, and the
/// original spelling of each recognised column (for error reports).
#[derive(Debug, Default, Clone)]
pub struct ColumnSet {
    cache: HashMap<String, Option<Column>>,
    /// Original header of each recognised column, first spelling wins.
    original: HashMap<Column, String>,
    /// Headers that are not ours, in first-seen order.
    pub unknown: Vec<String>,
    /// Headers that repeat a column already present (the first one is used).
    pub repeated: Vec<(String, Column)>,
}

impl ColumnSet {
    /// What the person should know about the columns: those ignored, those repeated.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.unknown.is_empty() {
            warnings.push(format!(
                "ignored column{} not used by twenty-sync: {}",
                if self.unknown.len() == 1 { "" } else { "s" },
                super::parse::truncate(&self.unknown.join(", "))
            ));
        }
        for (header, column) in &self.repeated {
            warnings.push(format!(
                "column '{header}' repeats {column} ('{}'); the first non-empty value was used",
                self.header_of(*column)
            ));
        }
        warnings
    }

    /// Maps a header, remembering what was seen. Call once per header (CSV) or key (JSON).
    pub fn classify(&mut self, header: &str) -> Option<Column> {
        if let Some(known) = self.cache.get(header) {
            return *known;
        }
        let column = Column::recognise(header);
        match column {
            Some(column) => match self.original.entry(column) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    self.repeated.push((header.to_string(), column))
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(header.trim().to_string());
                }
            },
            None if !header.trim().is_empty() => self.unknown.push(header.trim().to_string()),
            None => {}
        }
        self.cache.insert(header.to_string(), column);
        column
    }

    pub fn has(&self, column: Column) -> bool {
        self.original.contains_key(&column)
    }

    pub fn any_recognised(&self) -> bool {
        !self.original.is_empty()
    }

    /// How the file spells `column`, or its canonical name.
    pub fn header_of(&self, column: Column) -> &str {
        self.original
            .get(&column)
            .map(String::as_str)
            .unwrap_or(column.as_str())
    }

    /// The header of a validation error's field.
    pub fn header_of_field<'a>(&'a self, field: &'a str) -> &'a str {
        match Column::from_field(field) {
            Some(column) => self.header_of(column),
            None => field,
        }
    }

    /// Every header seen, for "found these columns" messages.
    pub fn all_headers(&self) -> Vec<String> {
        let mut all: Vec<String> = self.original.values().cloned().collect();
        all.sort();
        all.extend(self.unknown.iter().cloned());
        all
    }
}

#[cfg(test)]
mod tests;
