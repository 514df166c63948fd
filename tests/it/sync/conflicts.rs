//! Conflicts: records created or deleted in Twenty behind our back, duplicates on other unique
//! fields, and bisection of refused batches.

use fake_twenty::Profile;
use serde_json::json;
use twenty_sync::domain::{EntityKind, RecordKey};

use super::support::*;

#[tokio::test]
async fn a_record_already_in_twenty_is_updated_not_duplicated() {
    let h = harness(Profile::Legacy2025).await;
    h.fake.create_external_id_fields();
    let existing = h.fake.insert_record(
        "companies",
        json!({"name": "Made by hand", "externalId": "c1"}),
    );
    h.company("c1", "Acme", None);
    h.sync().await.unwrap();
    let records = h.in_twenty("companies", "c1");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], existing["id"]);
    assert_eq!(records[0]["name"], "Acme");
    assert_eq!(
        h.twenty_id(EntityKind::Company, "c1").as_deref(),
        existing["id"].as_str()
    );
}

#[tokio::test]
async fn a_record_deleted_in_twenty_is_created_again() {
    let h = harness(Profile::Legacy2025).await;
    h.company("c1", "Acme", None);
    h.sync().await.unwrap();
    let old_id = h.twenty_id(EntityKind::Company, "c1").unwrap();
    assert!(h.fake.delete_record("companies", &old_id));

    h.company("c1", "Acme renamed", None);
    h.sync().await.unwrap();
    let records = h.in_twenty("companies", "c1");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["name"], "Acme renamed");
    let new_id = h.twenty_id(EntityKind::Company, "c1").unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(h.counters().pending, 0);
}

/// One record of a batch holds the e-mail of a Twenty record with another `externalId`: a real
/// conflict, parked; the rest of its batch goes through. Adopting, the batch's one lookup (by
/// `externalId` or e-mail) finds it before anything is sent; never adopting, the batch is
/// created at once, refused, looked up once, then bisected down to the one record.
#[tokio::test]
async fn one_bad_record_is_parked_and_the_rest_of_its_batch_goes_through() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        for adopting in [true, false] {
            let h = harness(profile).await;
            h.fake.create_external_id_fields();
            h.fake.insert_record(
                "people",
                json!({"name": {"firstName": "Someone", "lastName": "Else"}, "externalId": "elsewhere-1", "emails": {"primaryEmail": "taken@example.com"}}),
            );
            for i in 0..20 {
                let email = if i == 13 {
                    "taken@example.com".to_string()
                } else {
                    format!("p{i}@example.com")
                };
                h.person(&format!("p{i}"), "Pat Doe", &email, None);
            }
            if adopting {
                h.sync().await.unwrap();
            } else {
                h.sync_never_adopting().await.unwrap();
            }
            let what = format!("{profile:?}, adopting {adopting}");
            assert_eq!(
                h.fake.records("people").len(),
                20,
                "{what}: 19 new + the one already there"
            );
            let counters = h.counters();
            assert_eq!(
                (counters.failed, counters.pending, counters.created),
                (1, 0, 19),
                "{what}"
            );
            let key = RecordKey::new(EntityKind::Person, "p13");
            let failed = h.store.failed(&key).unwrap().expect("p13 is parked");
            assert!(
                failed.message.contains("(externalId elsewhere-1)"),
                "{what}: {}",
                failed.message
            );
            let holder = h
                .store
                .failure_detail(&key)
                .unwrap()
                .unwrap()
                .conflict
                .unwrap();
            assert_eq!(
                holder.holder.unwrap().external_id.as_deref(),
                Some("elsewhere-1")
            );
            // Bisection costs a handful of requests, not one per record; a lookup none (the
            // create, then the upsert probe with one record just made).
            let creates = h.fake.count_matching("POST", "/rest/batch/people");
            if adopting {
                assert_eq!(creates, 2, "{what}");
            } else {
                // 1 create, its lookup, the same create again, 10 of bisection, 1 upsert probe.
                assert!(creates <= 14, "{what}: {creates}");
            }
            assert_no_duplicates(&h.fake, "people");
        }
    }
}

#[tokio::test]
async fn a_parked_record_does_not_block_the_queue_and_can_be_retried() {
    let h = harness(Profile::Legacy2025).await;
    h.fake.create_external_id_fields();
    let blocker = h.fake.insert_record(
        "people",
        json!({"externalId": "elsewhere-1", "emails": {"primaryEmail": "ada@example.com"}}),
    );
    h.person("p1", "Ada Lovelace", "ada@example.com", None);
    h.sync().await.unwrap();
    h.person("p2", "Grace Hopper", "grace@example.com", None);
    h.sync().await.unwrap();
    assert_eq!(h.counters().failed, 1);
    assert_eq!(
        h.in_twenty("people", "p2").len(),
        1,
        "p2 went through past the parked p1"
    );

    // The user fixes it in Twenty, then retries.
    assert!(h
        .fake
        .delete_record("people", blocker["id"].as_str().unwrap()));
    assert_eq!(twenty_sync::app::retry_failed(&h.store).unwrap(), 1);
    h.sync().await.unwrap();
    let counters = h.counters();
    assert_eq!((counters.failed, counters.pending), (0, 0));
    assert_eq!(h.in_twenty("people", "p1").len(), 1);
}

#[tokio::test]
async fn validation_errors_park_with_the_server_message() {
    let h = harness(Profile::Legacy2025).await;
    h.company("c1", "Acme", None);
    h.sync().await.unwrap();
    // The field disappears in Twenty: every write now fails validation.
    h.fake.drop_external_id_field("people");
    h.person("p1", "Ada", "ada@example.com", None);
    let result = h.sync().await;
    // The engine notices the missing field at start and re-creates it.
    assert!(result.is_ok(), "{result:?}");
    assert!(h.fake.has_field("people", "externalId"));
    assert_eq!(h.in_twenty("people", "p1").len(), 1);
}

#[tokio::test]
async fn a_record_in_twentys_trash_is_restored_not_parked() {
    let h = harness(Profile::Current).await;
    h.company("c1", "Acme", None);
    h.sync().await.unwrap();
    let id = h.twenty_id(EntityKind::Company, "c1").unwrap();
    // Deleted in Twenty's UI (soft delete), and our mapping lost too (e.g. a fresh data dir).
    assert!(h.fake.soft_delete_record("companies", &id));
    h.store
        .append(vec![twenty_sync::domain::Event::MappingInvalidated {
            key: RecordKey::new(EntityKind::Company, "c1"),
            twenty_id: id.clone(),
        }])
        .unwrap();
    h.company("c1", "Acme again", None);
    h.sync().await.unwrap();
    let counters = h.counters();
    assert_eq!((counters.failed, counters.pending), (0, 0));
    let live = h.in_twenty("companies", "c1");
    assert_eq!(live.len(), 1, "restored");
    assert_eq!(live[0]["id"], id.as_str());
    assert_eq!(live[0]["name"], "Acme again");
}
