//! The request floor (issue 14) against the fake in both flavours: a directory into an empty
//! workspace costs one request per 200 records; changed records in a new process cost no probe;
//! a 5xx after commit or a crash between send and record costs at most 2 more per batch in
//! flight.

use fake_twenty::Profile;
use twenty_sync::app::record_intents;
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::engine::EngineError;

use super::support::*;

/// Companies `c<i>` and people `p<i>` (of company `c<i>`) for `i` in `from..to`, named with `tag`.
pub fn directory(h: &Harness, from: usize, to: usize, tag: &str) {
    let ids: Vec<usize> = (from..to).collect();
    for chunk in ids.chunks(1_000) {
        let mut drafts = Vec::new();
        for i in chunk {
            drafts.push((
                EntityKind::Company,
                IntentDraft {
                    values: Default::default(),
                    external_id: Some(format!("c{i}")),
                    fields: IntentFields {
                        name: Some(format!("Company {i}{tag}")),
                        website: Some(format!("company{i}.example.com")),
                        ..IntentFields::default()
                    },
                },
            ));
            drafts.push((
                EntityKind::Person,
                IntentDraft {
                    values: Default::default(),
                    external_id: Some(format!("p{i}")),
                    fields: IntentFields {
                        name: Some(format!("Person Number{i}{tag}")),
                        email: Some(format!("person{i}@example.com")),
                        company_external_id: Some(format!("c{i}")),
                        ..IntentFields::default()
                    },
                },
            ));
        }
        record_intents(&h.store, &drafts, IntentSource::Cli).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_into_an_empty_workspace_costs_one_request_per_200_records() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        directory(&h, 0, 10_000, "");
        let settled = h.sync().await.unwrap();
        assert_eq!(settled, 20_000, "{profile:?}");
        let requests = h.record_requests();
        eprintln!("[floor] {profile:?}: 10,000 companies + 10,000 people in {requests} requests");
        // 100 creates of 200, whether each object's workspace held records (2), one upsert probe.
        assert!(requests <= 105, "{profile:?}: {requests}");
        assert_eq!(h.counters().created, 20_000);
        assert_eq!(h.fake.records("people").len(), 10_000);
        assert_no_duplicates(&h.fake, "companies");
        assert_no_duplicates(&h.fake, "people");
        let person = &h.in_twenty("people", "p9999")[0];
        assert_eq!(
            person["companyId"],
            h.twenty_id(EntityKind::Company, "c9999").unwrap().as_str()
        );
    }
}

#[tokio::test]
async fn ten_changed_records_in_a_new_process_cost_no_probe() {
    for (profile, expected) in [(Profile::Legacy2025, 10), (Profile::Current, 1)] {
        let h = harness(profile).await;
        directory(&h, 0, 300, "");
        h.sync().await.unwrap();
        // A new process, 10 companies changed: the floor, and nothing else (no metadata either).
        directory(&h, 0, 300, "");
        for i in 0..10 {
            h.company(
                &format!("c{i}"),
                "Changed",
                Some(&format!("company{i}.example.com")),
            );
        }
        h.fake.clear_requests();
        h.sync().await.unwrap();
        assert_eq!(h.fake.request_count(), expected, "{profile:?}");
        assert_eq!(h.in_twenty("companies", "c3")[0]["name"], "Changed");
        // Unchanged: nothing at all.
        for i in 0..10 {
            h.company(
                &format!("c{i}"),
                "Changed",
                Some(&format!("company{i}.example.com")),
            );
        }
        h.fake.clear_requests();
        h.sync().await.unwrap();
        assert_eq!(h.fake.request_count(), 0, "{profile:?}");
    }
}

