//! Tests of the push plan on plain values.

use uuid::Uuid;

use super::*;
use crate::domain::intent::{EntityKind, IntentFields, IntentSource};

fn item(kind: EntityKind, id: &str, name: &str, mapped_as: Option<&str>) -> WorkItem {
    let intent = Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind,
        external_id: id.into(),
        fields: IntentFields {
            name: Some(name.into()),
            company_external_id: (kind == EntityKind::Person).then(|| "c1".to_string()),
            ..IntentFields::default()
        },
        source: IntentSource::Cli,
        requested_at_ms: 0,
    };
    let mapping = mapped_as.map(|pushed_name| Mapping {
        field_hashes: Default::default(),
        twenty_id: format!("t-{id}"),
        fields_hash: fields_hash(
            kind,
            &IntentFields {
                name: Some(pushed_name.into()),
                ..intent.fields.clone()
            },
            &intent.values,
        ),
        last_synced_ms: 0,
    });
    let pending = PendingEntry {
        seq: 1,
        intent_id: intent.id,
        attempts: 0,
        last_error: None,
    };
    WorkItem::new(RecordKey::new(kind, id), pending, intent, mapping)
}

fn ids(items: &[WorkItem]) -> Vec<&str> {
    items.iter().map(|i| i.key.external_id.as_str()).collect()
}

#[test]
fn records_are_sorted_by_what_they_cost() {
    let plan = plan(vec![
        item(EntityKind::Company, "same", "Acme", Some("Acme")),
        item(EntityKind::Company, "renamed", "Acme 2", Some("Acme")),
        item(EntityKind::Company, "new", "Fresh", None),
        item(EntityKind::Company, "same-2", "B", Some("B")),
    ]);
    assert_eq!(ids(&plan.unchanged), vec!["same", "same-2"]);
    assert_eq!(ids(&plan.changed), vec!["renamed"]);
    assert_eq!(ids(&plan.unknown), vec!["new"]);
    assert!(!plan.is_empty());
    assert!(super::plan(Vec::new()).is_empty());
}

#[test]
fn referenced_companies_are_distinct_and_in_order() {
    let mut other = item(EntityKind::Person, "p3", "C", None);
    other.intent.fields.company_external_id = Some("c0".into());
    let mut none = item(EntityKind::Person, "p4", "D", None);
    none.intent.fields.company_external_id = None;
    let people = vec![
        item(EntityKind::Person, "p1", "A", None),
        other,
        item(EntityKind::Person, "p2", "B", None),
        none,
    ];
    assert_eq!(referenced_companies(&people), vec!["c1", "c0"]);
}
