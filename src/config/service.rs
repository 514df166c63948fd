//! The persisted configuration as a service over the store and the secret store: load the
//! effective settings (flags > environment > stored > defaults) and save a change as a
//! `ConfigChanged` event (non-secret values) plus the secret store (secret values).

use std::collections::HashMap;
use std::sync::Arc;

use super::resolve::{check_drop_dir_against, resolve_over, setting_key, text_of, Layer, Sources};
use super::secrets::{SecretError, SecretStore};
use super::settings::{ConfigError, Settings};
use super::update::SettingsUpdate;
use crate::domain::fields::MAPPING_CONFIG_PREFIX;
use crate::domain::{ConfigChange, Event, StoredConfig};
use crate::store::{Store, StoreError};

/// Why a change of the settings was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Some values are invalid; nothing was stored. One error per setting.
    #[error("{}; nothing was stored", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigError>),
    /// The secret store refused; nothing was recorded.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The event log refused the change; see the store error.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SaveError {
    /// As the one-per-setting errors the UI shows.
    pub fn into_config_errors(self) -> Vec<ConfigError> {
        match self {
            SaveError::Invalid(errors) => errors,
            other => vec![ConfigError {
                setting: "settings",
                source_name: None,
                message: format!("could not be saved: {other}"),
            }],
        }
    }
}

