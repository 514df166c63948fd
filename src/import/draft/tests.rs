//! Tests for rows → drafts: the kind of a row, the company column as a name, column checks.

use std::sync::Arc;

use super::*;
use crate::import::parse::Headers;
use crate::import::ImportFields;

fn set(headers: &[&str]) -> FileMapping {
    set_for(headers, None)
}

fn set_for(headers: &[&str], kind: Option<EntityKind>) -> FileMapping {
    FileMapping::new(
        Arc::new(ImportFields::default()),
        kind,
        &Headers::of(headers.iter().copied()),
    )
}

fn text(cells: &[(usize, &str)]) -> Vec<(usize, Cell)> {
    cells
        .iter()
        .map(|(c, t)| (*c, Cell::Text(t.to_string())))
        .collect()
}

#[test]
fn drafts_take_their_kind_from_the_type_cell_or_the_file_name() {
    let columns = set(&["type", "id", "name"]);
    let cells = text(&[(0, "Person"), (1, "p1"), (2, "Ada")]);
    let (kind, draft, problems) = draft_from_cells(&cells, None, &columns).expect("draft");
    assert_eq!(kind, EntityKind::Person);
    assert_eq!(draft.external_id.as_deref(), Some("p1"));
    assert_eq!(draft.fields.name.as_deref(), Some("Ada"));
    assert!(problems.is_empty());

    let bad = text(&[(0, "robot")]);
    let problems = draft_from_cells(&bad, None, &columns).expect_err("bad type");
    assert_eq!(problems[0].column, "type");
    assert_eq!(problems[0].value, "robot");

    let untyped = text(&[(1, "c1")]);
    assert_eq!(
        draft_from_cells(&untyped, Some(EntityKind::Company), &columns).map(|(k, _, _)| k),
        Ok(EntityKind::Company)
    );
    assert!(draft_from_cells(&untyped, None, &columns).is_err());
}

#[test]
fn a_company_column_names_companies_when_there_is_no_name_column() {
    let columns = set_for(&["id", "company"], Some(EntityKind::Company));
    let cells = text(&[(0, "c1"), (1, "Acme")]);
    let (_, draft, _) =
        draft_from_cells(&cells, Some(EntityKind::Company), &columns).expect("draft");
    assert_eq!(draft.fields.name.as_deref(), Some("Acme"));
    assert_eq!(draft.fields.company_name, None);
}

#[test]
fn column_checks_explain_what_is_missing() {
    let check = |headers: &[&str], kind| check_columns("f.csv", &set_for(headers, kind), kind);
    assert!(matches!(
        check(&["foo|bar"], None),
        Err(ImportError::NoRecognisableColumns { .. })
    ));
    assert!(matches!(
        check(&["name", "type"], None),
        Err(ImportError::MissingColumn {
            column: "external_id",
            ..
        })
    ));
    assert!(matches!(
        check(&["id", "name"], None),
        Err(ImportError::UnknownKind { .. })
    ));
    assert!(matches!(
        check(&["id", "website"], Some(EntityKind::Company)),
        Err(ImportError::MissingColumn { column: "name", .. })
    ));
    assert!(matches!(
        check(&["id", "first name", "last name"], Some(EntityKind::Person)),
        Err(ImportError::MissingColumn {
            column: "email",
            ..
        })
    ));
    assert!(check(&["id", "first name", "email"], Some(EntityKind::Person)).is_ok());
    assert!(check(&["type", "id", "name"], None).is_ok());
}
