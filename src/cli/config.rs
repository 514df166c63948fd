//! Settings on the command line: the global setting flags, `config show [--json]` and
//! `config set KEY VALUE`, and the effective settings every command uses (flag > environment >
//! stored > default, decided by `twenty_sync::config::resolve`). While an agent holds the store,
//! `config` goes through its local API (`agent.json`, `GET`/`PUT /api/settings`).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use twenty_sync::clock::SystemClock;
use twenty_sync::config::update::{shown_with_sources, update_from_pair};
use twenty_sync::config::{
    resolve, ConfigContext, Effective, Layer, LoadError, SaveError, Settings, SETTING_KEYS,
};
use twenty_sync::store::{Store, StoreError};

use super::Failure;

/// Settings given on the command line (they win over everything else). Secrets are not taken
/// as values (any user could read them in `ps`): give a file that holds them instead.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Settings (override environment and stored configuration)")]
pub struct SettingFlags {
    /// Your Twenty server (http or https; a path prefix is kept).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// A file holding the Twenty API key (not the key itself: command lines are visible to all).
    #[arg(long, global = true, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// `false` pauses pushing; intents are still recorded.
    #[arg(long, global = true, value_name = "BOOL")]
    pub enabled: Option<String>,
    /// disabled, direct_crm or platform.
    #[arg(long, global = true, value_name = "MODE")]
    pub sync_mode: Option<String>,
    /// Requests per minute to Twenty.
    #[arg(long, global = true, value_name = "N")]
    pub rate_limit: Option<String>,
    /// Records per batch request.
    #[arg(long, global = true, value_name = "N")]
    pub batch_size: Option<String>,
    /// The drop folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub drop_dir: Option<String>,
    /// How long a dropped file must stay unchanged, in ms.
    #[arg(long, global = true, value_name = "MS")]
    pub stability_delay_ms: Option<String>,
    /// The port of the local web UI.
    #[arg(long, global = true, value_name = "PORT")]
    pub ui_port: Option<String>,
    /// Platform mode: the relay's URL (another `twenty-sync run --relay`).
    #[arg(long, global = true, value_name = "URL")]
    pub platform_url: Option<String>,
    /// Platform mode: a file holding the token the relay expects.
    #[arg(long, global = true, value_name = "FILE")]
    pub platform_token_file: Option<PathBuf>,
    /// `run --relay`: the port other agents send intents to.
    #[arg(long, global = true, value_name = "PORT")]
    pub relay_port: Option<String>,
    /// `run --relay`: a file holding the token other agents must send.
    #[arg(long, global = true, value_name = "FILE")]
    pub relay_token_file: Option<PathBuf>,
}

impl SettingFlags {
    /// The flags as a layer, secrets read from their files.
    pub fn layer(&self) -> Result<Layer, Failure> {
        let mut layer = Layer::new();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                layer.insert(key.to_string(), value.clone());
            }
        };
        put("base_url", &self.base_url);
        put("enabled", &self.enabled);
        put("sync_mode", &self.sync_mode);
        put("rate_limit", &self.rate_limit);
        put("batch_size", &self.batch_size);
        put("drop_dir", &self.drop_dir);
        put("stability_delay_ms", &self.stability_delay_ms);
        put("ui_port", &self.ui_port);
        put("platform_url", &self.platform_url);
        put("relay_port", &self.relay_port);
        for (key, file) in [
            ("api_key", &self.api_key_file),
            ("platform_token", &self.platform_token_file),
            ("relay_token", &self.relay_token_file),
        ] {
            if let Some(path) = file {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Failure::usage(format!(
                        "cannot read --{}-file {}: {e}",
                        key.replace('_', "-"),
                        path.display()
                    ))
                })?;
                layer.insert(key.to_string(), text.trim().to_string());
            }
        }
        Ok(layer)
    }
}

static FLAGS: OnceLock<Layer> = OnceLock::new();

