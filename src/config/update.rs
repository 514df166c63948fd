//! Changing settings at run time: a partial update, validated as a whole before anything is
//! applied, and the display form of the effective settings (secrets masked).

use serde::{Deserialize, Serialize};

use super::resolve::{apply_value, setting_key, Source, Sources, SETTING_KEYS};
use super::settings::{ConfigError, Settings};

/// A partial change of the settings, as the UI or `config set` sends it. `None` keeps the value;
/// an empty text clears it (back to the default); an empty secret (`api_key`, `platform_token`,
/// `relay_token`) keeps the current one (the UI never shows it, so it cannot send it back).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub enabled: Option<bool>,
    pub sync_mode: Option<String>,
    pub rate_limit: Option<u32>,
    /// `auto` or a number; the UI sends text, older callers a JSON number.
    pub batch_size: Option<NumberOrText>,
    #[serde(default)]
    pub match_existing: Option<String>,
    pub drop_dir: Option<String>,
    pub stability_delay_ms: Option<u64>,
    #[serde(default)]
    pub ui_port: Option<u32>,
    #[serde(default)]
    pub platform_url: Option<String>,
    #[serde(default)]
    pub platform_token: Option<String>,
    #[serde(default)]
    pub relay_port: Option<u32>,
    #[serde(default)]
    pub relay_token: Option<String>,
}

/// A setting given as a JSON number or as text (`batch_size`: `60` or `"auto"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(u64),
    Text(String),
}

impl NumberOrText {
    fn text(&self) -> String {
        match self {
            NumberOrText::Number(n) => n.to_string(),
            NumberOrText::Text(text) => text.clone(),
        }
    }
}

impl From<u32> for NumberOrText {
    fn from(n: u32) -> NumberOrText {
        NumberOrText::Number(u64::from(n))
    }
}

/// Lists the fields set, secrets masked: an update may be logged or shown in a test failure.
impl std::fmt::Debug for SettingsUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |key: &str| setting_key(key).is_some_and(|s| s.secret);
        f.debug_map()
            .entries(self.pairs().into_iter().map(|(key, text)| {
                let shown = if secret(key) {
                    crate::logging::mask_secret(&text)
                } else {
                    text
                };
                (key, shown)
            }))
            .finish()
    }
}

impl SettingsUpdate {
    /// The fields this update sets, as `(key, text)` pairs in setting order. Empty secrets are
    /// left out (they mean "keep the current one").
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let text = |v: &Option<String>| v.clone();
        let number = |v: Option<u64>| v.map(|n| n.to_string());
        let candidates: [(&'static str, Option<String>); 14] = [
            ("base_url", text(&self.base_url)),
            ("api_key", text(&self.api_key)),
            ("enabled", self.enabled.map(|b| b.to_string())),
            ("sync_mode", text(&self.sync_mode)),
            ("rate_limit", number(self.rate_limit.map(u64::from))),
            (
                "batch_size",
                self.batch_size.as_ref().map(NumberOrText::text),
            ),
            ("match_existing", text(&self.match_existing)),
            ("drop_dir", text(&self.drop_dir)),
            ("stability_delay_ms", number(self.stability_delay_ms)),
            ("ui_port", number(self.ui_port.map(u64::from))),
            ("platform_url", text(&self.platform_url)),
            ("platform_token", text(&self.platform_token)),
            ("relay_port", number(self.relay_port.map(u64::from))),
            ("relay_token", text(&self.relay_token)),
        ];
        candidates
            .into_iter()
            .filter_map(|(key, value)| {
                let value = value?;
                let secret = setting_key(key).is_some_and(|s| s.secret);
                (!(secret && value.trim().is_empty())).then_some((key, value))
            })
            .collect()
    }

    /// Applies the update to a copy of `current`; every invalid field is reported and nothing is
    /// applied unless all are valid.
    pub fn apply_to(&self, current: &Settings) -> Result<Settings, Vec<ConfigError>> {
        let mut next = current.clone();
        let errors: Vec<ConfigError> = self
            .pairs()
            .into_iter()
            .filter_map(|(key, value)| {
                apply_value(&mut next, key, &value)
                    .err()
                    .map(|message| ConfigError {
                        setting: key,
                        source_name: None,
                        message,
                    })
            })
            .collect();
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }
}

