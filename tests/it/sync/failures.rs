//! Failures a person can act on: a duplicate names the field, the value and the Twenty record it
//! collides with (one lookup); a linked record adopts that record; a dismissed one waits for a
//! newer intent.

use fake_twenty::Profile;
use serde_json::{json, Value};
use twenty_sync::domain::{EntityKind, Event, FailedEntry, FailureDetail, RecordKey};

use super::support::*;

fn person(id: &str) -> RecordKey {
    RecordKey::new(EntityKind::Person, id)
}

fn parked(h: &Harness, key: &RecordKey) -> (FailedEntry, FailureDetail) {
    let failed = h.store.failed(key).unwrap().expect("parked");
    let detail = h
        .store
        .failure_detail(key)
        .unwrap()
        .expect("with its conflict");
    (failed, detail)
}

/// Lookups of the value a duplicate collided with.
fn value_lookups(h: &Harness, path: &str) -> usize {
    h.fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.query.as_deref().is_some_and(|q| q.contains(path)))
        .count()
}

/// Someone Else holds taken@example.com in Twenty, without an externalId.
fn someone_else(h: &Harness) -> Value {
    h.fake.insert_record(
        "people",
        json!({"name": {"firstName": "Someone", "lastName": "Else"}, "emails": {"primaryEmail": "taken@example.com"}}),
    )
}

#[tokio::test]
async fn a_duplicate_names_the_field_the_value_and_the_record_it_collides_with() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.fake.create_external_id_fields();
        let holder = someone_else(&h);
        let holder_id = holder["id"].as_str().unwrap();
        h.person("p1", "Ada Lovelace", "taken@example.com", None);
        // Never adopting: the holder is a conflict, named (adoption: sync::adoption).
        h.sync_never_adopting().await.unwrap();

        let (failed, detail) = parked(&h, &person("p1"));
        let conflict = detail.conflict.expect("a conflict");
        assert_eq!(
            (conflict.field.as_str(), conflict.value.as_str()),
            ("emails.primaryEmail", "taken@example.com"),
            "{profile:?}"
        );
        let found = conflict.holder.expect("the holder was found");
        assert_eq!(found.twenty_id, holder_id);
        assert_eq!(found.name.as_deref(), Some("Someone Else"));
        assert_eq!((found.external_id, found.in_trash), (None, false));
        assert_eq!(
            failed.message,
            format!(
                "Duplicate emails.primaryEmail \"taken@example.com\": the person \"Someone Else\" \
                 ({holder_id}) in Twenty already has it, without an externalId; link this record \
                 to it, change the value, or dismiss the failure"
            ),
            "{profile:?}"
        );
        assert_eq!(value_lookups(&h, "emails.primaryEmail"), 1, "one lookup");
        assert_eq!(h.counters().failed, 1);
    }
}

#[tokio::test]
async fn a_company_collides_on_its_domain_and_the_holders_external_id_is_named() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.company("c1", "Acme", Some("acme.com"));
        h.sync().await.unwrap();
        let c1 = h.twenty_id(EntityKind::Company, "c1").unwrap();
        h.company("c2", "Acme again", Some("https://acme.com"));
        h.sync().await.unwrap();
        let key = RecordKey::new(EntityKind::Company, "c2");
        let (failed, detail) = parked(&h, &key);
        let conflict = detail.conflict.unwrap();
        assert_eq!(
            (conflict.field.as_str(), conflict.value.as_str()),
            ("domainName.primaryLinkUrl", "https://acme.com"),
            "{profile:?}"
        );
        let holder = conflict.holder.unwrap();
        assert_eq!(
            (holder.twenty_id.as_str(), holder.external_id.as_deref()),
            (c1.as_str(), Some("c1"))
        );
        assert!(
            failed.message.contains("(externalId c1); change the value"),
            "{}",
            failed.message
        );
        assert!(!failed.message.contains("link"), "{}", failed.message);
    }
}

