//! Settings on the command line: the global setting flags, `config show [--json]` and
//! `config set KEY VALUE`, and the effective settings every command uses (flag > environment >
//! stored > default, decided by `twenty_sync::config::resolve`). While an agent holds the store,
//! the stored configuration is read and changed through it (`agent_api::Door`), and resolved
//! here with this command's own flags and environment, exactly as over the store.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::{Args, Subcommand};
use serde_json::Value;
use twenty_sync::app::ops;
use twenty_sync::config::update::{shown_with_sources, update_from_pair};
use twenty_sync::config::{
    resolve, ConfigContext, Effective, Layer, LoadError, Settings, ShownSetting, SETTING_KEYS,
};
use twenty_sync::domain::StoredConfig;
use twenty_sync::store::Store;

use super::agent_api::Door;
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
    /// Records per batch request: `auto` or a number.
    #[arg(long, global = true, value_name = "N")]
    pub batch_size: Option<String>,
    /// How new records find existing Twenty records: `email_domain` or `external_id`.
    #[arg(long, global = true, value_name = "HOW")]
    pub match_existing: Option<String>,
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
        put("match_existing", &self.match_existing);
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

/// The effective settings over a stored configuration (read from the store or from the
/// running agent, see `agent_api::Door::effective`): flags > environment > stored > default.
pub fn resolve_row(data_dir: &Path, row: Option<&StoredConfig>) -> Result<Effective, Failure> {
    check_flags_and_env()?;
    context(data_dir).load_row(row).map_err(load_failure)
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

fn print_view(view: &BTreeMap<&'static str, ShownSetting>, json: bool) -> Result<(), Failure> {
    if json {
        return super::output::print_json(view);
    }
    for setting in SETTING_KEYS {
        let Some(entry) = view.get(setting.key) else {
            continue;
        };
        let value = match &entry.value {
            Value::Null => "(not set)".to_string(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        println!("{:<19} {:<40} {}", setting.key, value, entry.source);
    }
    Ok(())
}

fn show(data_dir: &Path, json: bool) -> Result<(), Failure> {
    check_flags_and_env()?;
    let door = Door::open(data_dir)?;
    let effective = door.effective()?;
    print_view(
        &shown_with_sources(&effective.settings, &effective.sources),
        json,
    )
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
    let update = update_from_pair(key, &value).map_err(|e| Failure::usage(e.to_string()))?;
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
    let door = Door::open(data_dir)?;
    let row = door.run(ops::SetConfig(update))?;
    let effective = door.resolve(row.as_ref())?;
    if key == "drop_dir" {
        // What the new drop folder holds: how many files are imported now, how many left alone.
        for warning in twenty_sync::app::inbox::check_drop_dir(&value, data_dir).warnings {
            eprintln!("warning: {warning}");
        }
    }
    let view = shown_with_sources(&effective.settings, &effective.sources);
    let (shown, source) = view.get(key).map_or_else(
        || (value.clone(), "stored".to_string()),
        |entry| {
            let shown = match &entry.value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (shown, entry.source.clone())
        },
    );
    println!("stored {key} = {shown}");
    if source != "stored" {
        println!(
            "note: the effective {key} still comes from the {source} (flags and environment win over stored settings)"
        );
    }
    Ok(())
}
