//! The validated settings and their sources. Every value is checked the same way whether it comes
//! from a flag, the environment or the persisted configuration; errors name the setting.

use std::fmt;
use std::path::PathBuf;

/// How intents reach Twenty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Record intents, never push them.
    Disabled,
    /// Forward intents to a relay (another twenty-sync) instead of Twenty.
    Platform,
    /// Push to Twenty's REST API directly.
    DirectCrm,
}

impl SyncMode {
    pub fn parse(text: &str) -> Option<SyncMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "disabled" => Some(SyncMode::Disabled),
            "platform" => Some(SyncMode::Platform),
            "direct_crm" | "direct-crm" => Some(SyncMode::DirectCrm),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Disabled => "disabled",
            SyncMode::Platform => "platform",
            SyncMode::DirectCrm => "direct_crm",
        }
    }
}

/// How many records go in one batch request (creates, upserts, `in` lookups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchSize {
    /// As many as the server takes: from [`BatchSize::MAX`] down to the largest it accepts,
    /// learned from its refusal and remembered per server.
    #[default]
    Auto,
    /// Exactly this many (1 to [`BatchSize::MAX`]), or fewer if the server refuses as many.
    Fixed(u32),
}

impl BatchSize {
    /// The largest batch asked for: Twenty's own cap (`QUERY_MAX_RECORDS`).
    pub const MAX: u32 = 200;

    /// `auto`, or a whole number from 1 to [`BatchSize::MAX`].
    pub fn parse(value: &str) -> Result<BatchSize, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("auto") {
            return Ok(BatchSize::Auto);
        }
        match value.parse::<u32>() {
            Ok(n) if (1..=BatchSize::MAX).contains(&n) => Ok(BatchSize::Fixed(n)),
            _ => Err(format!(
                "'{value}' must be auto or a whole number from 1 to {}",
                BatchSize::MAX
            )),
        }
    }

    /// The forced size, when one is set.
    pub fn fixed(self) -> Option<usize> {
        match self {
            BatchSize::Auto => None,
            BatchSize::Fixed(n) => Some(n as usize),
        }
    }
}

impl fmt::Display for BatchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchSize::Auto => f.write_str("auto"),
            BatchSize::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// A number forces the size (clamped to 1..=[`BatchSize::MAX`]).
impl From<usize> for BatchSize {
    fn from(n: usize) -> BatchSize {
        BatchSize::Fixed(
            u32::try_from(n)
                .unwrap_or(u32::MAX)
                .clamp(1, BatchSize::MAX),
        )
    }
}

/// A number forces the size (so that `Pusher::new(store, client, 60)` reads as it always did).
impl From<i32> for BatchSize {
    fn from(n: i32) -> BatchSize {
        BatchSize::from(usize::try_from(n).unwrap_or(1))
    }
}

/// How a new record finds the Twenty record it may already be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchExisting {
    /// By `externalId`, else a person by primary e-mail and a company by domain: a record found
    /// that way without an `externalId` is adopted.
    #[default]
    EmailDomain,
    /// By `externalId` only: a record holding our e-mail or domain is a conflict, never adopted.
    ExternalId,
}

impl MatchExisting {
    pub fn parse(value: &str) -> Result<MatchExisting, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "email_domain" | "email-domain" => Ok(MatchExisting::EmailDomain),
            "external_id" | "external-id" => Ok(MatchExisting::ExternalId),
            other => Err(format!("'{other}' is not one of email_domain, external_id")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MatchExisting::EmailDomain => "email_domain",
            MatchExisting::ExternalId => "external_id",
        }
    }
}

/// A secret value (API key, token): never printed, masked in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The clear value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        crate::logging::mask_secret(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A setting that failed validation; the message names it and says what is expected.
/// `setting` is empty when the name itself is wrong (the message then says so).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub setting: &'static str,
    pub source_name: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.setting.is_empty() {
            return f.write_str(&self.message);
        }
        f.write_str(self.setting)?;
        if let Some(source) = &self.source_name {
            write!(f, " (from {source})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The effective settings of the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub base_url: Option<String>,
    pub api_key: Option<Secret>,
    pub enabled: bool,
    pub sync_mode: SyncMode,
    /// Requests per minute to Twenty, for every request the agent makes.
    pub rate_limit: u32,
    /// Records per batch request: learned from the server, or forced.
    pub batch_size: BatchSize,
    /// How new records find the Twenty records they may already be (adoption).
    pub match_existing: MatchExisting,
    pub drop_dir: Option<PathBuf>,
    pub stability_delay_ms: u64,
    pub ui_port: u16,
    /// Platform mode: the upstream relay (another `twenty-sync run --relay`).
    pub platform_url: Option<String>,
    pub platform_token: Option<Secret>,
    /// `run --relay`: the port other agents send their intents to, and the token they must show.
    pub relay_port: u16,
    pub relay_token: Option<Secret>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            base_url: None,
            api_key: None,
            enabled: true,
            sync_mode: SyncMode::Disabled,
            rate_limit: 100,
            batch_size: BatchSize::Auto,
            match_existing: MatchExisting::EmailDomain,
            drop_dir: None,
            stability_delay_ms: 2_000,
            ui_port: 7420,
            platform_url: None,
            platform_token: None,
            relay_port: 7421,
            relay_token: None,
        }
    }
}

