//! The Settings screen's operations: the effective settings (masked, with the warning when
//! secrets are kept in a file), saving a change, what a drop folder would do before it is saved,
//! Test connection and Create field (with the form's unsaved values).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::connection::{self, ConnectionRequest, ConnectionView};
use crate::app::inbox::{self, DropDirCheck};
use crate::app::Live;
use crate::config::{SettingsUpdate, ShownSetting};

/// The effective settings, every secret masked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowSettings {}

/// The settings as the Settings screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// Each setting's value (secrets masked) and where it came from.
    pub settings: BTreeMap<String, ShownSetting>,
    /// The drop folder in effect (the setting, else `<data dir>/inbox`).
    pub drop_dir: String,
    pub data_dir: String,
    /// Where the secrets are kept when that is a file (no OS keyring): shown on the screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_warning: Option<String>,
}

impl SettingsView {
    fn of(live: &Live) -> SettingsView {
        let handle = live.handle();
        SettingsView {
            settings: handle
                .settings_view()
                .into_iter()
                .map(|(key, shown)| (key.to_string(), shown))
                .collect(),
            drop_dir: handle.drop_dir().display().to_string(),
            data_dir: handle.store().data_dir().display().to_string(),
            secrets_warning: handle.secrets_warning(),
        }
    }
}

impl Operation for ShowSettings {
    type Reply = SettingsView;

    async fn run(self, live: &Live) -> Result<SettingsView, OpError> {
        Ok(SettingsView::of(live))
    }
}

/// Saves a partial change; on any invalid value nothing changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SaveSettings(pub SettingsUpdate);

impl Operation for SaveSettings {
    type Reply = SettingsView;

    async fn run(self, live: &Live) -> Result<SettingsView, OpError> {
        let live = live.clone();
        blocking(move || {
            live.handle()
                .update_settings(&self.0, live.caller())
                .map_err(OpError::Invalid)?;
            Ok(SettingsView::of(&live))
        })
        .await
    }
}

/// What choosing a folder as the drop folder would do (refused, or how many files would be
/// imported and left alone), before it is saved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckDropDir {
    pub path: String,
}

impl Operation for CheckDropDir {
    type Reply = DropDirCheck;

    async fn run(self, live: &Live) -> Result<DropDirCheck, OpError> {
        let data_dir = live.handle().store().data_dir().to_path_buf();
        blocking(move || Ok(inbox::check_drop_dir(&self.path, &data_dir))).await
    }
}

/// The connection test, with the form's values where given (else the saved settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TestConnection(pub ConnectionRequest);

impl Operation for TestConnection {
    type Reply = ConnectionView;

    async fn run(self, live: &Live) -> Result<ConnectionView, OpError> {
        let handle = live.handle();
        Ok(connection::test_connection(&handle.settings(), &self.0, handle.budget()).await?)
    }
}

/// Creates the missing `externalId` fields, then tests the connection again.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreateField(pub ConnectionRequest);

impl Operation for CreateField {
    type Reply = ConnectionView;

    async fn run(self, live: &Live) -> Result<ConnectionView, OpError> {
        let handle = live.handle();
        Ok(
            connection::create_external_id_field(&handle.settings(), &self.0, handle.budget())
                .await?,
        )
    }
}