/// Keeps the command line's settings for every command of this process.
pub fn remember(flags: &SettingFlags) -> Result<(), Failure> {
    let layer = flags.layer()?;
    let _ = FLAGS.set(layer);
    Ok(())
}

fn flags() -> Layer {
    FLAGS.get().cloned().unwrap_or_default()
}

fn env() -> HashMap<String, String> {
    std::env::vars().collect()
}

/// Flags, environment and the secret store of `data_dir`.
pub fn context(data_dir: &Path) -> ConfigContext {
    ConfigContext::for_process(data_dir, flags())
}

fn invalid(error: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("invalid setting {error}"))
}

fn load_failure(error: LoadError) -> Failure {
    match error {
        LoadError::Invalid(error) => invalid(error),
        LoadError::Secret(error) => Failure::other(error.to_string()),
        LoadError::Store(error) => Failure::other(error.to_string()),
    }
}

/// Checks the flags and the environment alone (before any store is opened): an invalid value
/// stops the command with a message naming the setting (exit 2).
pub fn check_flags_and_env() -> Result<(), Failure> {
    resolve(&flags(), &env(), &Layer::new())
        .map(|_| ())
        .map_err(invalid)
}

/// The effective settings with the store open (for `run`).
pub fn load(store: &Store, data_dir: &Path) -> Result<(ConfigContext, Effective), Failure> {
    check_flags_and_env()?;
    let context = context(data_dir);
    let effective = context.load(store).map_err(load_failure)?;
    Ok((context, effective))
}

/// The effective settings for a command that does not keep the store open. When another
/// process holds the store, the stored configuration cannot be read: flags and environment only.
pub fn settings(data_dir: &Path) -> Result<Settings, Failure> {
    check_flags_and_env()?;
    match Store::open(data_dir, Arc::new(SystemClock)) {
        Ok(store) => Ok(context(data_dir)
            .load(&store)
            .map_err(load_failure)?
            .settings),
        Err(StoreError::InUse { .. }) => resolve(&flags(), &env(), &Layer::new())
            .map(|(settings, _)| settings)
            .map_err(invalid),
        Err(error) => Err(Failure::other(error.to_string())),
    }
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every effective setting and where it comes from (flag, env, stored, default);
    /// secrets masked.
    Show {
        /// One JSON object: key → {"value", "source"}.
        #[arg(long)]
        json: bool,
    },
    /// Validate and store one setting (it applies to a running agent at once). For a secret,
    /// give `-` as VALUE to read it from standard input (keeps it out of `ps` and history).
    Set {
        #[arg(value_name = "KEY")]
        key: String,
        #[arg(value_name = "VALUE", allow_hyphen_values = true)]
        value: String,
    },
}

pub fn run(command: ConfigCommand, data_dir: &Path) -> Result<(), Failure> {
    match command {
        ConfigCommand::Show { json } => show(data_dir, json),
        ConfigCommand::Set { key, value } => set(data_dir, &key, value),
    }
}

/// The settings view as `config show --json` prints it: key → {value, source}.
fn view_json(view: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for setting in SETTING_KEYS {
        if let Some(entry) = view.get(setting.key) {
            out.insert(
                setting.key.to_string(),
                json!({ "value": entry["value"], "source": entry["source"] }),
            );
        }
    }
    Value::Object(out)
}

