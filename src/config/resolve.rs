//! The one place that decides the effective settings: every setting key with its environment
//! variable, the validation of one value, and the precedence flag > environment > stored > default.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::settings::{
    parse_bool, parse_in_range, parse_port, validate_api_key, validate_base_url, validate_token,
    validate_url, BatchSize, ConfigError, MatchExisting, Settings, SyncMode,
};

/// One setting: its key (for `config set`, `config show` and the stored configuration), its
/// environment variable, and whether it is a secret (kept in the secret store, never in events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingKey {
    pub key: &'static str,
    pub env: &'static str,
    pub secret: bool,
}

const fn setting(key: &'static str, env: &'static str, secret: bool) -> SettingKey {
    SettingKey { key, env, secret }
}

/// Every setting, in display order. Other tools rely on these names.
pub const SETTING_KEYS: &[SettingKey] = &[
    setting("base_url", "TWENTY_CRM_BASE_URL", false),
    setting("api_key", "TWENTY_CRM_API_KEY", true),
    setting("enabled", "TWENTY_CRM_ENABLED", false),
    setting("sync_mode", "TWENTY_CRM_SYNC_MODE", false),
    setting("rate_limit", "TWENTY_SYNC_RATE_LIMIT", false),
    setting("batch_size", "TWENTY_SYNC_BATCH_SIZE", false),
    setting("match_existing", "TWENTY_SYNC_MATCH_EXISTING", false),
    setting("drop_dir", "TWENTY_SYNC_DROP_DIR", false),
    setting(
        "stability_delay_ms",
        "TWENTY_SYNC_STABILITY_DELAY_MS",
        false,
    ),
    setting("ui_port", "TWENTY_SYNC_UI_PORT", false),
    setting("platform_url", "TWENTY_SYNC_PLATFORM_URL", false),
    setting("platform_token", "TWENTY_SYNC_PLATFORM_TOKEN", true),
    setting("relay_port", "TWENTY_SYNC_RELAY_PORT", false),
    setting("relay_token", "TWENTY_SYNC_RELAY_TOKEN", true),
];

/// The setting named `key`, if there is one.
pub fn setting_key(key: &str) -> Option<&'static SettingKey> {
    SETTING_KEYS.iter().find(|s| s.key == key)
}

/// Where an effective value came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Flag,
    Env,
    Stored,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env => "env",
            Source::Stored => "stored",
            Source::Default => "default",
        }
    }
}

/// Raw values of one source, by setting key (secrets included, in clear: keep it in memory).
pub type Layer = BTreeMap<String, String>;

/// The source of every effective setting, by key.
pub type Sources = BTreeMap<&'static str, Source>;