/// Parses a `config set KEY VALUE` pair into an update; the value itself is validated by
/// [`SettingsUpdate::apply_to`].
pub fn update_from_pair(key: &str, value: &str) -> Result<SettingsUpdate, ConfigError> {
    let Some(setting) = setting_key(key) else {
        return Err(ConfigError {
            setting: "",
            source_name: None,
            message: format!(
                "'{key}' is not a setting; the settings are {}",
                SETTING_KEYS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    };
    let bad = |message: String| ConfigError {
        setting: setting.key,
        source_name: None,
        message,
    };
    let number = |value: &str| -> Result<u64, ConfigError> {
        value
            .trim()
            .parse::<u64>()
            .map_err(|_| bad(format!("'{value}' is not a whole number")))
    };
    let small = |value: &str| number(value).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    let mut update = SettingsUpdate::default();
    match setting.key {
        "base_url" => update.base_url = Some(value.into()),
        "api_key" => update.api_key = Some(value.into()),
        "enabled" => {
            update.enabled = Some(
                super::settings::parse_bool(value)
                    .ok_or_else(|| bad(format!("'{value}' is not true or false")))?,
            )
        }
        "sync_mode" => update.sync_mode = Some(value.into()),
        "rate_limit" => update.rate_limit = Some(small(value)?),
        "batch_size" => update.batch_size = Some(NumberOrText::Text(value.into())),
        "match_existing" => update.match_existing = Some(value.into()),
        "drop_dir" => update.drop_dir = Some(value.into()),
        "stability_delay_ms" => update.stability_delay_ms = Some(number(value)?),
        "ui_port" => update.ui_port = Some(small(value)?),
        "platform_url" => update.platform_url = Some(value.into()),
        "platform_token" => update.platform_token = Some(value.into()),
        "relay_port" => update.relay_port = Some(small(value)?),
        _ => update.relay_token = Some(value.into()),
    }
    if setting.secret && value.trim().is_empty() {
        return Err(bad(
            "an empty value would keep the current secret; give the new value".into(),
        ));
    }
    Ok(update)
}

/// One effective setting for display: the value (secrets masked) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownSetting {
    pub value: serde_json::Value,
    pub source: String,
    /// Something the person should know about this value (e.g. a secret kept in a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The effective settings for display, every secret masked.
pub fn shown(
    settings: &Settings,
    source_of: impl Fn(&str) -> &'static str,
) -> std::collections::BTreeMap<&'static str, ShownSetting> {
    use serde_json::json;
    let masked = |s: &Option<super::Secret>| json!(s.as_ref().map(|k| k.masked()));
    let mut out = std::collections::BTreeMap::new();
    for setting in SETTING_KEYS {
        let value = match setting.key {
            "api_key" => masked(&settings.api_key),
            "platform_token" => masked(&settings.platform_token),
            "relay_token" => masked(&settings.relay_token),
            "enabled" => json!(settings.enabled),
            "rate_limit" => json!(settings.rate_limit),
            "batch_size" => match settings.batch_size.fixed() {
                Some(n) => json!(n),
                None => json!(settings.batch_size.to_string()),
            },
            "stability_delay_ms" => json!(settings.stability_delay_ms),
            "ui_port" => json!(settings.ui_port),
            "relay_port" => json!(settings.relay_port),
            key => json!(super::resolve::text_of(settings, key)),
        };
        out.insert(
            setting.key,
            ShownSetting {
                value,
                source: source_of(setting.key).to_string(),
                warning: None,
            },
        );
    }
    out
}

/// [`shown`] with the sources of a resolution.
pub fn shown_with_sources(
    settings: &Settings,
    sources: &Sources,
) -> std::collections::BTreeMap<&'static str, ShownSetting> {
    shown(settings, |key| {
        sources
            .get(key)
            .copied()
            .unwrap_or(Source::Default)
            .as_str()
    })
}