#[tokio::test]
async fn a_linked_record_adopts_the_twenty_record_and_updates_it() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.fake.create_external_id_fields();
        let holder = someone_else(&h);
        let holder_id = holder["id"].as_str().unwrap().to_string();
        h.person("p1", "Ada Lovelace", "taken@example.com", None);
        h.sync_never_adopting().await.unwrap();
        let failed = h.store.failed(&person("p1")).unwrap().unwrap();

        h.store
            .append(vec![Event::RecordLinked {
                intent_id: failed.intent_id,
                key: person("p1"),
                twenty_id: holder_id.clone(),
                by: "test".into(),
            }])
            .unwrap();
        h.sync().await.unwrap();

        let adopted = h.fake.record("people", &holder_id).unwrap();
        assert_eq!(adopted["externalId"], "p1", "{profile:?}");
        assert_eq!(adopted["name"]["firstName"], "Ada");
        assert_eq!(adopted["name"]["lastName"], "Lovelace");
        assert_eq!(h.fake.records("people").len(), 1, "no second record");
        let counters = h.counters();
        assert_eq!((counters.failed, counters.pending), (0, 0));
        assert_eq!(h.twenty_id(EntityKind::Person, "p1"), Some(holder_id));
        assert!(h.store.failure_detail(&person("p1")).unwrap().is_none());
        // In sync now: the same intent again costs nothing.
        h.fake.clear_requests();
        h.person("p1", "Ada Lovelace", "taken@example.com", None);
        h.sync().await.unwrap();
        assert_eq!(h.record_requests(), 0, "{profile:?}");
    }
}

#[tokio::test]
async fn a_dismissed_failure_stays_out_of_the_queue_until_a_newer_intent() {
    let h = harness(Profile::Current).await;
    h.fake.create_external_id_fields();
    someone_else(&h);
    h.person("p1", "Ada Lovelace", "taken@example.com", None);
    h.sync_never_adopting().await.unwrap();
    let failed = h.store.failed(&person("p1")).unwrap().unwrap();
    h.store
        .append(vec![Event::FailureDismissed {
            intent_id: failed.intent_id,
            key: person("p1"),
            by: "test".into(),
        }])
        .unwrap();
    assert_eq!((h.counters().failed, h.counters().pending), (0, 0));
    h.fake.clear_requests();
    h.sync().await.unwrap();
    assert_eq!(h.record_requests(), 0, "nothing is pushed");
    assert_eq!(twenty_sync::app::retry_failed(&h.store).unwrap(), 0);
    let detail = h.store.failure_detail(&person("p1")).unwrap().unwrap();
    assert!(detail.dismissed.is_some() && detail.conflict.is_some());

    // A newer intent (a fixed e-mail) is pushed as any other.
    h.person("p1", "Ada Lovelace", "ada@example.com", None);
    h.sync().await.unwrap();
    assert_eq!(h.in_twenty("people", "p1").len(), 1);
    assert!(h.store.failure_detail(&person("p1")).unwrap().is_none());
}

#[tokio::test]
async fn our_own_external_id_in_the_trash_is_named_without_another_lookup() {
    let h = harness(Profile::Legacy2025).await;
    h.company("c1", "Acme", None);
    h.sync().await.unwrap();
    let id = h.twenty_id(EntityKind::Company, "c1").unwrap();
    assert!(h.fake.soft_delete_record("companies", &id));
    let key = RecordKey::new(EntityKind::Company, "c1");
    h.store
        .append(vec![Event::MappingInvalidated {
            key: key.clone(),
            twenty_id: id.clone(),
        }])
        .unwrap();
    h.company("c1", "Acme again", None);
    h.sync().await.unwrap();
    // This build ignores upserts, so the record in the trash cannot be restored: parked.
    let (failed, detail) = parked(&h, &key);
    let holder = detail.conflict.unwrap().holder.unwrap();
    assert_eq!(
        (holder.twenty_id.as_str(), holder.in_trash),
        (id.as_str(), true)
    );
    assert!(
        failed.message.contains("in Twenty's trash still holds it"),
        "{}",
        failed.message
    );
    assert_eq!(value_lookups(&h, "name"), 0);
}
