//! Request economy: new records in bulk, unchanged records for free, updates batched where the
//! server supports upsert.

use fake_twenty::Profile;
use twenty_sync::domain::EntityKind;

use super::support::*;

/// New records into an empty workspace: one create per batch (the `externalId` field is unique,
/// so Twenty itself refuses a duplicate), plus, once per server, whether the workspace holds
/// companies already and whether upserts apply (sent again as an upsert: one record just made).
#[tokio::test]
async fn new_records_cost_one_request_per_batch() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        for i in 0..150 {
            h.company(
                &format!("c{i}"),
                &format!("Company {i}"),
                Some(&format!("c{i}.example.com")),
            );
        }
        let settled = h.sync().await.unwrap();
        assert_eq!(settled, 150);
        assert_eq!(h.fake.records("companies").len(), 150);
        assert_eq!(
            (
                h.fake.count_matching("GET", "/rest/companies"),
                h.fake.count_matching("POST", "/rest/batch/companies"),
            ),
            (1, 2),
            "{profile:?}: the workspace, one create, one upsert probe"
        );
        assert_eq!(h.record_requests(), 3, "{profile:?}");
        let counters = h.counters();
        assert_eq!(
            (
                counters.pending,
                counters.created,
                counters.mapped_companies
            ),
            (0, 150, 150)
        );
        assert_no_duplicates(&h.fake, "companies");
        let record = &h.in_twenty("companies", "c7")[0];
        assert_eq!(record["name"], "Company 7");
        assert_eq!(
            record["domainName"]["primaryLinkUrl"],
            "https://c7.example.com"
        );
        // A later sync of new records, in a new process: one request per batch of 200.
        h.fake.clear_requests();
        for i in 150..550 {
            h.company(&format!("c{i}"), &format!("Company {i}"), None);
        }
        h.sync().await.unwrap();
        assert_eq!(h.record_requests(), 2, "{profile:?}: 400 in two creates");
        assert_eq!(h.fake.request_count(), 2, "{profile:?}: nothing else");
    }
}

#[tokio::test]
async fn unchanged_records_cost_zero_requests() {
    let h = harness(Profile::Legacy2025).await;
    h.company("c1", "Acme", Some("acme.com"));
    h.person("p1", "Ada Lovelace", "ada@example.com", Some(("c1", None)));
    h.sync().await.unwrap();
    h.fake.clear_requests();

    h.company("c1", "Acme", Some("https://ACME.com/"));
    h.person("p1", "Ada Lovelace", "Ada@Example.com", Some(("c1", None)));
    h.sync().await.unwrap();
    assert_eq!(
        h.record_requests(),
        0,
        "only the schema check may talk to Twenty"
    );
    assert_eq!(h.counters().skipped_unchanged, 2);
}

#[tokio::test]
async fn changed_records_are_patched_on_servers_without_upsert() {
    let h = harness(Profile::Legacy2025).await;
    for i in 0..5 {
        h.company(&format!("c{i}"), "Old", None);
    }
    h.sync().await.unwrap();
    h.fake.clear_requests();
    for i in 0..5 {
        h.company(&format!("c{i}"), "New", None);
    }
    let mut pusher = h.pusher();
    h.sync_with(&mut pusher).await.unwrap();
    // The first sync learned, after its create, that this build ignores upserts: 5 PATCHes,
    // no probe.
    assert_eq!(h.fake.count_matching("PATCH", "/rest/companies/"), 5);
    assert_eq!(h.fake.count_matching("POST", "/rest/batch/companies"), 0);
    assert_eq!(h.record_requests(), 5);
    assert_eq!(
        pusher.upsert_support(),
        twenty_sync::engine::UpsertSupport::Unsupported
    );
    assert!(h
        .fake
        .records("companies")
        .iter()
        .all(|r| r["name"] == "New"));
    assert_eq!(h.counters().updated, 5);
    assert_no_duplicates(&h.fake, "companies");
}

#[tokio::test]
async fn changed_records_go_in_upsert_batches_where_supported() {
    let h = harness(Profile::Current).await;
    for i in 0..120 {
        h.company(&format!("c{i}"), "Old", None);
    }
    let mut pusher = h.pusher();
    h.sync_with(&mut pusher).await.unwrap();
    for i in 0..120 {
        h.company(&format!("c{i}"), "New", None);
    }
    h.sync_with(&mut pusher).await.unwrap();
    h.fake.clear_requests();
    for i in 0..120 {
        h.company(&format!("c{i}"), "Newer", None);
    }
    h.sync_with(&mut pusher).await.unwrap();
    assert_eq!(
        pusher.upsert_support(),
        twenty_sync::engine::UpsertSupport::Supported
    );
    assert_eq!(h.record_requests(), 1, "one upsert batch (of up to 200)");
    assert!(h
        .fake
        .records("companies")
        .iter()
        .all(|r| r["name"] == "Newer"));
    assert_eq!(h.fake.records("companies").len(), 120);
    assert!(h.twenty_id(EntityKind::Company, "c0").is_some());
}

/// What the upsert probe learned is kept in the store: a new process (a new pusher) for the
/// same server sends no probe. 10 changed records: exactly 10 PATCHes on the August 2025
/// build, one upsert batch on the newest.
#[tokio::test]
async fn a_new_process_remembers_whether_upsert_applies() {
    for (profile, expected) in [(Profile::Legacy2025, 10), (Profile::Current, 1)] {
        let h = harness(profile).await;
        for i in 0..10 {
            h.company(&format!("c{i}"), "Old", None);
        }
        h.sync().await.unwrap();
        // The first process learns it (one probe)...
        for i in 0..10 {
            h.company(&format!("c{i}"), "New", None);
        }
        h.sync().await.unwrap();
        // ... and a new one knows it from the store.
        for i in 0..10 {
            h.company(&format!("c{i}"), "Newer", None);
        }
        h.fake.clear_requests();
        let mut pusher = h.pusher();
        assert_ne!(
            pusher.upsert_support(),
            twenty_sync::engine::UpsertSupport::Unknown,
            "{profile:?}"
        );
        h.sync_with(&mut pusher).await.unwrap();
        assert_eq!(h.record_requests(), expected, "{profile:?}");
        assert_eq!(
            h.fake.request_count(),
            expected,
            "{profile:?}: no metadata request either: {:?}",
            h.fake.requests()
        );
        assert!(h
            .fake
            .records("companies")
            .iter()
            .all(|r| r["name"] == "Newer"));
    }
}