/// Why the effective settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A value is invalid; the message names the setting and its source.
    #[error("invalid setting {0}")]
    Invalid(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The effective settings with the source of each and what the person should be warned about.
#[derive(Debug, Clone)]
pub struct Effective {
    pub settings: Settings,
    pub sources: Sources,
    /// E.g. "secrets are kept in a file because there is no OS keyring".
    pub secrets_warning: Option<String>,
}

/// Everything besides the store that decides the settings of one process.
#[derive(Debug, Clone)]
pub struct ConfigContext {
    /// Command-line values by setting key (secrets read from `--*-file`).
    pub flags: Layer,
    /// The environment (variable name → value).
    pub env: HashMap<String, String>,
    /// What a setting is when no source sets it.
    pub defaults: Settings,
    pub secrets: Arc<SecretStore>,
}

impl ConfigContext {
    /// The context of this process: the given command-line flags, the process environment and
    /// the secret store of `data_dir`. The CLI and the desktop shell both start from this.
    pub fn for_process(data_dir: &std::path::Path, flags: Layer) -> ConfigContext {
        ConfigContext {
            flags,
            env: std::env::vars().collect(),
            defaults: Settings::default(),
            secrets: Arc::new(super::SecretStore::from_env(data_dir)),
        }
    }

    /// The stored layer: the persisted row's values, and the secrets it names from the secret
    /// store (the keyring is only asked when a secret was stored).
    pub fn stored_layer(&self, row: Option<&StoredConfig>) -> Result<Layer, SecretError> {
        let mut layer = Layer::new();
        if let Some(row) = row {
            // Mapping overrides share the stored row but are not settings.
            layer.extend(
                row.values
                    .iter()
                    .filter(|(key, _)| !key.starts_with(MAPPING_CONFIG_PREFIX))
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
            for name in &row.secrets {
                if let Some(secret) = self.secrets.get(name)? {
                    layer.insert(name.clone(), secret.expose().to_string());
                }
            }
        }
        Ok(layer)
    }

    /// The effective settings now.
    pub fn load(&self, store: &Store) -> Result<Effective, LoadError> {
        self.load_row(store.config()?.as_ref())
    }

    /// The effective settings over a stored configuration read elsewhere (from the running
    /// agent that holds the store): the same resolution as [`ConfigContext::load`].
    pub fn load_row(&self, row: Option<&StoredConfig>) -> Result<Effective, LoadError> {
        let stored = self.stored_layer(row)?;
        let (settings, sources) = resolve_over(&self.defaults, &self.flags, &self.env, &stored)?;
        check_drop_dir_against(&settings, &sources, self.secrets.data_dir())?;
        let secrets_warning = row
            .is_some_and(|r| !r.secrets.is_empty())
            .then(|| self.secrets.warning())
            .flatten();
        Ok(Effective {
            settings,
            sources,
            secrets_warning,
        })
    }

    /// Validates `update` and, only if every field is valid, stores it: secrets in the secret
    /// store, the other values in one `ConfigChanged` event stamped with `by` and the time.
    /// Flags and environment variables still win over what is stored.
    pub fn save(
        &self,
        store: &Store,
        update: &SettingsUpdate,
        by: &str,
    ) -> Result<Effective, SaveError> {
        let row = store.config()?;
        let stored = self.stored_layer(row.as_ref())?;
        // Validate against what is stored (not the effective settings: a flag must not be
        // copied into the stored configuration).
        let (current, _) = resolve_over(&self.defaults, &Layer::new(), &HashMap::new(), &stored)
            .unwrap_or_else(|_| (self.defaults.clone(), Sources::new()));
        let next = update.apply_to(&current).map_err(SaveError::Invalid)?;
        if update.drop_dir.is_some() {
            check_drop_dir_against(&next, &Sources::new(), self.secrets.data_dir())
                .map_err(|e| SaveError::Invalid(vec![e]))?;
        }
        let mut values = Vec::new();
        let mut new_secrets = Vec::new();
        for (key, text) in update.pairs() {
            let Some(setting) = setting_key(key) else {
                continue;
            };
            if setting.secret {
                let secret = match key {
                    "api_key" => next.api_key.clone(),
                    "platform_token" => next.platform_token.clone(),
                    _ => next.relay_token.clone(),
                };
                new_secrets.extend(secret.map(|secret| (key, secret)));
            } else if text.trim().is_empty() {
                values.push((key.to_string(), None));
            } else {
                values.push((key.to_string(), text_of(&next, key)));
            }
        }
        // The whole result must resolve (an environment variable may be invalid).
        let after: Layer = {
            let mut layer = stored.clone();
            for (key, value) in &values {
                match value {
                    Some(value) => layer.insert(key.clone(), value.clone()),
                    None => layer.remove(key),
                };
            }
            layer
        };
        let (resolved, sources) = resolve_over(&self.defaults, &self.flags, &self.env, &after)
            .map_err(|e| SaveError::Invalid(vec![e]))?;
        check_drop_dir_against(&resolved, &sources, self.secrets.data_dir())
            .map_err(|e| SaveError::Invalid(vec![e]))?;
        let mut secrets = Vec::new();
        for (key, secret) in new_secrets {
            self.secrets.set(key, &secret)?;
            secrets.push((key.to_string(), true));
        }
        if !values.is_empty() || !secrets.is_empty() {
            let now = store.clock().now_ms();
            store.append(vec![config_changed(row.as_ref(), values, secrets, by, now)])?;
        }
        self.load(store).map_err(|e| match e {
            LoadError::Invalid(e) => SaveError::Invalid(vec![e]),
            LoadError::Secret(e) => SaveError::Secret(e),
            LoadError::Store(e) => SaveError::Store(e),
        })
    }
}

/// Stores mapping overrides (`mapping:<kind>:<column>` keys, see
/// `domain::fields::mapping_config_key`) in one `ConfigChanged` event stamped with `by`: each
/// value the target's stored text, `None` to forget it. They are not settings: nothing is
/// validated or resolved here (the caller checked the targets against the fields in force).
pub fn save_mapping_values(
    store: &Store,
    values: Vec<(String, Option<String>)>,
    by: &str,
) -> Result<(), StoreError> {
    debug_assert!(values
        .iter()
        .all(|(key, _)| key.starts_with(MAPPING_CONFIG_PREFIX)));
    if values.is_empty() {
        return Ok(());
    }
    let row = store.config()?;
    let now = store.clock().now_ms();
    store.append(vec![config_changed(
        row.as_ref(),
        values,
        Vec::new(),
        by,
        now,
    )])?;
    Ok(())
}

/// The event of a change of the stored configuration by `by` at `now`: the row's first change
/// keeps its `created_*`.
fn config_changed(
    row: Option<&StoredConfig>,
    values: Vec<(String, Option<String>)>,
    secrets: Vec<(String, bool)>,
    by: &str,
    now: i64,
) -> Event {
    Event::ConfigChanged(ConfigChange {
        values,
        secrets,
        created_by: row.map_or_else(|| by.to_string(), |r| r.created_by.clone()),
        updated_by: by.to_string(),
        created_at_ms: row.map_or(now, |r| r.created_at_ms),
        updated_at_ms: now,
    })
}
