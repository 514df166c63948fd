//! Settings: what the agent needs to know (where Twenty is, the key, the sync mode, limits), where
//! each value came from, and the validation every source goes through.
//!
//! # Layout
//! - [`settings`]: `Settings`, `Secret` (masks itself), the validators.
//! - [`resolve`]: the setting keys and env names; `resolve` decides flag > env > stored > default.
//! - [`drop_folder`]: the folders refused as the drop folder (root, system folders, home, data
//!   directory).
//! - [`update`]: partial changes (`config set`, the UI) and the masked display form.
//! - [`secrets`]: the OS keyring, or a 0600 file with a warning.
//! - [`service`]: load and save the persisted configuration (`ConfigChanged` + secret store).

pub mod drop_folder;
pub mod resolve;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod update;

pub use resolve::{resolve, Layer, Source, Sources, SETTING_KEYS};
pub use secrets::{SecretError, SecretStore, SecretStoreChoice};
pub use service::{save_mapping_values, ConfigContext, Effective, LoadError, SaveError};
pub use settings::{BatchSize, ConfigError, MatchExisting, Secret, Settings, SyncMode};
pub use update::{NumberOrText, SettingsUpdate, ShownSetting};

#[cfg(test)]
mod tests;