#[tokio::test]
async fn a_server_error_after_commit_costs_two_requests_more() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let baseline = {
            let h = harness(profile).await;
            directory(&h, 0, 400, "");
            h.sync().await.unwrap();
            h.record_requests()
        };
        let h = harness(profile).await;
        directory(&h, 0, 400, "");
        h.sync().await.unwrap();
        // New records; the first batch create commits and answers 500 (2.4.0 did).
        directory(&h, 400, 800, "");
        h.fake.clear_requests();
        h.fake.faults().error_after_commit_next(1);
        h.sync().await.unwrap();
        let requests = h.record_requests();
        let without_fault = baseline - 3; // no learning in this second sync
        eprintln!(
            "[floor] {profile:?}: 500 after commit: {requests} requests, {without_fault} without"
        );
        assert!(
            requests <= without_fault + 2,
            "{profile:?}: {requests} requests, {without_fault} without the fault"
        );
        assert_eq!(
            h.fake.count_matching("PATCH", "/rest/"),
            0,
            "nothing patched"
        );
        assert_eq!(h.counters().pending, 0);
        assert_no_duplicates(&h.fake, "companies");
        assert_no_duplicates(&h.fake, "people");
        assert_eq!(h.fake.records("companies").len(), 800);
    }
}

/// The crash window: a batch create committed, and the process died before recording it (here
/// every answer to it is lost, so the round stops). The next process creates the batch again,
/// is refused, looks it up once and maps it.
#[tokio::test]
async fn a_batch_committed_but_never_recorded_costs_two_requests_more() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        directory(&h, 0, 10, "");
        h.sync().await.unwrap();
        for i in 0..400 {
            h.company(&format!("n{i}"), &format!("New {i}"), None);
        }
        h.fake.faults().drop_after_commit_next(3);
        let lost = h.sync().await;
        assert!(matches!(lost, Err(EngineError::Unreachable(_))), "{lost:?}");
        assert_eq!(
            h.fake.records("companies").len(),
            210,
            "Twenty did commit 200"
        );
        h.fake.clear_requests();
        h.sync().await.unwrap();
        // Without the crash: 2 creates of 200. With it: the in-flight batch sent again (refused)
        // and its one lookup instead of its create, then the other create.
        assert_eq!(h.record_requests(), 3, "{profile:?}");
        assert_eq!(
            h.fake.count_matching("PATCH", "/rest/"),
            0,
            "nothing patched"
        );
        assert_eq!(h.fake.records("companies").len(), 410);
        assert_no_duplicates(&h.fake, "companies");
        assert_eq!(h.counters().pending, 0);
    }
}

/// 2.4.0's rate limit (100 per 60 s, refilled continuously, refused requests counted; ×60 here)
/// with the agent at the same rate: not one answer 429, however many requests; and a process
/// started right after another drained the bucket meets it at most once.
#[tokio::test(flavor = "multi_thread")]
async fn at_the_servers_own_limit_nothing_is_answered_429() {
    use fake_twenty::{FakeConfig, RateLimitConfig};
    use twenty_sync::config::{BatchSize, Settings};
    use twenty_sync::engine::Pusher;
    use twenty_sync::twenty::{ClientConfig, RequestBudget, TwentyClient};

    const SCALE: f64 = 60.0;
    let h = harness_with(FakeConfig {
        rate_limit: Some(RateLimitConfig::twenty_2_4().with_time_scale(SCALE)),
        ..FakeConfig::twenty_2_4()
    })
    .await;
    let pusher = |h: &Harness| {
        let mut config = ClientConfig::new(h.fake.base_url(), h.fake.api_key());
        config.retry = fast_retries();
        let budget = RequestBudget::for_rate((100.0 * SCALE) as u32);
        let client = TwentyClient::new(config, budget).unwrap();
        let settings = Settings {
            batch_size: BatchSize::Fixed(5),
            ..Settings::default()
        };
        Pusher::for_settings(h.store.clone(), client, &settings)
    };
    directory(&h, 0, 600, "");
    h.sync_with(&mut pusher(&h)).await.unwrap();
    let requests = h.fake.requests();
    let refused = requests.iter().filter(|r| r.status == 429).count();
    eprintln!(
        "[floor] 2.4.0 at 100/min: {} requests, {refused} answered 429",
        requests.len()
    );
    assert!(requests.len() > 200, "{} requests", requests.len());
    assert_eq!(refused, 0);

    // Another process just drained the bucket.
    h.fake.faults().drain_rate_limit();
    h.fake.clear_requests();
    directory(&h, 0, 600, " again");
    h.sync_with(&mut pusher(&h)).await.unwrap();
    let refused = h.fake.requests().iter().filter(|r| r.status == 429).count();
    assert!(
        refused <= 1,
        "{refused} answered 429 after a drained bucket"
    );
    assert_eq!(h.counters().pending, 0);
}
