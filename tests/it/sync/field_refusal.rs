//! A push Twenty refuses because of a field (deleted or never made in this workspace, an option
//! removed): only the affected records are parked, each with a message naming the field and
//! saying what to do, the others go through, and the data model is read again once
//! (`DataModelRead`), on both server flavours.

use fake_twenty::FakeConfig;
use twenty_sync::domain::fields::{CellValue, FieldTarget, FieldValues};
use twenty_sync::domain::{
    EntityKind, Event, IntentDraft, IntentFields, IntentSource, RecordKey, ServerFact,
};

use super::support::*;

fn with_values(
    h: &Harness,
    kind: EntityKind,
    id: &str,
    fields: IntentFields,
    values: &[(&str, &str)],
) {
    let mut set = FieldValues::new();
    for (field, value) in values {
        set.set(
            FieldTarget::new(*field, None),
            CellValue::Text(value.to_string()),
        );
    }
    let draft = IntentDraft {
        external_id: Some(id.into()),
        fields,
        values: set,
    };
    twenty_sync::app::record_intents(&h.store, &[(kind, draft)], IntentSource::Cli).unwrap();
}

fn named(name: &str) -> IntentFields {
    IntentFields {
        name: Some(name.into()),
        ..IntentFields::default()
    }
}

/// How many times the data model was recorded as read.
fn model_reads(h: &Harness) -> usize {
    h.store
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|envelope| {
            matches!(
                envelope.event,
                Event::ServerLearned {
                    fact: ServerFact::DataModelRead(_),
                    ..
                }
            )
        })
        .count()
}

#[tokio::test]
async fn a_refused_field_parks_only_its_records_names_the_field_and_reads_the_model_again() {
    for config in [FakeConfig::august_2025(), FakeConfig::twenty_2_4()] {
        // The directory's fields exist on the company side only: `nickname` is not a person
        // field of this workspace (deleted in Twenty, say).
        let h = harness_with(config.clone()).await;
        let flavour = format!("{:?}", h.fake.profile());
        h.fake.add_directory_fields();
        for id in ["c1", "c3"] {
            h.company(id, &format!("Company {id}"), None);
        }
        // An option removed in Twenty after the value was checked.
        with_values(
            &h,
            EntityKind::Company,
            "c2",
            named("Two"),
            &[("category", "RETIRED")],
        );
        with_values(
            &h,
            EntityKind::Company,
            "c4",
            named("Four"),
            &[("category", "FINTECH")],
        );
        h.person("p1", "Ada Lovelace", "ada@example.com", None);
        let ada = IntentFields {
            name: Some("Bo Bell".into()),
            email: Some("bo@example.com".into()),
            ..IntentFields::default()
        };
        with_values(&h, EntityKind::Person, "p2", ada, &[("bogusField", "x")]);
        assert_eq!(model_reads(&h), 0);

        h.sync().await.unwrap();

        for id in ["c1", "c3", "c4"] {
            assert_eq!(h.in_twenty("companies", id).len(), 1, "{flavour}: {id}");
        }
        assert_eq!(h.in_twenty("companies", "c4")[0]["category"], "FINTECH");
        assert_eq!(h.in_twenty("people", "p1").len(), 1, "{flavour}");
        assert!(h.in_twenty("companies", "c2").is_empty(), "{flavour}");
        assert!(h.in_twenty("people", "p2").is_empty(), "{flavour}");
        let failures = h.store.failures().unwrap();
        let keys: Vec<&RecordKey> = failures.iter().map(|(key, _)| key).collect();
        assert_eq!(
            keys,
            [
                &RecordKey::new(EntityKind::Company, "c2"),
                &RecordKey::new(EntityKind::Person, "p2"),
            ],
            "{flavour}: only the records with the refused fields are parked"
        );
        for ((key, failed), field) in failures.iter().zip(["category", "bogusField"]) {
            let message = &failed.message;
            for part in [
                format!("field '{field}'"),
                format!("twenty-sync fields {} --refresh", key.kind),
                "mapping set".to_string(),
                "Twenty said:".to_string(),
            ] {
                assert!(message.contains(&part), "{flavour}: {part} in {message}");
                assert!(message.chars().count() <= 500, "{flavour}: {message}");
            }
        }
        // Read again once per round that refused a field (companies, then people), recorded.
        let reads = model_reads(&h);
        assert!((1..=2).contains(&reads), "{flavour}: {reads} reads");
        let model = h
            .store
            .server(&h.fake.base_url())
            .unwrap()
            .data_model
            .expect("the data model is kept");
        assert!(model.field(EntityKind::Company, "category").is_some());
        assert!(model.field(EntityKind::Person, "bogusField").is_none());
    }
}
