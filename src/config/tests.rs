//! Tests of settings validation from the environment.

use std::collections::HashMap;

use super::settings::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_are_disabled_until_a_url_and_key_are_given() {
    let settings = Settings::from_vars(&vars(&[])).unwrap();
    assert_eq!(settings.sync_mode, SyncMode::Disabled);
    assert!(!settings.pushes_directly());
    let settings = Settings::from_vars(&vars(&[
        ("TWENTY_CRM_BASE_URL", "https://crm.example.com/"),
        ("TWENTY_CRM_API_KEY", "key-0123456789"),
    ]))
    .unwrap();
    assert_eq!(settings.sync_mode, SyncMode::DirectCrm);
    assert_eq!(
        settings.base_url.as_deref(),
        Some("https://crm.example.com")
    );
    assert!(settings.pushes_directly());
}

#[test]
fn invalid_values_name_the_setting_and_its_source() {
    let cases = [
        ("TWENTY_CRM_BASE_URL", "ftp://x.com", "base_url"),
        ("TWENTY_CRM_BASE_URL", "not a url", "base_url"),
        ("TWENTY_CRM_API_KEY", "short", "api_key"),
        ("TWENTY_CRM_ENABLED", "maybe", "enabled"),
        ("TWENTY_CRM_SYNC_MODE", "turbo", "sync_mode"),
        ("TWENTY_SYNC_RATE_LIMIT", "0", "rate_limit"),
        ("TWENTY_SYNC_BATCH_SIZE", "500", "batch_size"),
        ("TWENTY_SYNC_UI_PORT", "70000", "ui_port"),
    ];
    for (name, value, setting) in cases {
        let error = Settings::from_vars(&vars(&[(name, value)])).unwrap_err();
        assert_eq!(error.setting, setting);
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[test]
fn secrets_never_print_in_clear() {
    let secret = Secret::new("super-secret-key-1234");
    assert_eq!(format!("{secret}"), "****1234");
    assert!(!format!("{secret:?}").contains("super-secret"));
    let settings = Settings {
        api_key: Some(secret),
        ..Settings::default()
    };
    assert!(!format!("{settings:?}").contains("super-secret"));
}

#[test]
fn base_urls_keep_their_path_prefix() {
    assert_eq!(
        validate_base_url("https://example.com/twenty/").unwrap(),
        "https://example.com/twenty"
    );
    assert!(validate_base_url("https://example.com/?x=1").is_err());
}

#[test]
fn a_server_address_is_completed_or_refused_in_plain_words() {
    use crate::config::settings::validate_base_url;
    assert_eq!(
        validate_base_url("crm.example.com").unwrap(),
        "https://crm.example.com"
    );
    assert_eq!(
        validate_base_url("localhost:3000/").unwrap(),
        "https://localhost:3000"
    );
    for (given, said) in [
        ("/relative", "'/relative' is not a server address"),
        ("foo bar", "'foo bar' is not a server address"),
        ("https:///x", "has no server name after the ://"),
        (
            "http://host:99999",
            "the port is not a number from 1 to 65535",
        ),
        ("ftp://x.com", "must start with http:// or https://"),
    ] {
        let message = validate_base_url(given).unwrap_err();
        assert!(message.contains(said), "{given}: {message}");
        assert!(
            !message.contains("relative URL without a base"),
            "{message}"
        );
    }
}

#[test]
fn an_unknown_setting_is_named_once() {
    let error = crate::config::update::update_from_pair("nosuchkey", "1").unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("'nosuchkey' is not a setting; the settings are base_url"),
        "{text}"
    );
    assert!(!text.contains("setting setting"), "{text}");
}

#[test]
fn batch_size_is_auto_or_a_number_and_match_existing_one_of_two() {
    let settings = Settings::from_vars(&vars(&[])).unwrap();
    assert_eq!(settings.batch_size, BatchSize::Auto);
    assert_eq!(settings.match_existing, MatchExisting::EmailDomain);
    let settings = Settings::from_vars(&vars(&[
        ("TWENTY_SYNC_BATCH_SIZE", "120"),
        ("TWENTY_SYNC_MATCH_EXISTING", "external_id"),
    ]))
    .unwrap();
    assert_eq!(settings.batch_size, BatchSize::Fixed(120));
    assert_eq!(settings.match_existing, MatchExisting::ExternalId);
    for bad in ["0", "201", "fast", ""] {
        let refused = BatchSize::parse(bad);
        assert!(refused.is_err(), "{bad:?}");
    }
    assert_eq!(
        BatchSize::parse("fast").unwrap_err(),
        "'fast' must be auto or a whole number from 1 to 200"
    );
    assert_eq!(BatchSize::parse(" AUTO "), Ok(BatchSize::Auto));
    assert_eq!(
        MatchExisting::parse("by_name").unwrap_err(),
        "'by_name' is not one of email_domain, external_id"
    );
    // The UI sends text, older callers a number; `config set` takes `auto`.
    let current = Settings::default();
    for (update, expected) in [
        (r#"{"batch_size":"auto"}"#, BatchSize::Auto),
        (r#"{"batch_size":"60"}"#, BatchSize::Fixed(60)),
        (r#"{"batch_size":60}"#, BatchSize::Fixed(60)),
    ] {
        let update: crate::config::SettingsUpdate = serde_json::from_str(update).unwrap();
        assert_eq!(update.apply_to(&current).unwrap().batch_size, expected);
    }
    let update = crate::config::update::update_from_pair("batch_size", "auto").unwrap();
    assert_eq!(
        update.apply_to(&current).unwrap().batch_size,
        BatchSize::Auto
    );
    let shown = crate::config::update::shown(&current, |_| "default");
    assert_eq!(shown["batch_size"].value, serde_json::json!("auto"));
    assert_eq!(
        shown["match_existing"].value,
        serde_json::json!("email_domain")
    );
}
