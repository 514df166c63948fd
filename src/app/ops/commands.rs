//! The operations behind the command line's own commands, so that each means the same beside a
//! running agent as without one: `push` ([`RecordIntents`]), `config show` and `config set`
//! ([`StoredSettings`], [`SetConfig`]: the stored configuration, which the CLI resolves with its
//! own flags and environment either way) and `test-connection` ([`CheckConnection`], which
//! remembers what it learned of the server). `sync --until-idle` is in `until_idle`.
//!
//! Each has one function that does the work over a [`Store`]: the agent runs it over its own
//! store, a CLI that opened the store itself runs the very same function.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::connection::ConnectionError;
use crate::app::fields::{fields_in_force, FieldsInForce};
use crate::app::{record_intents, Live, RecordError};
use crate::config::{SaveError, Settings, SettingsUpdate};
use crate::domain::fields::{read_field_inputs, FieldInputError, ReadHints};
use crate::domain::{EntityKind, Intent, IntentDraft, IntentSource, StoredConfig};
use crate::store::Store;
use crate::twenty::{ClientConfig, ConnectionReport, RequestBudget, TwentyClient, TwentyTarget};

/// Records upserts (`twenty-sync push`), validated like every input path and recorded durably
/// in one append, as from the command line. Nothing is recorded when one is invalid.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordIntents {
    pub intents: Vec<IntentInput>,
}

/// One upsert: `{"kind": "company", "external_id": "c-1", "name": "Acme", "fields":
/// {"category": "Fintech", "address.city": "Paris"}, …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntentInput {
    #[serde(with = "kind_name")]
    pub kind: EntityKind,
    #[serde(flatten)]
    pub draft: IntentDraft,
    /// Any field of the workspace, `FIELD[.PART]` → value (text, a list's items, JSON), read
    /// against the fields in force where the intent is recorded (`push --field`). Fixed targets
    /// (`jobTitle`, `emails.primaryEmail`, …) fill the draft's fixed fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl IntentInput {
    pub fn new(kind: EntityKind, draft: IntentDraft) -> IntentInput {
        IntentInput {
            kind,
            draft,
            fields: BTreeMap::new(),
        }
    }
}

/// The intents as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub intents: Vec<Intent>,
}

impl RecordIntents {
    /// Reads every intent's `fields` against the fields in force for `settings`' server, then
    /// validates and records them all, or none.
    pub fn record(self, store: &Store, settings: &Settings) -> Result<Recorded, OpError> {
        let in_force = if self.intents.iter().any(|input| !input.fields.is_empty()) {
            Some(fields_in_force(store, settings)?)
        } else {
            None
        };
        let mut drafts: Vec<(EntityKind, IntentDraft)> = Vec::with_capacity(self.intents.len());
        for input in self.intents {
            let IntentInput {
                kind,
                mut draft,
                fields,
            } = input;
            if let Some(in_force) = &in_force {
                draft.values = read_field_inputs(
                    in_force.model.object(kind),
                    fields.iter().map(|(key, value)| (key.as_str(), value)),
                    ReadHints::default(),
                    &mut draft.fields,
                )
                .map_err(|errors| invalid_values(kind, &errors, in_force))?;
            }
            drafts.push((kind, draft));
        }
        let intents =
            record_intents(store, &drafts, IntentSource::Cli).map_err(|error| match error {
                RecordError::Invalid { .. } => OpError::bad_request(error.to_string()),
                RecordError::Store(error) => OpError::Store(error),
            })?;
        Ok(Recorded { intents })
    }
}

impl Operation for RecordIntents {
    type Reply = Recorded;

    async fn run(self, live: &Live) -> Result<Recorded, OpError> {
        // The engine wakes on the append by itself.
        let handle = live.handle().clone();
        blocking(move || self.record(handle.store(), &handle.settings())).await
    }
}

/// Values that do not read for their fields, said as every front end of `push` says it.
pub fn invalid_values(
    kind: EntityKind,
    errors: &[FieldInputError],
    in_force: &FieldsInForce,
) -> OpError {
    let list = errors
        .iter()
        .map(|error| format!("{}: {}", error.key, error.message))
        .collect::<Vec<_>>()
        .join("; ");
    OpError::BadRequest {
        message: format!(
            "invalid {kind}: {list}{}; fix the value{} and try again (nothing was recorded)",
            super::fields::standard_hint(in_force),
            if errors.len() > 1 { "s" } else { "" },
        ),
        field: errors.first().map(|error| error.key.clone()),
    }
}

