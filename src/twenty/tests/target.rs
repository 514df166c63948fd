//! The one conversion from settings to a Twenty server and key: which values are refused, with
//! which setting named, and that the key stays masked up to its one sensitive header.

use crate::config::{Secret, Settings};
use crate::twenty::{ClientConfig, RequestBudget, TwentyClient, TwentyTarget};

const KEY: &str = "key-0123456789";

#[test]
fn every_missing_or_unusable_value_names_its_setting() {
    // (address, key) → the normalised address, or the setting named by the refusal.
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Result<&'a str, &'a str>);
    let cases: [Case; 8] = [
        (
            Some("https://crm.example.com/"),
            Some(KEY),
            Ok("https://crm.example.com"),
        ),
        (
            Some(" https://crm.example.com/twenty/ "),
            Some(KEY),
            Ok("https://crm.example.com/twenty"),
        ),
        (None, Some(KEY), Err("base_url")),
        (Some("  "), Some(KEY), Err("base_url")),
        (Some("ftp://crm.example.com"), Some(KEY), Err("base_url")),
        (Some("https://crm.example.com"), None, Err("api_key")),
        (
            Some("https://crm.example.com"),
            Some("short"),
            Err("api_key"),
        ),
        (
            Some("https://crm.example.com"),
            Some("key with spaces"),
            Err("api_key"),
        ),
    ];
    for (url, key, expected) in cases {
        let got = TwentyTarget::from_parts(url, key);
        match expected {
            Ok(normalised) => {
                let target = got.expect("usable");
                assert_eq!(target.url(), normalised);
                assert_eq!(target.api_key().expose(), KEY);
            }
            Err(setting) => {
                let error = got.expect_err("refused");
                assert_eq!(error.setting, setting, "{url:?} {key:?}: {error}");
                assert!(error.to_string().starts_with(setting), "{error}");
            }
        }
    }
}

#[test]
fn settings_without_an_address_say_what_to_set() {
    let error = TwentyTarget::from_settings(&Settings::default()).expect_err("no address");
    assert_eq!(
        error.to_string(),
        "base_url: set the address of your Twenty server first (e.g. https://crm.example.com)"
    );
    let settings = Settings {
        base_url: Some("https://crm.example.com".into()),
        api_key: Some(Secret::new(KEY)),
        ..Settings::default()
    };
    let target = TwentyTarget::from_settings(&settings).expect("target");
    assert!(!format!("{target:?}").contains(KEY), "{target:?}");
}

#[test]
fn the_client_builds_one_sensitive_authorization_header() {
    let target = TwentyTarget::from_parts(Some("https://crm.example.com"), Some(KEY)).unwrap();
    let client = TwentyClient::new(
        ClientConfig::for_target(target),
        RequestBudget::for_rate(60),
    )
    .expect("client");
    assert!(client.authorization.is_sensitive());
    assert!(!format!("{:?}", client.authorization).contains(KEY));
    assert_eq!(client.target().api_key().expose(), KEY);
}

#[test]
fn the_budget_of_a_rate_has_a_small_burst() {
    for (rate, burst) in [(1, 1), (20, 1), (100, 5), (600, 10), (10_000, 10)] {
        assert_eq!(RequestBudget::for_rate(rate).burst(), burst, "{rate}");
    }
}
