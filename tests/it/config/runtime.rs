//! Run-time changes reach the running engine at once, and switching modes or pausing never loses
//! an intent.

use fake_twenty::{FakeConfig, FakeTwenty, Profile};
use twenty_sync::app::report::SyncState;
use twenty_sync::config::{Settings, SettingsUpdate};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};

use super::support::*;

fn company(id: &str) -> (EntityKind, IntentDraft) {
    (
        EntityKind::Company,
        IntentDraft {
            values: Default::default(),
            external_id: Some(id.into()),
            fields: IntentFields {
                name: Some(format!("Company {id}")),
                ..IntentFields::default()
            },
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_from_disabled_to_direct_crm_drains_the_queue_and_keeps_every_intent() {
    let fake = FakeTwenty::start(FakeConfig::with_profile(Profile::Current)).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = start_agent(dir.path(), Settings::default());
    let handle = agent.handle();
    for i in 0..5 {
        let (kind, draft) = company(&format!("c{i}"));
        handle.record(kind, draft, IntentSource::Cli).unwrap();
    }
    eventually("disabled", || {
        handle.status().unwrap().state == SyncState::Disabled
    })
    .await;

    // Platform mode without a relay: needs attention, nothing is lost.
    handle
        .update_settings(
            &SettingsUpdate {
                sync_mode: Some("platform".into()),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    eventually("needs attention", || {
        handle.status().unwrap().state == SyncState::NeedsAttention
    })
    .await;
    // Direct mode but paused.
    handle
        .update_settings(
            &SettingsUpdate {
                sync_mode: Some("direct_crm".into()),
                enabled: Some(false),
                base_url: Some(fake.base_url()),
                api_key: Some(fake.api_key()),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    eventually("paused", || {
        handle.status().unwrap().state == SyncState::Paused
    })
    .await;
    assert_eq!(handle.status().unwrap().pending, 5);
    assert!(fake.records("companies").is_empty());

    // Enabled: the running engine picks it up at once and drains.
    handle
        .update_settings(
            &SettingsUpdate {
                enabled: Some(true),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
    eventually("all five in Twenty", || {
        fake.records("companies").len() == 5
    })
    .await;
    eventually("nothing pending", || handle.status().unwrap().pending == 0).await;

    // The view shows real sources and never the key.
    let view = handle.settings_view();
    assert_eq!(view["sync_mode"].source, "stored");
    assert_eq!(view["rate_limit"].source, "default");
    let text = serde_json::to_string(&view).unwrap();
    assert!(!text.contains(&fake.api_key()), "{text}");
    assert!(!serde_json::to_string(&handle.status().unwrap())
        .unwrap()
        .contains(&fake.api_key()));
    drop(handle);
    agent.stop().await;

    // A restart keeps the stored settings (the key from the secret store).
    let agent = start_agent(dir.path(), Settings::default());
    let settings = agent.handle().settings();
    assert_eq!(
        settings.base_url.as_deref(),
        Some(fake.base_url().trim_end_matches('/'))
    );
    assert_eq!(settings.api_key.unwrap().expose(), fake.api_key());
    agent.stop().await;

    // The key is in the secret file only.
    for (path, bytes) in all_files(dir.path()) {
        if !path.ends_with("secrets.json") {
            assert!(
                !contains(&bytes, fake.api_key().as_bytes()),
                "{} holds the key",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_change_is_refused_and_the_engine_keeps_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let agent = start_agent(dir.path(), Settings::default());
    let handle = agent.handle();
    let before = handle.store().last_seq();
    let errors = handle
        .update_settings(
            &SettingsUpdate {
                base_url: Some("ftp://nope".into()),
                rate_limit: Some(0),
                ..Default::default()
            },
            "test",
        )
        .unwrap_err();
    let named: Vec<_> = errors.iter().map(|e| e.setting).collect();
    assert_eq!(named, vec!["base_url", "rate_limit"]);
    assert_eq!(handle.store().last_seq(), before, "nothing stored");
    assert_eq!(handle.settings(), Settings::default());
    agent.stop().await;
}