/// Validates `value` for the setting `key` and sets it in `settings`. An empty value puts the
/// setting back to its default.
pub fn apply_value(settings: &mut Settings, key: &str, value: &str) -> Result<(), String> {
    let defaults = Settings::default();
    let value = value.trim();
    let empty = value.is_empty();
    match key {
        "base_url" if empty => settings.base_url = None,
        "base_url" => settings.base_url = Some(validate_base_url(value)?),
        "api_key" if empty => settings.api_key = None,
        "api_key" => settings.api_key = Some(validate_api_key(value)?),
        "enabled" if empty => settings.enabled = defaults.enabled,
        "enabled" => {
            settings.enabled =
                parse_bool(value).ok_or_else(|| format!("'{value}' is not true or false"))?
        }
        "sync_mode" if empty => settings.sync_mode = defaults.sync_mode,
        "sync_mode" => {
            settings.sync_mode = SyncMode::parse(value)
                .ok_or_else(|| format!("'{value}' is not one of disabled, platform, direct_crm"))?
        }
        "rate_limit" if empty => settings.rate_limit = defaults.rate_limit,
        "rate_limit" => settings.rate_limit = parse_in_range(value, 1, 10_000)?,
        "batch_size" if empty => settings.batch_size = defaults.batch_size,
        "batch_size" => settings.batch_size = BatchSize::parse(value)?,
        "match_existing" if empty => settings.match_existing = defaults.match_existing,
        "match_existing" => settings.match_existing = MatchExisting::parse(value)?,
        "drop_dir" if empty => settings.drop_dir = None,
        "drop_dir" => {
            let dir = PathBuf::from(value);
            if let Some(refusal) =
                super::drop_folder::refusal(&dir, None, super::drop_folder::home_dir().as_deref())
            {
                return Err(refusal);
            }
            settings.drop_dir = Some(dir)
        }
        "stability_delay_ms" if empty => settings.stability_delay_ms = defaults.stability_delay_ms,
        "stability_delay_ms" => {
            settings.stability_delay_ms = u64::from(parse_in_range(value, 0, 600_000)?)
        }
        "ui_port" if empty => settings.ui_port = defaults.ui_port,
        "ui_port" => settings.ui_port = parse_port(value)?,
        "platform_url" if empty => settings.platform_url = None,
        "platform_url" => settings.platform_url = Some(validate_url(value)?),
        "platform_token" if empty => settings.platform_token = None,
        "platform_token" => settings.platform_token = Some(validate_token(value)?),
        "relay_port" if empty => settings.relay_port = defaults.relay_port,
        "relay_port" => settings.relay_port = parse_port(value)?,
        "relay_token" if empty => settings.relay_token = None,
        "relay_token" => settings.relay_token = Some(validate_token(value)?),
        other => {
            return Err(format!(
                "'{other}' is not a setting; the settings are {}",
                SETTING_KEYS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
    Ok(())
}

/// The canonical text of a non-secret setting (what the stored configuration keeps); `None`
/// when unset. Secrets give `None`: they never leave the secret store as text.
pub fn text_of(settings: &Settings, key: &str) -> Option<String> {
    match key {
        "base_url" => settings.base_url.clone(),
        "enabled" => Some(settings.enabled.to_string()),
        "sync_mode" => Some(settings.sync_mode.as_str().to_string()),
        "rate_limit" => Some(settings.rate_limit.to_string()),
        "batch_size" => Some(settings.batch_size.to_string()),
        "match_existing" => Some(settings.match_existing.as_str().to_string()),
        "drop_dir" => settings.drop_dir.as_ref().map(|d| d.display().to_string()),
        "stability_delay_ms" => Some(settings.stability_delay_ms.to_string()),
        "ui_port" => Some(settings.ui_port.to_string()),
        "platform_url" => settings.platform_url.clone(),
        "relay_port" => Some(settings.relay_port.to_string()),
        _ => None,
    }
}

/// Refuses an effective drop folder that is the data directory itself (the checks that need no
/// data directory run in [`apply_value`]); the error names the drop folder's source.
pub fn check_drop_dir_against(
    settings: &Settings,
    sources: &Sources,
    data_dir: &Path,
) -> Result<(), ConfigError> {
    let Some(dir) = &settings.drop_dir else {
        return Ok(());
    };
    let home = super::drop_folder::home_dir();
    match super::drop_folder::refusal(dir, Some(data_dir), home.as_deref()) {
        None => Ok(()),
        Some(message) => {
            let setting = setting_key("drop_dir").unwrap_or(&SETTING_KEYS[7]);
            Err(ConfigError {
                setting: setting.key,
                source_name: sources
                    .get(setting.key)
                    .map(|source| source_name(*source, setting)),
                message,
            })
        }
    }
}

fn source_name(source: Source, setting: &SettingKey) -> String {
    match source {
        Source::Flag => format!(
            "flag --{}{}",
            setting.key.replace('_', "-"),
            if setting.secret { "-file" } else { "" }
        ),
        Source::Env => format!("environment variable {}", setting.env),
        Source::Stored => {
            "the stored configuration; change it with `twenty-sync config set`".into()
        }
        Source::Default => "the default".into(),
    }
}

/// The effective settings over `Settings::default()`: see [`resolve_over`].
pub fn resolve(
    flags: &Layer,
    env: &HashMap<String, String>,
    stored: &Layer,
) -> Result<(Settings, Sources), ConfigError> {
    resolve_over(&Settings::default(), flags, env, stored)
}

/// The effective settings: for each setting the first source that has a (non-empty) value, of
/// flags, environment (`TWENTY_CRM_*`, `TWENTY_SYNC_*`), the stored configuration, else
/// `defaults`. Every value is validated; the first invalid one is the error, naming the setting
/// and its source. When no source sets `sync_mode`, it is `direct_crm` as soon as a base URL and
/// key come from a source, else the default's.
pub fn resolve_over(
    defaults: &Settings,
    flags: &Layer,
    env: &HashMap<String, String>,
    stored: &Layer,
) -> Result<(Settings, Sources), ConfigError> {
    let mut settings = defaults.clone();
    let mut sources = Sources::new();
    for setting in SETTING_KEYS {
        let present = |value: Option<&String>| value.filter(|v| !v.trim().is_empty()).cloned();
        let found = present(flags.get(setting.key))
            .map(|v| (Source::Flag, v))
            .or_else(|| present(env.get(setting.env)).map(|v| (Source::Env, v)))
            .or_else(|| present(stored.get(setting.key)).map(|v| (Source::Stored, v)));
        match found {
            Some((source, value)) => {
                apply_value(&mut settings, setting.key, &value).map_err(|message| ConfigError {
                    setting: setting.key,
                    source_name: Some(source_name(source, setting)),
                    message,
                })?;
                sources.insert(setting.key, source);
            }
            None => {
                sources.insert(setting.key, Source::Default);
            }
        }
    }
    let from_source = |key: &str| sources.get(key).is_some_and(|s| *s != Source::Default);
    if !from_source("sync_mode")
        && defaults.sync_mode == SyncMode::Disabled
        && (from_source("base_url") || from_source("api_key"))
        && settings.base_url.is_some()
        && settings.api_key.is_some()
    {
        settings.sync_mode = SyncMode::DirectCrm;
    }
    Ok((settings, sources))
}

impl Settings {
    /// Reads the environment over the defaults. The sync mode defaults to `direct_crm` when a base
    /// URL and key are given and no mode is, `disabled` otherwise.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_vars(&std::env::vars().collect())
    }

    /// The settings from these environment variables over the defaults (no flags, nothing stored).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Settings, ConfigError> {
        let none = Layer::new();
        resolve(&none, vars, &none).map(|(settings, _)| settings)
    }
}
