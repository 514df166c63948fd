//! Where secrets (API key, platform and relay tokens) live: the OS keyring (Secret Service,
//! Keychain, Credential Manager; service `twenty-sync`, account `<data dir>/<name>`) when one
//! answers, else `<data dir>/secrets.json`, readable by the owner only (0600), with a warning.
//! Never the event log, never a log line: values travel as [`Secret`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::settings::Secret;

/// The keyring service name.
pub const KEYRING_SERVICE: &str = "twenty-sync";
/// The fallback file in the data directory.
pub const SECRETS_FILE: &str = "secrets.json";
/// Environment variable choosing the secret store: `auto` (default), `keyring` or `file`.
pub const SECRET_STORE_ENV: &str = "TWENTY_SYNC_SECRET_STORE";

/// Which secret store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretStoreChoice {
    /// The OS keyring when it answers, else the 0600 file.
    Auto,
    /// The OS keyring only; fail when it does not answer.
    Keyring,
    /// The 0600 file only (e.g. a headless server without a keyring).
    File,
}

impl SecretStoreChoice {
    /// From `TWENTY_SYNC_SECRET_STORE` (unset or empty: `auto`).
    pub fn from_env_value(value: Option<&str>) -> Result<SecretStoreChoice, String> {
        match value.map(str::trim).unwrap_or("") {
            "" | "auto" => Ok(SecretStoreChoice::Auto),
            "keyring" => Ok(SecretStoreChoice::Keyring),
            "file" => Ok(SecretStoreChoice::File),
            other => Err(format!(
                "{SECRET_STORE_ENV}: '{other}' is not one of auto, keyring, file"
            )),
        }
    }
}

