//! Only what changed is sent: an update carries the fields whose values changed since the last
//! successful push, so an edit someone made in Twenty to another field survives the next sync,
//! on both server flavours (patched one by one, or upserted in a batch).

use fake_twenty::Profile;
use serde_json::{json, Value};
use twenty_sync::domain::{EntityKind, IntentFields};

use super::support::*;

fn ada(city: &str) -> IntentFields {
    IntentFields {
        name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        job_title: Some("Analyst".into()),
        city: Some(city.into()),
        ..IntentFields::default()
    }
}

/// The bodies of the record writes sent since the requests were last cleared.
fn write_bodies(h: &Harness) -> Vec<Value> {
    h.fake
        .requests()
        .into_iter()
        .filter(|r| {
            (r.method == "PATCH" && r.path.starts_with("/rest/people/"))
                || (r.method == "POST" && r.path.starts_with("/rest/batch/people"))
                || (r.method == "POST" && r.path == "/rest/people")
        })
        .filter_map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn a_twenty_side_edit_survives_a_directory_change_to_another_field() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.record(EntityKind::Person, "p-1", ada("London"));
        h.sync().await.unwrap();
        let twenty_id = h.twenty_id(EntityKind::Person, "p-1").expect("mapped");
        // Someone edits the job title in Twenty.
        h.client()
            .update(
                EntityKind::Person,
                &twenty_id,
                &json!({"jobTitle": "Countess"}),
                "edit-in-twenty",
            )
            .await
            .unwrap();
        h.fake.clear_requests();
        // The directory changes the city only.
        h.record(EntityKind::Person, "p-1", ada("Paris"));
        h.sync().await.unwrap();
        let bodies = write_bodies(&h);
        assert!(!bodies.is_empty(), "{profile:?}: the change was sent");
        for body in &bodies {
            let record = body
                .as_array()
                .and_then(|records| records.first())
                .unwrap_or(body);
            let mut fields: Vec<&str> = record
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort();
            assert_eq!(
                fields,
                vec!["city", "externalId"],
                "{profile:?}: only the changed field (and our key): {body}"
            );
        }
        let record = &h.in_twenty("people", "p-1")[0];
        assert_eq!(record["city"], "Paris", "{profile:?}");
        assert_eq!(
            record["jobTitle"], "Countess",
            "{profile:?}: the edit survives"
        );
        assert_eq!(record["emails"]["primaryEmail"], "ada@example.com");
        assert_no_duplicates(&h.fake, "people");
        // Nothing changed: nothing is sent.
        h.fake.clear_requests();
        h.record(EntityKind::Person, "p-1", ada("Paris"));
        h.sync().await.unwrap();
        assert_eq!(h.record_requests(), 0, "{profile:?}");
    }
}

/// A record deleted in Twenty and then changed in the directory is created again with every
/// field, not only the one that changed.
#[tokio::test]
async fn a_record_deleted_in_twenty_comes_back_whole() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.record(EntityKind::Person, "p-1", ada("London"));
        h.sync().await.unwrap();
        let twenty_id = h.twenty_id(EntityKind::Person, "p-1").expect("mapped");
        assert!(h.fake.delete_record("people", &twenty_id));
        h.record(EntityKind::Person, "p-1", ada("Paris"));
        h.sync().await.unwrap();
        let records = h.in_twenty("people", "p-1");
        assert_eq!(records.len(), 1, "{profile:?}");
        let record = &records[0];
        assert_eq!(record["city"], "Paris", "{profile:?}");
        assert_eq!(
            record["jobTitle"], "Analyst",
            "{profile:?}: every field again"
        );
        assert_eq!(
            record["emails"]["primaryEmail"], "ada@example.com",
            "{profile:?}"
        );
        assert_eq!(record["name"]["firstName"], "Ada", "{profile:?}");
    }
}
