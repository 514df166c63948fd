//! The command line: the argument grammar (clap) and one function per command. Each command is a
//! thin layer over `twenty_sync::app`: `agent_api` decides whether it opens the store or asks
//! the running agent, `local` runs its operation over the store; output formats live in
//! `output`.

mod agent_api;
mod commands;
mod config;
mod failures;
mod fields;
mod import;
mod local;
mod output;
mod service;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields};

/// Keeps a directory's companies and people in sync with a Twenty CRM workspace.
#[derive(Debug, Parser)]
#[command(name = "twenty-sync", version, about, propagate_version = true)]
pub struct Cli {
    /// Where the store, logs and inbox live.
    #[arg(long, global = true, env = twenty_sync::paths::DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(flatten)]
    pub setting_flags: config::SettingFlags,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record an upsert of a company or a person (flushed to disk before this returns).
    Push {
        #[command(subcommand)]
        record: Box<PushRecord>,
    },
    /// Show the sync state and counts.
    Status(JsonFlag),
    /// Show the event log, newest last.
    Events {
        /// How many of the newest events to show.
        #[arg(long, default_value_t = 20, value_name = "N")]
        tail: usize,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// List the records known in Twenty (and the ones parked as failed).
    Mappings(JsonFlag),
    /// Recompute every projection from the event log.
    RebuildProjections,
    /// Import CSV, JSON or NDJSON files of companies and people (exit 0 all recorded, 3 some rows
    /// invalid, 2 nothing recorded).
    Import(import::ImportArgs),
    /// Push pending intents to Twenty.
    Sync {
        /// Push until nothing pushable is pending, then exit (0: all synced, 1: some records are
        /// parked as failed, 4: Twenty could not be reached).
        #[arg(long)]
        until_idle: bool,
    },
    /// Check the Twenty URL and key: reachable, authenticated, readable, externalId present.
    TestConnection(TestConnectionArgs),
    /// Put every record parked as failed back in the queue.
    RetryFailed,
    #[command(flatten)]
    Failures(failures::FailureCommand),
    /// Run the agent in the foreground until interrupted.
    Run(RunArgs),
    /// Show or change the settings (flag > environment > stored > default).
    Config {
        #[command(subcommand)]
        command: config::ConfigCommand,
    },
    /// List the workspace's fields of companies and people: the data model last read from
    /// Twenty (Twenty's standard fields until it is read: use --refresh).
    Fields(fields::FieldsArgs),
    /// Show or change which field each column of an import fills (the overrides).
    Mapping {
        #[command(subcommand)]
        command: fields::MappingCommand,
    },
    /// Run the agent as a systemd user service on this machine (headless machines): install,
    /// uninstall, status.
    Service {
        #[command(subcommand)]
        command: service::ServiceCommand,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also accept intents from other agents (platform mode) at POST /api/v1/intents on
    /// relay_port, with the bearer relay_token, and push them to Twenty with this agent's budget.
    #[arg(long)]
    pub relay: bool,
    /// The address the relay listens on (e.g. 0.0.0.0 for all interfaces).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1",
        requires = "relay"
    )]
    pub relay_bind: std::net::IpAddr,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TestConnectionArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only report a missing externalId field; do not create it.
    #[arg(long)]
    pub no_create: bool,
}

#[derive(Debug, Subcommand)]
pub enum PushRecord {
    /// Upsert a company.
    Company(CompanyArgs),
    /// Upsert a person.
    Person(PersonArgs),
}

#[derive(Debug, Args)]
pub struct CompanyArgs {
    /// Your id for the company (unique among your companies).
    #[arg(long, value_name = "ID")]
    pub external_id: String,
    /// The company's name (or `--field name=…`).
    #[arg(long)]
    pub name: Option<String>,
    /// The company's website or domain (acme.com or https://acme.com).
    #[arg(long, value_name = "URL")]
    pub website: Option<String>,
    #[command(flatten)]
    pub values: FieldFlags,
}

/// Any field of the workspace, as `twenty-sync fields` lists them.
#[derive(Debug, Args)]
pub struct FieldFlags {
    /// A field's value: FIELD=VALUE or FIELD.PART=VALUE (category=Fintech, address.city=Paris,
    /// tags=a,b); repeatable. Checked against the workspace's fields before anything is recorded.
    #[arg(long = "field", value_name = "FIELD[.PART]=VALUE", value_parser = parse_field_flag)]
    pub fields: Vec<(String, String)>,
}

fn parse_field_flag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "'{text}' is not FIELD=VALUE; write e.g. --field category=Fintech or --field address.city=Paris"
        )),
    }
}

impl FieldFlags {
    /// The values as the `fields` of a recorded intent (a key given twice keeps the last value).
    pub fn into_inputs(self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.fields
            .into_iter()
            .map(|(key, value)| (key, serde_json::Value::String(value)))
            .collect()
    }
}

#[derive(Debug, Args)]
pub struct PersonArgs {
    /// Your id for the person (unique among your people).
    #[arg(long, value_name = "ID")]
    pub external_id: String,
    /// The full name; split on the first space unless --first-name/--last-name are given.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// The external id of the person's company.
    #[arg(long, value_name = "ID")]
    pub company_external_id: Option<String>,
    /// The company's name, used to create it when it is not known yet.
    #[arg(long, requires = "company_external_id")]
    pub company_name: Option<String>,
    #[arg(long, requires = "last_name")]
    pub first_name: Option<String>,
    #[arg(long, requires = "first_name")]
    pub last_name: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub job_title: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    #[command(flatten)]
    pub values: FieldFlags,
}

impl PushRecord {
    /// The draft and the `--field` values (read where the intent is recorded).
    pub fn into_input(self) -> twenty_sync::app::ops::IntentInput {
        match self {
            PushRecord::Company(args) => twenty_sync::app::ops::IntentInput {
                kind: EntityKind::Company,
                fields: args.values.into_inputs(),
                draft: IntentDraft {
                    values: Default::default(),
                    external_id: Some(args.external_id),
                    fields: IntentFields {
                        name: args.name,
                        website: args.website,
                        ..IntentFields::default()
                    },
                },
            },
            PushRecord::Person(args) => twenty_sync::app::ops::IntentInput {
                kind: EntityKind::Person,
                fields: args.values.into_inputs(),
                draft: IntentDraft {
                    values: Default::default(),
                    external_id: Some(args.external_id),
                    fields: IntentFields {
                        name: args.name,
                        email: args.email,
                        company_external_id: args.company_external_id,
                        company_name: args.company_name,
                        first_name: args.first_name,
                        last_name: args.last_name,
                        phone: args.phone,
                        job_title: args.job_title,
                        city: args.city,
                        ..IntentFields::default()
                    },
                },
            },
        }
    }
}

/// A command's failure: the sentence for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub exit_code: u8,
}

impl Failure {
    /// Bad usage or invalid input: nothing was recorded.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            exit_code: 2,
        }
    }

    pub fn other(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            exit_code: 1,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(twenty_sync::paths::default_data_dir);
    let default_filter = match cli.command {
        Command::Run(_) | Command::Sync { .. } => "info",
        _ => "warn",
    };
    // Everything this process writes is private (0600/0700), before any thread writes a file.
    twenty_sync::safe_fs::restrict_new_files();
    let _logging = twenty_sync::logging::init(Some(&data_dir), default_filter);
    if let Err(failure) = config::remember(&cli.setting_flags) {
        eprintln!("error: {}", failure.message);
        return ExitCode::from(failure.exit_code);
    }
    match commands::run(cli.command, &data_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.exit_code)
        }
    }
}