fn print_view(view: &Value, warning: Option<&str>, json: bool) -> Result<(), Failure> {
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    if json {
        return super::output::print_json(view);
    }
    for setting in SETTING_KEYS {
        let entry = &view[setting.key];
        let value = match &entry["value"] {
            Value::Null => "(not set)".to_string(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        println!(
            "{:<19} {:<40} {}",
            setting.key,
            value,
            entry["source"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

fn show(data_dir: &Path, json: bool) -> Result<(), Failure> {
    check_flags_and_env()?;
    match Store::open(data_dir, Arc::new(SystemClock)) {
        Ok(store) => {
            let effective = context(data_dir).load(&store).map_err(load_failure)?;
            let view =
                serde_json::to_value(shown_with_sources(&effective.settings, &effective.sources))
                    .map_err(|e| Failure::other(e.to_string()))?;
            let view = view_json(view.as_object().unwrap_or(&Map::new()));
            print_view(&view, effective.secrets_warning.as_deref(), json)
        }
        Err(StoreError::InUse { holder, .. }) => {
            let answer = agent_request(data_dir, &holder, reqwest::Method::GET, None)?;
            let view = view_json(answer["settings"].as_object().unwrap_or(&Map::new()));
            let warning = answer["settings"]
                .as_object()
                .and_then(|v| v.values().find_map(|e| e["warning"].as_str()))
                .map(str::to_string);
            print_view(&view, warning.as_deref(), json)
        }
        Err(error) => Err(Failure::other(error.to_string())),
    }
}

fn set(data_dir: &Path, key: &str, value: String) -> Result<(), Failure> {
    let secret = SETTING_KEYS.iter().any(|s| s.key == key && s.secret);
    let value = if secret && value == "-" {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read {key} from standard input: {e}")))?;
        line.trim().to_string()
    } else {
        value
    };
    let update = update_from_pair(key, &value).map_err(invalid)?;
    // Validate the value on its own first: nothing is stored (or sent) when it is invalid.
    update.apply_to(&Settings::default()).map_err(|errors| {
        invalid(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let (view, warning) = match Store::open(data_dir, Arc::new(SystemClock)) {
        Ok(store) => {
            let effective = context(data_dir)
                .save(&store, &update, "cli")
                .map_err(|error| match error {
                    SaveError::Invalid(_) => invalid(error),
                    other => Failure::other(other.to_string()),
                })?;
            let view =
                serde_json::to_value(shown_with_sources(&effective.settings, &effective.sources))
                    .map_err(|e| Failure::other(e.to_string()))?;
            (view, effective.secrets_warning)
        }
        Err(StoreError::InUse { holder, .. }) => {
            let body = serde_json::to_value(&update).map_err(|e| Failure::other(e.to_string()))?;
            let answer = agent_request(data_dir, &holder, reqwest::Method::PUT, Some(body))?;
            (answer["settings"].clone(), None)
        }
        Err(error) => return Err(Failure::other(error.to_string())),
    };
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    if key == "drop_dir" {
        // What the new drop folder holds: how many files are imported now, how many left alone.
        for warning in twenty_sync::app::inbox::check_drop_dir(&value, data_dir).warnings {
            eprintln!("warning: {warning}");
        }
    }
    let entry = &view[key];
    let source = entry["source"].as_str().unwrap_or("stored");
    let shown = match &entry["value"] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    println!("stored {key} = {shown}");
    if source != "stored" {
        println!(
            "note: the effective {key} still comes from the {source} (flags and environment win over stored settings)"
        );
    }
    Ok(())
}

/// Asks the agent that holds the store, through its local API.
fn agent_request(
    data_dir: &Path,
    holder: &str,
    method: reqwest::Method,
    body: Option<Value>,
) -> Result<Value, Failure> {
    let held = || {
        Failure::other(format!(
            "the agent ({holder}) holds the store; change settings in its UI or stop it"
        ))
    };
    let file = twenty_sync::api::AgentFile::read(data_dir).ok_or_else(held)?;
    let port = file.port.ok_or_else(held)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|_| held())?;
        let mut request = http
            .request(method, format!("http://127.0.0.1:{port}/api/settings"))
            .bearer_auth(&file.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|_| held())?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(answer)
        } else if status.as_u16() == 422 || status.as_u16() == 400 {
            let details = answer["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| answer["error"].as_str().unwrap_or("").to_string());
            Err(invalid(details))
        } else {
            Err(Failure::other(format!(
                "the running agent refused the change ({status}): {}",
                answer["error"].as_str().unwrap_or("")
            )))
        }
    })
}
