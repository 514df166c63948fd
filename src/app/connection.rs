//! "Test connection" and "Create field" of the Settings screen: the connection test of the
//! Twenty client run with the saved settings or with the values typed in the form (not saved
//! yet), and the creation of the `externalId` fields when they are missing and the key may.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{Secret, Settings};
use crate::twenty::{
    CheckState, ClientConfig, ConnectionReport, FieldRefusal, RequestBudget, TwentyClient,
    TwentyTarget,
};

/// Values typed in the Settings form; empty or absent fields use the saved settings.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRequest {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
}

/// The key masked: a request may be logged or shown in a test failure.
impl std::fmt::Debug for ConnectionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRequest")
            .field("base_url", &self.base_url)
            .field(
                "api_key",
                &self.api_key.as_deref().map(crate::logging::mask_secret),
            )
            .finish()
    }
}

/// The connection test as the Settings screen shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionView {
    #[serde(flatten)]
    pub report: ConnectionReport,
    /// Some `externalId` field is missing.
    pub field_missing: bool,
    /// ... and this key may create it (show the "Create field" button).
    pub can_create_field: bool,
}

/// Why the test could not even start; the message says what to fill in.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// A value is missing or invalid: fix the named setting.
    #[error("{setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

fn client(
    settings: &Settings,
    request: &ConnectionRequest,
    budget: Arc<RequestBudget>,
) -> Result<TwentyClient, ConnectionError> {
    let target = TwentyTarget::from_parts(
        typed(&request.base_url).or(settings.base_url.as_deref()),
        typed(&request.api_key).or(settings.api_key.as_ref().map(Secret::expose)),
    )
    .map_err(|error| ConnectionError::Invalid {
        setting: error.setting,
        message: error.message,
    })?;
    TwentyClient::new(ClientConfig::for_target(target), budget).map_err(|e| {
        ConnectionError::Invalid {
            setting: "base_url",
            message: e.to_string(),
        }
    })
}

/// A value typed in the form, unless it was left blank.
fn typed(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.trim().is_empty())
}

/// Runs every check of the connection test; reports a missing field (nothing is created).
pub async fn test_connection(
    settings: &Settings,
    request: &ConnectionRequest,
    budget: Arc<RequestBudget>,
) -> Result<ConnectionView, ConnectionError> {
    let client = client(settings, request, budget)?;
    Ok(view(client.test_connection(false).await))
}

/// Creates the missing `externalId` fields, then runs the test again.
pub async fn create_external_id_field(
    settings: &Settings,
    request: &ConnectionRequest,
    budget: Arc<RequestBudget>,
) -> Result<ConnectionView, ConnectionError> {
    let client = client(settings, request, budget)?;
    Ok(view(client.test_connection(true).await))
}

fn view(report: ConnectionReport) -> ConnectionView {
    let field_missing = report
        .checks
        .iter()
        .any(|c| c.name.starts_with("external_id") && c.state == CheckState::Failed);
    let reachable_and_accepted = report
        .checks
        .iter()
        .filter(|c| c.name == "reachable" || c.name == "authenticated")
        .all(|c| c.ok);
    // Whether the key may create it is only known once Twenty was asked: offer the button
    // unless Twenty already refused this key.
    let refused = report
        .schema
        .as_ref()
        .is_some_and(|schema| matches!(schema.refusal, Some(FieldRefusal::Forbidden(_))));
    let can_create_field = field_missing && reachable_and_accepted && !refused;
    ConnectionView {
        report,
        field_missing,
        can_create_field,
    }
}
