//! The long-running agent loop: it drains by itself, goes offline when Twenty is down and comes
//! back on its own, and picks up setting changes without a restart.

use std::time::Duration;

use fake_twenty::Profile;
use twenty_sync::app::agent::Agent;
use twenty_sync::app::report::SyncState;
use twenty_sync::config::{Secret, Settings, SyncMode};

use super::support::*;

fn settings_for(h: &Harness) -> Settings {
    Settings {
        base_url: Some(h.fake.base_url()),
        api_key: Some(Secret::new(h.fake.api_key())),
        sync_mode: SyncMode::DirectCrm,
        ..Settings::default()
    }
}

/// Waits (bounded: 30 s) until the condition holds.
async fn eventually(what: &str, condition: impl FnMut() -> bool) {
    crate::support::eventually(what, Duration::from_secs(30), condition).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_drains_new_intents_by_itself() {
    let h = harness(Profile::Current).await;
    let agent = Agent::start(h.store.clone(), settings_for(&h));
    let handle = agent.handle();
    h.company("c1", "Acme", None);
    eventually("c1 is in Twenty", || {
        h.in_twenty("companies", "c1").len() == 1
    })
    .await;
    h.person("p1", "Ada Lovelace", "ada@example.com", Some(("c1", None)));
    eventually("p1 is in Twenty", || h.in_twenty("people", "p1").len() == 1).await;
    eventually("the status is idle", || {
        handle.status().unwrap().state == SyncState::Idle
    })
    .await;
    let status = handle.status().unwrap();
    assert_eq!((status.pending, status.synced), (0, 2));
    assert_eq!(status.rate_limit, Some(100));
    assert!(status.requests_last_minute.unwrap() > 0);
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_then_online_drains_without_help() {
    let h = harness(Profile::Legacy2025).await;
    let agent = Agent::start(h.store.clone(), settings_for(&h));
    let handle = agent.handle();
    h.company("c0", "Warm-up", None);
    eventually("the agent synced once", || h.counters().pending == 0).await;

    h.fake.faults().down(true);
    for i in 1..=5 {
        h.company(&format!("c{i}"), "Acme", None);
    }
    eventually("the agent reports offline", || {
        handle.status().unwrap().state == SyncState::Offline
    })
    .await;
    let status = handle.status().unwrap();
    assert!(
        status.since.is_some() && status.next_retry_at.is_some(),
        "{status:?}"
    );
    assert_eq!(status.pending, 5, "nothing lost while offline");

    h.fake.faults().down(false);
    eventually("the queue drained", || h.counters().pending == 0).await;
    assert_eq!(h.fake.records("companies").len(), 6);
    assert_no_duplicates(&h.fake, "companies");
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_paused_keep_every_intent_until_switched_on() {
    let h = harness(Profile::Current).await;
    let mut settings = settings_for(&h);
    settings.sync_mode = SyncMode::Disabled;
    let agent = Agent::start(h.store.clone(), settings);
    let handle = agent.handle();
    h.company("c1", "Acme", None);
    eventually("the state is disabled", || {
        handle.status().unwrap().state == SyncState::Disabled
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.record_requests(), 0);

    handle
        .update_settings(
            &twenty_sync::config::SettingsUpdate {
                sync_mode: Some("direct_crm".into()),
                enabled: Some(false),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    eventually("the state is paused", || {
        handle.status().unwrap().state == SyncState::Paused
    })
    .await;
    assert_eq!(h.counters().pending, 1);

    handle.set_paused(false);
    eventually("c1 is in Twenty", || {
        h.in_twenty("companies", "c1").len() == 1
    })
    .await;
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_in_the_inbox_ends_up_in_twenty() {
    let h = harness(Profile::Legacy2025).await;
    let mut settings = settings_for(&h);
    settings.stability_delay_ms = 200;
    let agent = Agent::start(h.store.clone(), settings);
    let inbox = agent.handle().drop_dir();
    eventually("the inbox exists", || inbox.is_dir()).await;
    std::fs::write(
        inbox.join("directory.csv.tmp"),
        "type,external_id,name,email,website,company_external_id\n\
         company,c1,Acme,,acme.com,\n\
         person,p1,Ada Lovelace,ada@example.com,,c1\n",
    )
    .unwrap();
    std::fs::rename(inbox.join("directory.csv.tmp"), inbox.join("directory.csv")).unwrap();
    eventually("p1 is in Twenty", || h.in_twenty("people", "p1").len() == 1).await;
    let company = &h.in_twenty("companies", "c1")[0];
    assert_eq!(h.in_twenty("people", "p1")[0]["companyId"], company["id"]);
    eventually("the file moved to processed/", || {
        inbox
            .join("processed")
            .read_dir()
            .map(|d| d.count() == 1)
            .unwrap_or(false)
    })
    .await;
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_twenty_refuses_with_400_needs_attention_and_is_never_offline() {
    let h = harness(Profile::Current).await;
    let agent = Agent::start(h.store.clone(), settings_for(&h));
    let handle = agent.handle();
    h.company("c0", "Warm-up", None);
    eventually("the agent synced once", || h.counters().pending == 0).await;

    // Twenty (or a proxy before it) now refuses every request with a 400.
    h.fake.faults().fail_next(10_000, 400);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut states = handle.engine_changes();
    let recorder = seen.clone();
    let watcher = tokio::spawn(async move {
        while states.changed().await.is_ok() {
            let state = states.borrow_and_update().state;
            recorder.lock().unwrap().push(state);
        }
    });
    h.company("c1", "Acme", None);
    eventually("the agent needs attention", || {
        handle.status().unwrap().state == SyncState::NeedsAttention
    })
    .await;
    let status = handle.status().unwrap();
    let error = status.last_error.clone().unwrap_or_default();
    assert!(
        error.starts_with("Twenty refuses our requests (400: Bad Request)"),
        "{error}"
    );
    assert!(!error.contains("unreachable"), "{error}");
    assert_eq!((status.pending, status.failed), (1, 0), "nothing parked");
    let seen_states = seen.lock().unwrap().clone();
    assert!(
        !seen_states.contains(&SyncState::Offline),
        "{seen_states:?}"
    );

    h.fake.faults().clear();
    handle.sync_now();
    eventually("c1 is in Twenty", || {
        h.in_twenty("companies", "c1").len() == 1
    })
    .await;
    watcher.abort();
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_size_set_while_running_applies_at_once() {
    let h = harness(Profile::Current).await;
    let agent = Agent::start(h.store.clone(), settings_for(&h));
    let handle = agent.handle();
    h.company("c0", "Warm-up", None);
    eventually("the agent synced once", || h.counters().pending == 0).await;
    handle
        .update_settings(
            &twenty_sync::config::SettingsUpdate {
                batch_size: Some(twenty_sync::config::NumberOrText::Text("1".into())),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.fake.clear_requests();
    for i in 1..=3 {
        h.company(&format!("c{i}"), "Acme", None);
    }
    eventually("the queue drained", || h.counters().pending == 0).await;
    let creates: Vec<usize> = h
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/rest/batch/companies" && r.query.is_none())
        .filter_map(|r| r.body.as_ref().and_then(|b| b.as_array()).map(Vec::len))
        .collect();
    assert!(creates.iter().all(|n| *n == 1), "{creates:?}");
    assert_eq!(creates.len(), 3);
    agent.stop().await;
}