/// Why a secret could not be read or stored. Messages never hold a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The OS keyring refused (locked, no Secret Service…) and the file fallback is off.
    #[error("the OS keyring is not available ({0}); unlock it, or set {SECRET_STORE_ENV}=file to keep secrets in a file readable only by you")]
    KeyringUnavailable(String),
    /// The secrets file could not be read or written.
    #[error(
        "cannot use the secrets file {path}: {detail}; check the data directory's permissions"
    )]
    File { path: PathBuf, detail: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Backend {
    Keyring,
    /// The file, and why the keyring is not used.
    File(String),
}

/// The secret store of one data directory. The keyring is probed on first use only.
#[derive(Debug)]
pub struct SecretStore {
    data_dir: PathBuf,
    choice: SecretStoreChoice,
    backend: Mutex<Option<Backend>>,
}

impl SecretStore {
    pub fn new(data_dir: &Path, choice: SecretStoreChoice) -> SecretStore {
        let data_dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        SecretStore {
            data_dir,
            choice,
            backend: Mutex::new(None),
        }
    }

    /// The store `TWENTY_SYNC_SECRET_STORE` asks for (an invalid value means `auto`, with a log
    /// line).
    pub fn from_env(data_dir: &Path) -> SecretStore {
        let value = std::env::var(SECRET_STORE_ENV).ok();
        let choice = SecretStoreChoice::from_env_value(value.as_deref()).unwrap_or_else(|e| {
            tracing::warn!("{e}; using auto");
            SecretStoreChoice::Auto
        });
        SecretStore::new(data_dir, choice)
    }

    /// The data directory this secret store belongs to.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn file_path(&self) -> PathBuf {
        self.data_dir.join(SECRETS_FILE)
    }

    /// The secret `name` (`api_key`, `platform_token`, `relay_token`), if stored.
    pub fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        if self.backend()? == Backend::Keyring {
            match keyring_get(&self.account(name)) {
                Ok(Some(value)) => return Ok(Some(Secret::new(value))),
                Ok(None) => {}
                Err(reason) => self.fall_back(reason)?,
            }
        }
        Ok(self.read_file()?.remove(name).map(Secret::new))
    }

    /// Stores `value` under `name`, in the keyring when it answers, else in the file.
    pub fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        if self.backend()? == Backend::Keyring {
            match keyring_set(&self.account(name), value.expose()) {
                Ok(()) => {
                    // A copy left in the file by an earlier fallback must not shadow or outlive it.
                    let mut file = self.read_file()?;
                    if file.remove(name).is_some() {
                        self.write_file(&file)?;
                    }
                    return Ok(());
                }
                Err(reason) => self.fall_back(reason)?,
            }
        }
        let mut file = self.read_file()?;
        file.insert(name.to_string(), value.expose().to_string());
        self.write_file(&file)
    }

    /// The warning to show with the settings when secrets are kept in the file.
    pub fn warning(&self) -> Option<String> {
        let in_file = self.read_file().map(|f| !f.is_empty()).unwrap_or(false);
        let reason = match self
            .backend
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            Some(Backend::File(reason)) => reason,
            _ => "an earlier run had no OS keyring".to_string(),
        };
        in_file.then(|| {
            format!(
                "secrets are kept in {} (readable only by you) because the OS keyring is not used: {reason}",
                self.file_path().display()
            )
        })
    }

    fn account(&self, name: &str) -> String {
        format!("{}/{name}", self.data_dir.display())
    }

    fn backend(&self) -> Result<Backend, SecretError> {
        let mut backend = self.backend.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = backend.clone() {
            return Ok(known);
        }
        let chosen = match self.choice {
            SecretStoreChoice::File => Backend::File(format!("{SECRET_STORE_ENV}=file")),
            SecretStoreChoice::Keyring => {
                keyring_probe(&self.account("probe")).map_err(SecretError::KeyringUnavailable)?;
                Backend::Keyring
            }
            SecretStoreChoice::Auto => match keyring_probe(&self.account("probe")) {
                Ok(()) => Backend::Keyring,
                // Not a warning here: whoever shows the settings says it once, with
                // `SecretStore::warning` (which names this reason).
                Err(reason) => {
                    tracing::debug!(
                        "no OS keyring ({reason}); secrets go to a file readable only by you"
                    );
                    Backend::File(reason)
                }
            },
        };
        *backend = Some(chosen.clone());
        Ok(chosen)
    }

    fn fall_back(&self, reason: String) -> Result<(), SecretError> {
        if self.choice == SecretStoreChoice::Keyring {
            return Err(SecretError::KeyringUnavailable(reason));
        }
        tracing::debug!(
            "the OS keyring failed ({reason}); secrets go to a file readable only by you"
        );
        *self.backend.lock().unwrap_or_else(|p| p.into_inner()) = Some(Backend::File(reason));
        Ok(())
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretError> {
        let path = self.file_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| SecretError::File {
                path,
                // serde's message may quote the content: keep only the position.
                detail: format!(
                    "it is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(SecretError::File {
                path,
                detail: e.to_string(),
            }),
        }
    }

    /// Writes the file with mode 0600: to a temporary file created 0600, then renamed.
    fn write_file(&self, secrets: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let path = self.file_path();
        let io = |e: std::io::Error| SecretError::File {
            path: path.clone(),
            detail: e.to_string(),
        };
        crate::safe_fs::create_private_dir_all(&self.data_dir).map_err(io)?;
        let text = serde_json::to_string_pretty(secrets).map_err(|e| SecretError::File {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        crate::safe_fs::write_private_file(&path, text.as_bytes()).map_err(io)
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn entry(account: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(KEYRING_SERVICE, account).map_err(|e| e.to_string())
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn keyring_probe(account: &str) -> Result<(), String> {
    match entry(account)?.get_password() {
        Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn keyring_get(account: &str) -> Result<Option<String>, String> {
    match entry(account)?.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn keyring_set(account: &str, value: &str) -> Result<(), String> {
    entry(account)?
        .set_password(value)
        .map_err(|e| e.to_string())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn keyring_probe(_: &str) -> Result<(), String> {
    Err("this OS has no supported keyring".into())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn keyring_get(_: &str) -> Result<Option<String>, String> {
    Err("this OS has no supported keyring".into())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn keyring_set(_: &str, _: &str) -> Result<(), String> {
    Err("this OS has no supported keyring".into())
}
