//! What the engine learns of a server and remembers per server (issue 14): the largest batch
//! (named in Twenty's refusal, halved on a 413, forced by a number), whether upserts apply
//! (learned again when an upsert stops applying), whether the `externalId` field is unique (a
//! hand-made one that is not: every new batch is looked up first, nothing is ever upserted).

use fake_twenty::{FakeConfig, Profile};
use serde_json::json;
use twenty_sync::config::{BatchSize, Settings};
use twenty_sync::engine::{Pusher, UpsertSupport};

use super::support::*;

fn companies(h: &Harness, from: usize, to: usize, name: &str) {
    for i in from..to {
        h.company(&format!("c{i}"), &format!("{name} {i}"), None);
    }
}

#[tokio::test]
async fn the_largest_batch_is_learned_from_the_refusal_and_remembered() {
    let h = harness(Profile::Current).await;
    h.fake.set_batch_cap(Some(50));
    companies(&h, 0, 120, "Acme");
    let mut pusher = h.pusher();
    h.sync_with(&mut pusher).await.unwrap();
    assert_eq!(pusher.batch_size(), 50);
    assert_eq!(h.fake.records("companies").len(), 120);
    // The workspace, the refused 120, 3 creates of at most 50, the upsert probe.
    assert_eq!(h.record_requests(), 6);
    assert_eq!(
        h.store.server(&h.fake.base_url()).unwrap().max_batch,
        Some(50)
    );
    // A new process knows it: no refused request.
    h.fake.clear_requests();
    companies(&h, 120, 240, "Globex");
    let pusher = h.pusher();
    assert_eq!(pusher.batch_size(), 50);
    h.sync().await.unwrap();
    assert_eq!(h.record_requests(), 3);
    assert!(h.fake.requests().iter().all(|r| r.status < 400));
}

#[tokio::test]
async fn a_body_too_large_halves_the_batch() {
    let h = harness_with(FakeConfig {
        body_limit: 8 * 1024,
        ..FakeConfig::legacy()
    })
    .await;
    companies(&h, 0, 200, "A company with a name long enough to weigh");
    let mut pusher = h.pusher();
    h.sync_with(&mut pusher).await.unwrap();
    assert_eq!(h.fake.records("companies").len(), 200);
    assert!(pusher.batch_size() < 200, "{}", pusher.batch_size());
    assert_eq!(h.counters().failed, 0);
    let refused = h.fake.requests().iter().filter(|r| r.status == 413).count();
    assert!(refused <= 3, "{refused} refusals");
}

#[tokio::test]
async fn a_number_forces_the_batch_size() {
    let h = harness(Profile::Legacy2025).await;
    companies(&h, 0, 150, "Acme");
    let settings = Settings {
        batch_size: BatchSize::Fixed(60),
        ..Settings::default()
    };
    let mut pusher = Pusher::for_settings(h.store.clone(), h.client(), &settings);
    h.sync_with(&mut pusher).await.unwrap();
    assert_eq!(
        h.fake.count_matching("POST", "/rest/batch/companies"),
        3 + 1
    );
    assert_eq!(pusher.batch_size(), 60);
}

#[tokio::test]
async fn an_upsert_that_stops_applying_is_learned_again() {
    let h = harness(Profile::Current).await;
    companies(&h, 0, 5, "Old");
    h.sync().await.unwrap();
    assert_eq!(
        h.store.server(&h.fake.base_url()).unwrap().upsert_applies,
        Some(true)
    );
    // The server is replaced by a build that ignores upserts.
    h.fake.set_profile(Profile::Legacy2025);
    companies(&h, 0, 5, "New");
    let mut pusher = h.pusher();
    h.sync_with(&mut pusher).await.unwrap();
    assert_eq!(pusher.upsert_support(), UpsertSupport::Unsupported);
    assert_eq!(
        h.store.server(&h.fake.base_url()).unwrap().upsert_applies,
        Some(false)
    );
    assert!(h
        .fake
        .records("companies")
        .iter()
        .all(|r| r["name"].as_str().unwrap().starts_with("New")));
    assert_eq!(h.counters().failed, 0);
    assert_no_duplicates(&h.fake, "companies");
}

#[tokio::test]
async fn a_field_that_is_not_unique_means_lookups_first_and_never_an_upsert() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        for object in ["companies", "people"] {
            let body = json!({"objectMetadataId": h.fake.object_metadata_id(object), "type": "TEXT",
                "name": "externalId", "label": "External ID", "isUnique": false});
            let made = reqwest::Client::new()
                .post(format!("{}/rest/metadata/fields", h.fake.base_url()))
                .bearer_auth(h.fake.api_key())
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(made.status().as_u16(), 201);
        }
        companies(&h, 0, 300, "Acme");
        h.sync().await.unwrap();
        companies(&h, 0, 300, "Acme renamed");
        h.sync().await.unwrap();
        let requests = h.fake.requests();
        let records: Vec<_> = requests
            .iter()
            .filter(|r| r.path.starts_with("/rest/") && !r.path.starts_with("/rest/metadata"))
            .collect();
        assert!(
            records
                .iter()
                .all(|r| !r.query.as_deref().unwrap_or("").contains("upsert")),
            "{profile:?}: never an upsert"
        );
        // Two lookups and two creates, then 300 patches.
        assert_eq!(
            h.fake.count_matching("POST", "/rest/batch/companies"),
            2,
            "{profile:?}"
        );
        assert_eq!(
            h.fake.count_matching("PATCH", "/rest/companies/"),
            300,
            "{profile:?}"
        );
        assert_eq!(h.fake.records("companies").len(), 300);
        assert_no_duplicates(&h.fake, "companies");
    }
}
