//! Tests of the field module: a workspace model with custom fields of every type, shared by the
//! table-driven tests of each file and the property tests.

use super::*;
use crate::domain::intent::EntityKind;

mod cells;
mod mapping;
mod metadata;
mod numbers_and_dates;
mod props;
mod routing;
mod wire;

/// A field of `kind` as the metadata would describe a custom one.
fn custom(kind: EntityKind, name: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef::custom(kind, name, label, field_type)
}

fn with_options(field: FieldDef, options: &[(&str, &str)]) -> FieldDef {
    field.with_options(options)
}

const CATEGORY: &[(&str, &str)] = &[
    ("AGENCY", "Agency"),
    ("FINTECH", "Fintech"),
    ("IN_PROGRESS", "In progress"),
    ("CAFE", "Café"),
    ("A_B", "A, B"),
];

/// The standard model plus custom company fields of every type, a second-level relation and a
/// system field (neither mappable).
fn workspace() -> DataModel {
    use EntityKind::Company as C;
    let standard = DataModel::standard();
    let mut companies: Vec<FieldDef> = standard.object(C).iter().cloned().collect();
    companies.extend([
        with_options(
            custom(C, "category", "Category", FieldType::Select),
            CATEGORY,
        ),
        with_options(custom(C, "tags", "Tags", FieldType::MultiSelect), CATEGORY),
        custom(C, "listingUrl", "Listing URL", FieldType::Links),
        custom(C, "stars", "Stars", FieldType::Rating),
        custom(C, "founded", "Founded", FieldType::Date),
        custom(C, "lastContact", "Last contact", FieldType::DateTime),
        custom(C, "revenue", "Revenue", FieldType::Numeric),
        custom(C, "extra", "Extra", FieldType::RawJson),
        custom(C, "keywords", "Keywords", FieldType::Array),
        custom(C, "verified", "Vérifié", FieldType::Boolean),
        custom(C, "people", "People", FieldType::Other("RELATION".into())),
        FieldDef {
            system: true,
            ..custom(
                C,
                "position",
                "Position",
                FieldType::Other("POSITION".into()),
            )
        },
        FieldDef {
            active: false,
            ..custom(C, "oldCode", "Old code", FieldType::Text)
        },
        custom(C, "externalId", "External ID", FieldType::Text),
    ]);
    let people: Vec<FieldDef> = standard
        .object(EntityKind::Person)
        .iter()
        .cloned()
        .collect();
    DataModel::new(companies, people)
}

fn target(text: &str) -> FieldTarget {
    FieldTarget::try_from(text.to_string()).expect("a stored target")
}
