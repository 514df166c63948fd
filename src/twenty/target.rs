//! [`TwentyTarget`]: the Twenty server and API key the settings name, decided in one place
//! ([`TwentyTarget::from_parts`]) for the engine, the CLI and the Settings screen, with one
//! message per missing or unusable value.

use crate::config::settings::{validate_api_key, validate_base_url};
use crate::config::{ConfigError, Secret, Settings};

/// A usable Twenty address and API key: the address is an http(s) URL with a host (no trailing
/// slash, a path prefix kept), the key passed the settings' validation and stays a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwentyTarget {
    url: String,
    api_key: Secret,
}

impl TwentyTarget {
    /// The server and key of the effective settings.
    pub fn from_settings(settings: &Settings) -> Result<TwentyTarget, ConfigError> {
        TwentyTarget::from_parts(
            settings.base_url.as_deref(),
            settings.api_key.as_ref().map(Secret::expose),
        )
    }

    /// The one conversion: an address and a key (absent or blank means not set) become a target,
    /// or an error naming the setting (`base_url`, `api_key`) and saying what to do.
    pub fn from_parts(
        url: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<TwentyTarget, ConfigError> {
        let invalid = |setting, message: String| ConfigError {
            setting,
            source_name: None,
            message,
        };
        let url =
            match url.map(str::trim).filter(|url| !url.is_empty()) {
                Some(url) => validate_base_url(url).map_err(|m| invalid("base_url", m))?,
                None => return Err(invalid(
                    "base_url",
                    "set the address of your Twenty server first (e.g. https://crm.example.com)"
                        .into(),
                )),
            };
        let api_key = match api_key.map(str::trim).filter(|key| !key.is_empty()) {
            Some(key) => validate_api_key(key).map_err(|m| invalid("api_key", m))?,
            None => {
                return Err(invalid(
                    "api_key",
                    "paste an API key first (Twenty: Settings → APIs & Webhooks → Create key)"
                        .into(),
                ))
            }
        };
        Ok(TwentyTarget { url, api_key })
    }

    /// The server's address, e.g. `https://api.twenty.com` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    pub(crate) fn into_parts(self) -> (String, Secret) {
        (self.url, self.api_key)
    }
}

#[cfg(test)]
mod tests {
    use super::TwentyTarget;

    #[test]
    fn a_bare_host_is_completed_with_https() {
        let target =
            TwentyTarget::from_parts(Some(" crm.example.com/ "), Some("key-1234567890")).unwrap();
        assert_eq!(target.url(), "https://crm.example.com");
    }
}