impl Settings {
    /// True when the engine may push to Twenty directly.
    pub fn pushes_directly(&self) -> bool {
        self.enabled && self.sync_mode == SyncMode::DirectCrm
    }

    /// The Twenty server as the store keys what it learned of it: the normalised base URL, when
    /// one is set and valid.
    pub fn server_key(&self) -> Option<String> {
        self.base_url
            .as_deref()
            .and_then(|url| validate_base_url(url).ok())
    }
}

/// The Twenty server's address: an http(s) URL with a host ([`validate_url`]); a bare host
/// (`crm.example.com`, `crm.example.com:8443/twenty`) gets `https://`.
pub fn validate_base_url(value: &str) -> Result<String, String> {
    let given = value.trim();
    if given.is_empty() || given.contains("://") {
        return validate_url(given);
    }
    // A bare host (`crm.example.com`, `localhost:3000`) gets https://; anything else is not one.
    let host_like = given
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
    if !host_like || given.chars().any(char::is_whitespace) {
        return Err(format!(
            "'{given}' is not a server address; use e.g. https://crm.example.com"
        ));
    }
    validate_url(&format!("https://{given}"))
        .map_err(|_| format!("'{given}' is not a server address; use e.g. https://crm.example.com"))
}

/// An http(s) URL with a host; the trailing slash is trimmed, a path prefix kept.
pub fn validate_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    let parsed = url::Url::parse(trimmed).map_err(|e| {
        format!(
            "'{trimmed}' is not a URL ({}); use e.g. https://crm.example.com",
            url_problem(e)
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("'{trimmed}' must start with http:// or https://"));
    }
    // `https:///x` parses with the host `x`: a host must follow the `://` itself.
    let host_follows = trimmed
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.starts_with('/'));
    if !host_follows || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "'{trimmed}' has no server name after the ://; use e.g. https://crm.example.com"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("'{trimmed}' must not have a query or fragment"));
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

/// What is wrong with a URL, in words (not the parser's).
fn url_problem(error: url::ParseError) -> &'static str {
    match error {
        url::ParseError::RelativeUrlWithoutBase => "it does not start with http:// or https://",
        url::ParseError::InvalidPort => "the port is not a number from 1 to 65535",
        url::ParseError::EmptyHost => "the server name is missing",
        url::ParseError::InvalidIpv4Address | url::ParseError::InvalidIpv6Address => {
            "the IP address is not valid"
        }
        _ => "the server name has characters a server name cannot have",
    }
}

/// At least 10 characters, no white space or control characters.
pub fn validate_api_key(value: &str) -> Result<Secret, String> {
    let trimmed = value.trim();
    if trimmed.chars().count() < 10 {
        return Err("must be at least 10 characters (copy the whole key from Twenty: Settings → APIs & Webhooks)".to_string());
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces, line breaks or control characters".to_string());
    }
    Ok(Secret::new(trimmed))
}

/// A token shared between agents (platform and relay): at least 16 characters, no white space.
pub fn validate_token(value: &str) -> Result<Secret, String> {
    let trimmed = value.trim();
    if trimmed.chars().count() < 16 {
        return Err("must be at least 16 characters (use the same long random token on the relay and its agents)".to_string());
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces, line breaks or control characters".to_string());
    }
    Ok(Secret::new(trimmed))
}

pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

pub fn parse_in_range(value: &str, min: u32, max: u32) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(format!(
            "'{value}' must be a whole number from {min} to {max}"
        )),
    }
}

/// A port to listen on: 0 (any free port) or 1024–65535 (lower ports need administrator rights
/// and belong to system services).
pub fn parse_port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u32>() {
        Ok(0) => Ok(0),
        Ok(port) if (1024..=65_535).contains(&port) => Ok(port as u16),
        Ok(port) if port < 1024 => Err(format!(
            "'{value}' is below 1024: those ports need administrator rights and belong to system services; use 0 (any free port) or a port from 1024 to 65535"
        )),
        _ => Err(format!(
            "'{value}' is not a port; use 0 (any free port) or a whole number from 1024 to 65535"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{validate_base_url, validate_url};

    #[test]
    fn a_bare_host_gets_https() {
        for (given, expected) in [
            ("crm.example.com", "https://crm.example.com"),
            ("  crm.example.com/ ", "https://crm.example.com"),
            (
                "crm.example.com:8443/twenty",
                "https://crm.example.com:8443/twenty",
            ),
            ("localhost:3000", "https://localhost:3000"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
            ("https://api.twenty.com", "https://api.twenty.com"),
        ] {
            assert_eq!(validate_base_url(given).as_deref(), Ok(expected), "{given}");
        }
        for refused in [
            "ftp://crm.example.com",
            "crm.example.com/?x=1",
            "https://",
            "",
        ] {
            assert!(validate_base_url(refused).is_err(), "{refused}");
        }
        // Other addresses (the relay's) are not guessed.
        assert!(validate_url("relay.local").is_err());
    }
}
