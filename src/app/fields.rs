//! The fields in force for a store, as every front end and the import read them: the workspace's
//! data model as last read from the configured Twenty server (Twenty's standard fields until it
//! was read), and the mapping overrides people chose (kept in the stored configuration under
//! `mapping:<kind>:<column>`, so they are audited as `ConfigChanged` events). Reading the model
//! again (`refresh_data_model`) records it as `ServerLearned(DataModelRead)` when it changed.

use crate::config::Settings;
use crate::domain::fields::{DataModel, MappingOverrides};
use crate::domain::ServerFact;
use crate::store::{Store, StoreError};
use crate::twenty::{DataModelError, TwentyClient};

/// What a mapping is proposed against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsInForce {
    pub model: DataModel,
    pub overrides: MappingOverrides,
    /// The server the model was read from; `None`: Twenty's standard fields (not read yet, or no
    /// server configured).
    pub read_from: Option<String>,
}

impl FieldsInForce {
    /// What an import maps a file's columns against.
    pub fn for_import(self) -> crate::import::ImportFields {
        crate::import::ImportFields {
            model: self.model,
            overrides: self.overrides,
        }
    }
}

/// The fields in force for `settings`' server (see the module doc).
pub fn fields_in_force(store: &Store, settings: &Settings) -> Result<FieldsInForce, StoreError> {
    let overrides = store
        .config()?
        .map(|row| MappingOverrides::from_config(&row.values))
        .unwrap_or_default();
    let read = match settings.server_key() {
        Some(server) => store.data_model(&server)?.map(|model| (model, server)),
        None => None,
    };
    Ok(match read {
        Some((model, server)) => FieldsInForce {
            model,
            overrides,
            read_from: Some(server),
        },
        None => FieldsInForce {
            model: DataModel::standard(),
            overrides,
            read_from: None,
        },
    })
}

/// Why the data model could not be read again.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Twenty did not answer or refused (see the inner error for what to do).
    #[error(transparent)]
    Twenty(#[from] DataModelError),
    /// The store could not record it; the model was read but is not kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the data model from Twenty and records it for the client's server when it changed.
pub async fn refresh_data_model(
    store: &Store,
    client: &TwentyClient,
) -> Result<DataModel, RefreshError> {
    let model = client.read_data_model().await?;
    let server = client.base_url();
    let known = store.server(server)?;
    store.learn_server_facts(
        server,
        &known,
        vec![ServerFact::DataModelRead(model.clone())],
    )?;
    Ok(model)
}
