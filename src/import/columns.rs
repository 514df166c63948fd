//! The kind a file name implies, and today's fixed columns (`Column`): headers are mapped to
//! fields by `domain::fields::propose_mapping` (see `import::mapping`), which keeps these rules.
//!
//! Names are compared case-insensitively with spaces, dashes, dots and underscores treated alike
//! (`First Name`, `first-name`, `FIRST_NAME` and `firstName` are the same column), and a few
//! common aliases are accepted (`id` → `external_id`, `company` → `company_name`, `e-mail` →
//! `email`, `url`/`domain` → `website`, `title` → `job_title`, …).

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

#[cfg(test)]
mod tests;
