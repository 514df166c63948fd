//! Faults: connections dropped after Twenty committed, servers down then up, refused keys,
//! missing permissions, rate limits. Nothing is lost and nothing is created twice.

use std::time::Duration;

use fake_twenty::{Profile, RateLimitConfig};
use twenty_sync::engine::EngineError;

use super::support::*;

#[tokio::test]
async fn a_response_lost_after_commit_never_creates_a_duplicate() {
    let h = harness(Profile::Legacy2025).await;
    h.sync().await.unwrap(); // schema set up
    for i in 0..10 {
        h.company(&format!("c{i}"), "Acme", None);
    }
    // The batch create commits, then the connection drops, for every retry of it too.
    h.fake.faults().drop_after_commit_next(3);
    let first = h.sync().await;
    assert!(
        matches!(first, Err(EngineError::Unreachable(_))),
        "{first:?}"
    );
    assert_eq!(h.fake.records("companies").len(), 10, "Twenty did commit");
    assert_eq!(h.counters().pending, 10, "but we never heard back");

    // A restart: the engine looks the records up before creating anything.
    h.sync().await.unwrap();
    assert_eq!(h.fake.records("companies").len(), 10);
    assert_no_duplicates(&h.fake, "companies");
    let counters = h.counters();
    assert_eq!((counters.pending, counters.mapped_companies), (0, 10));
}

#[tokio::test]
async fn a_server_that_is_down_keeps_intents_queued_until_it_is_back() {
    let h = harness(Profile::Current).await;
    h.sync().await.unwrap();
    h.fake.faults().down(true);
    h.company("c1", "Acme", None);
    let result = h.sync().await;
    assert!(
        matches!(result, Err(EngineError::Unreachable(_))),
        "{result:?}"
    );
    assert_eq!(h.counters().pending, 1);
    h.fake.faults().down(false);
    h.sync().await.unwrap();
    assert_eq!(h.in_twenty("companies", "c1").len(), 1);
}

#[tokio::test]
async fn bursts_of_server_errors_are_retried() {
    let h = harness(Profile::Current).await;
    h.company("c1", "Acme", None);
    h.fake.faults().fail_next(2, 503);
    h.sync().await.unwrap();
    assert_eq!(h.in_twenty("companies", "c1").len(), 1);
    assert_eq!(h.counters().failed, 0);
}

#[tokio::test]
async fn a_refused_key_stops_pushing_without_parking_anything() {
    let h = harness(Profile::Legacy2025).await;
    h.sync().await.unwrap();
    h.company("c1", "Acme", None);
    h.fake.revoke_key();
    let result = h.sync().await;
    assert!(matches!(result, Err(EngineError::Refused(_))), "{result:?}");
    let counters = h.counters();
    assert_eq!((counters.pending, counters.failed), (1, 0));
}

#[tokio::test]
async fn a_key_without_data_model_permission_gets_a_clear_instruction() {
    let h = harness(Profile::Current).await;
    h.fake.set_key_can_edit_data_model(false);
    h.company("c1", "Acme", None);
    let result = h.sync().await;
    let Err(EngineError::SchemaMissing(message)) = result else {
        panic!("expected a missing schema, got {result:?}");
    };
    assert!(message.contains("Settings → Data model"), "{message}");
    assert_eq!(h.counters().pending, 1, "nothing lost");
    let writes = h
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.method != "GET"
                && r.path.starts_with("/rest/")
                && !r.path.starts_with("/rest/metadata")
        })
        .count();
    assert_eq!(writes, 0, "nothing pushed");
}

#[tokio::test]
async fn rate_limited_requests_wait_and_succeed() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.sync().await.unwrap();
        h.fake
            .faults()
            .rate_limit(Some(RateLimitConfig::new(2, Duration::from_millis(200))));
        for i in 0..5 {
            h.company(&format!("c{i}"), &format!("Acme {i}"), None);
        }
        // Like the agent's loop: an exhausted retry budget means "back off and try again".
        let mut pusher = h.pusher();
        let mut rounds = 0;
        while let Err(error) = h.drain(&mut pusher).await {
            assert!(error.is_retryable(), "{error}");
            rounds += 1;
            assert!(rounds < 50, "never got through the rate limit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(h.fake.records("companies").len(), 5, "{profile:?}");
        assert_no_duplicates(&h.fake, "companies");
    }
}
