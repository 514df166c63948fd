//! flag > env > stored > default, table-driven over `config::resolve`, and the persisted
//! configuration's single-row semantics through `ConfigContext`.

use std::collections::HashMap;

use twenty_sync::config::resolve::resolve;
use twenty_sync::config::{Layer, Settings, SettingsUpdate, Source, SyncMode};
use twenty_sync::domain::Event;

use super::support::*;

fn layer(pairs: &[(&str, &str)]) -> Layer {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn precedence_table() {
    // (key, flag, env (name, value), stored, expected value shown, expected source)
    type Row = (
        &'static str,
        Option<&'static str>,
        Option<(&'static str, &'static str)>,
        Option<&'static str>,
        &'static str,
        Source,
    );
    let rows: &[Row] = &[
        (
            "rate_limit",
            Some("10"),
            Some(("TWENTY_SYNC_RATE_LIMIT", "20")),
            Some("30"),
            "10",
            Source::Flag,
        ),
        (
            "rate_limit",
            None,
            Some(("TWENTY_SYNC_RATE_LIMIT", "20")),
            Some("30"),
            "20",
            Source::Env,
        ),
        ("rate_limit", None, None, Some("30"), "30", Source::Stored),
        ("rate_limit", None, None, None, "100", Source::Default),
        (
            "base_url",
            Some("https://flag.example"),
            Some(("TWENTY_CRM_BASE_URL", "https://env.example")),
            Some("https://stored.example"),
            "https://flag.example",
            Source::Flag,
        ),
        (
            "base_url",
            None,
            Some(("TWENTY_CRM_BASE_URL", "https://env.example/")),
            Some("https://stored.example"),
            "https://env.example",
            Source::Env,
        ),
        (
            "base_url",
            None,
            None,
            Some("https://stored.example"),
            "https://stored.example",
            Source::Stored,
        ),
        (
            "enabled",
            Some("false"),
            Some(("TWENTY_CRM_ENABLED", "true")),
            None,
            "false",
            Source::Flag,
        ),
        (
            "enabled",
            None,
            None,
            Some("false"),
            "false",
            Source::Stored,
        ),
        ("enabled", None, None, None, "true", Source::Default),
        (
            "sync_mode",
            None,
            Some(("TWENTY_CRM_SYNC_MODE", "platform")),
            Some("disabled"),
            "platform",
            Source::Env,
        ),
        (
            "sync_mode",
            None,
            None,
            Some("direct_crm"),
            "direct_crm",
            Source::Stored,
        ),
        (
            "batch_size",
            None,
            Some(("TWENTY_SYNC_BATCH_SIZE", "")),
            Some("7"),
            "7",
            Source::Stored,
        ),
        (
            "ui_port",
            Some("9000"),
            None,
            Some("9001"),
            "9000",
            Source::Flag,
        ),
        (
            "relay_port",
            None,
            Some(("TWENTY_SYNC_RELAY_PORT", "8000")),
            None,
            "8000",
            Source::Env,
        ),
        ("relay_port", None, None, None, "7421", Source::Default),
        (
            "platform_url",
            None,
            None,
            Some("http://relay.local:7421"),
            "http://relay.local:7421",
            Source::Stored,
        ),
        (
            "api_key",
            None,
            Some(("TWENTY_CRM_API_KEY", "env-key-0123456789")),
            Some("stored-key-0123456789"),
            "****6789",
            Source::Env,
        ),
        (
            "stability_delay_ms",
            None,
            None,
            Some("0"),
            "0",
            Source::Stored,
        ),
    ];
    for (key, flag, env, stored, expected, source) in rows {
        let flags = flag.map(|v| layer(&[(key, v)])).unwrap_or_default();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let stored = stored.map(|v| layer(&[(key, v)])).unwrap_or_default();
        let (settings, sources) = resolve(&flags, &env, &stored).unwrap();
        let shown = twenty_sync::config::update::shown_with_sources(&settings, &sources);
        let value = match &shown[key].value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(
            (value.as_str(), sources[key]),
            (*expected, *source),
            "{key}: flag {flag:?} env {env:?} stored {stored:?}"
        );
    }
}

#[test]
fn the_mode_defaults_to_direct_crm_once_a_url_and_key_are_stored() {
    let stored = layer(&[
        ("base_url", "https://crm.example.com"),
        ("api_key", "key-0123456789"),
    ]);
    let (settings, sources) = resolve(&Layer::new(), &HashMap::new(), &stored).unwrap();
    assert_eq!(settings.sync_mode, SyncMode::DirectCrm);
    assert_eq!(sources["sync_mode"], Source::Default);
    let (settings, _) = resolve(&Layer::new(), &HashMap::new(), &Layer::new()).unwrap();
    assert_eq!(settings.sync_mode, SyncMode::Disabled);
}

#[test]
fn every_invalid_value_names_its_setting_and_source() {
    let cases: &[(&str, &str, &str)] = &[
        ("base_url", "TWENTY_CRM_BASE_URL", "ftp://x.example"),
        ("base_url", "TWENTY_CRM_BASE_URL", "https://x.example/?q=1"),
        ("api_key", "TWENTY_CRM_API_KEY", "short"),
        ("api_key", "TWENTY_CRM_API_KEY", "has spaces in it"),
        ("enabled", "TWENTY_CRM_ENABLED", "maybe"),
        ("sync_mode", "TWENTY_CRM_SYNC_MODE", "turbo"),
        ("rate_limit", "TWENTY_SYNC_RATE_LIMIT", "0"),
        ("rate_limit", "TWENTY_SYNC_RATE_LIMIT", "10001"),
        ("batch_size", "TWENTY_SYNC_BATCH_SIZE", "201"),
        (
            "stability_delay_ms",
            "TWENTY_SYNC_STABILITY_DELAY_MS",
            "600001",
        ),
        ("ui_port", "TWENTY_SYNC_UI_PORT", "70000"),
        ("platform_url", "TWENTY_SYNC_PLATFORM_URL", "relay.local"),
        ("platform_token", "TWENTY_SYNC_PLATFORM_TOKEN", "too-short"),
        ("relay_port", "TWENTY_SYNC_RELAY_PORT", "80"),
        ("ui_port", "TWENTY_SYNC_UI_PORT", "1023"),
        ("drop_dir", "TWENTY_SYNC_DROP_DIR", "/"),
        ("relay_token", "TWENTY_SYNC_RELAY_TOKEN", "too-short"),
    ];
    for (key, env_name, value) in cases {
        let env: HashMap<String, String> = [(env_name.to_string(), value.to_string())].into();
        let error = resolve(&Layer::new(), &env, &Layer::new()).unwrap_err();
        assert_eq!(error.setting, *key, "{env_name}={value}");
        assert!(error.to_string().contains(env_name), "{error}");
        // The same value from a flag and from the stored configuration.
        let error = resolve(&layer(&[(key, value)]), &HashMap::new(), &Layer::new()).unwrap_err();
        assert!(error.to_string().contains("flag --"), "{error}");
        let error = resolve(&Layer::new(), &HashMap::new(), &layer(&[(key, value)])).unwrap_err();
        assert!(
            error.to_string().contains("stored configuration"),
            "{error}"
        );
        // And through an update: refused, naming the setting.
        let update = twenty_sync::config::update::update_from_pair(key, value);
        if let Ok(update) = update {
            let errors = update.apply_to(&Settings::default()).unwrap_err();
            assert_eq!(errors[0].setting, *key);
        }
    }
}

#[test]
fn the_stored_configuration_is_one_row_with_who_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let context = file_context(dir.path(), Settings::default());
    assert!(!store.config_exists().unwrap());
    context
        .save(
            &store,
            &SettingsUpdate {
                rate_limit: Some(42),
                ..Default::default()
            },
            "cli",
        )
        .unwrap();
    let first = store.config().unwrap().unwrap();
    assert_eq!(
        (first.created_by.as_str(), first.updated_by.as_str()),
        ("cli", "cli")
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    let effective = context
        .save(
            &store,
            &SettingsUpdate {
                base_url: Some("https://crm.example.com/".into()),
                api_key: Some("secret-key-0123456789".into()),
                ..Default::default()
            },
            "ui",
        )
        .unwrap();
    let row = store.config().unwrap().unwrap();
    assert_eq!(
        (row.created_by.as_str(), row.updated_by.as_str()),
        ("cli", "ui")
    );
    assert_eq!(row.created_at_ms, first.created_at_ms);
    assert!(row.updated_at_ms > first.updated_at_ms);
    assert_eq!(row.values["rate_limit"], "42");
    assert_eq!(row.values["base_url"], "https://crm.example.com");
    assert!(row.secrets.contains("api_key") && !row.values.contains_key("api_key"));
    assert_eq!(
        effective.settings.api_key.unwrap().expose(),
        "secret-key-0123456789"
    );
    assert_eq!(effective.sources["rate_limit"], Source::Stored);
    assert!(effective.secrets_warning.unwrap().contains("secrets.json"));

    // An invalid change stores nothing.
    let events = store.last_seq();
    let errors = context
        .save(
            &store,
            &SettingsUpdate {
                batch_size: Some(0u32.into()),
                sync_mode: Some("x".into()),
                ..Default::default()
            },
            "ui",
        )
        .unwrap_err()
        .into_config_errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(store.last_seq(), events);

    // The events carry no secret; rebuilding keeps the row.
    for envelope in store.events_after(0, 100).unwrap() {
        if let Event::ConfigChanged(change) = &envelope.event {
            assert!(!format!("{change:?}").contains("secret-key"));
        }
    }
    let before = store.config().unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.config().unwrap(), before);
}

#[cfg(unix)]
#[test]
fn without_a_keyring_secrets_go_to_a_0600_file_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let context = file_context(dir.path(), Settings::default());
    let effective = context
        .save(
            &store,
            &SettingsUpdate {
                api_key: Some("file-key-0123456789".into()),
                ..Default::default()
            },
            "cli",
        )
        .unwrap();
    let file = dir.path().join("secrets.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let warning = effective.secrets_warning.unwrap();
    assert!(warning.contains("readable only by you"), "{warning}");
    // Everywhere else in the data dir the key is absent.
    drop(store);
    for (path, bytes) in all_files(dir.path()) {
        if path != file {
            assert!(
                !contains(&bytes, b"file-key-0123456789"),
                "{} holds the key",
                path.display()
            );
        }
    }
}