/// The stored configuration: the non-secret values and the names of the secrets kept in the
/// secret store, as `config set` and the UI left them. The caller resolves it with its own
/// flags and environment (`ConfigContext::load_row`), as it would over the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSettings {}

impl Operation for StoredSettings {
    type Reply = Option<StoredConfig>;

    async fn run(self, live: &Live) -> Result<Option<StoredConfig>, OpError> {
        let store = live.handle().store().clone();
        blocking(move || Ok(store.config()?)).await
    }
}

/// Validates and stores a change (`config set`), recorded as made by `cli`; the agent applies
/// it at once. Answers the stored configuration after the change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SetConfig(pub SettingsUpdate);

impl Operation for SetConfig {
    type Reply = Option<StoredConfig>;

    async fn run(self, live: &Live) -> Result<Option<StoredConfig>, OpError> {
        let handle = live.handle().clone();
        blocking(move || {
            handle
                .save_settings(&self.0, "cli")
                .map_err(refused_change)?;
            Ok(handle.store().config()?)
        })
        .await
    }
}

/// Why a settings change was not stored, as every front end of `config set` says it.
pub fn refused_change(error: SaveError) -> OpError {
    match error {
        SaveError::Invalid(_) => OpError::bad_request(format!("invalid setting {error}")),
        SaveError::Secret(error) => OpError::Unavailable(error.to_string()),
        SaveError::Store(error) => OpError::Store(error),
    }
}

/// The connection test of `twenty-sync test-connection`: every check against the server and
/// key given (the settings the caller resolved), creating a missing `externalId` field when
/// asked, and remembering what it learned of the server (`ServerLearned`), so that the first
/// sync need not ask again. Runs on the agent's rate budget when an agent runs.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConnection {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    /// Create the `externalId` field when it is missing (as the first sync would).
    #[serde(default)]
    pub create_missing: bool,
}

/// The key masked: a request may be logged or shown in a test failure.
impl std::fmt::Debug for CheckConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckConnection")
            .field("base_url", &self.base_url)
            .field(
                "api_key",
                &self.api_key.as_deref().map(crate::logging::mask_secret),
            )
            .field("create_missing", &self.create_missing)
            .finish()
    }
}

impl CheckConnection {
    /// The client of the server and key named, on `budget`; refused (naming the setting) when
    /// one is missing or unusable.
    pub fn client(&self, budget: Arc<RequestBudget>) -> Result<TwentyClient, OpError> {
        let target = TwentyTarget::from_parts(self.base_url.as_deref(), self.api_key.as_deref())
            .map_err(|error| ConnectionError::Invalid {
                setting: error.setting,
                message: error.message,
            })?;
        TwentyClient::new(ClientConfig::for_target(target), budget)
            .map_err(|error| OpError::bad_request(error.to_string()))
    }
}

/// Starts the client from what the store knows of its server (the metadata route that
/// answers), so the test asks what a sync would ask.
pub fn recall_server(store: &Store, client: &TwentyClient) {
    if let Ok(known) = store.server(client.base_url()) {
        client.set_metadata_route(known.metadata_route);
    }
}

/// Keeps what the connection test learned of the server (skipped when it learned nothing).
pub fn remember_server(store: &Store, server: &str, report: &ConnectionReport) {
    let Some(schema) = &report.schema else { return };
    let known = store.server(server).unwrap_or_default();
    if let Err(error) = crate::engine::remember_schema(store, server, &known, schema) {
        tracing::warn!("could not record what the connection test learned: {error}");
    }
}

impl Operation for CheckConnection {
    type Reply = ConnectionReport;

    async fn run(self, live: &Live) -> Result<ConnectionReport, OpError> {
        let handle = live.handle().clone();
        let client = Arc::new(self.client(handle.budget())?);
        let store = handle.store().clone();
        let recalled = (store.clone(), client.clone());
        blocking(move || {
            recall_server(&recalled.0, &recalled.1);
            Ok(())
        })
        .await?;
        let report = client.test_connection(self.create_missing).await;
        let server = client.base_url().to_string();
        let learned = report.clone();
        blocking(move || {
            remember_server(&store, &server, &learned);
            Ok(())
        })
        .await?;
        Ok(report)
    }
}

/// A kind as its lower-case name (`company`, `person`), as everywhere in the API.
pub(crate) mod kind_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::domain::EntityKind;

    pub fn serialize<S: Serializer>(kind: &EntityKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(kind.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<EntityKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        EntityKind::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown kind '{name}'; use company or person"))
        })
    }
}
