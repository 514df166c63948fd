//! "Test connection" and "Create field" of the Settings screen: the connection test of the
//! Twenty client run with the saved settings or with the values typed in the form (not saved
//! yet), and the creation of the `externalId` fields when they are missing and the key may.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::settings::{validate_api_key, validate_base_url};
use crate::config::Settings;
use crate::twenty::{ClientConfig, ConnectionReport, FieldRefusal, RequestBudget, TwentyClient};

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
    let invalid = |setting, message: String| ConnectionError::Invalid { setting, message };
    let base_url = match request.base_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => {
            validate_base_url(url).map_err(|m| invalid("base_url", m))?
        }
        _ => settings.base_url.clone().ok_or_else(|| {
            invalid(
                "base_url",
                "set the address of your Twenty server first (e.g. https://crm.example.com)".into(),
            )
        })?,
    };
    let api_key = match request.api_key.as_deref().map(str::trim) {
        Some(key) if !key.is_empty() => validate_api_key(key).map_err(|m| invalid("api_key", m))?,
        _ => settings.api_key.clone().ok_or_else(|| {
            invalid(
                "api_key",
                "paste an API key first (Twenty: Settings → APIs & Webhooks → Create key)".into(),
            )
        })?,
    };
    TwentyClient::new(ClientConfig::new(&base_url, api_key.expose()), budget)
        .map_err(|e| invalid("base_url", e.to_string()))
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
        .any(|c| c.name.starts_with("external_id") && !c.ok);
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
