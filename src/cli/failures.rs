//! `failures [--json]`, `dismiss KIND EXTERNAL_ID` and `link KIND EXTERNAL_ID TWENTY_ID`: the
//! parked failures with what each duplicate collides with in Twenty, and the ways to settle one
//! besides `retry-failed`. Each opens the store, or asks the agent that holds it the same
//! `app::ops` operation, and prints the same either way.

use std::path::Path;
use std::sync::Arc;

use clap::{Args, Subcommand};
use twenty_sync::api::client::{AgentClient, ClientError};
use twenty_sync::app::ops::failures::{
    dismiss_failure, link_record, list_failures, FailureList, MAX_FAILURES,
};
use twenty_sync::app::ops::{DismissFailure, LinkRecord, ListFailures, OpError, Operation};
use twenty_sync::app::queries::RecordRow;
use twenty_sync::clock::SystemClock;
use twenty_sync::domain::{EntityKind, RecordKey};
use twenty_sync::store::{Store, StoreError};

use super::{output, Failure};

/// Who the audit trail names for a change made from the command line.
const CALLER: &str = "cli";

#[derive(Debug, Subcommand)]
pub enum FailureCommand {
    /// List the records parked as failed, with Twenty's message and, for a duplicate, the
    /// field, the value and the Twenty record it collides with.
    Failures {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Dismiss a parked failure: it leaves the list and is not pushed again until a newer
    /// intent for the record arrives.
    Dismiss(RecordArgs),
    /// Link a record parked as a duplicate to the Twenty record it collides with (one without
    /// an externalId): the next sync sets that record's externalId and our values.
    Link {
        #[command(flatten)]
        record: RecordArgs,
        /// The Twenty record to adopt, as `failures` names it.
        #[arg(value_name = "TWENTY_ID")]
        twenty_id: String,
    },
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// `company` or `person`.
    #[arg(value_name = "KIND", value_parser = parse_kind)]
    pub kind: EntityKind,
    /// Your id for the record.
    #[arg(value_name = "EXTERNAL_ID")]
    pub external_id: String,
}

fn parse_kind(text: &str) -> Result<EntityKind, String> {
    EntityKind::parse(text).ok_or_else(|| format!("unknown kind '{text}'; use company or person"))
}

pub fn run(command: FailureCommand, data_dir: &Path) -> Result<(), Failure> {
    match command {
        FailureCommand::Failures { json } => {
            let op = ListFailures {
                limit: Some(MAX_FAILURES),
            };
            let list = store_or_agent(data_dir, op, |store, base_url| {
                Ok(list_failures(store, MAX_FAILURES, base_url)?)
            })?;
            if json {
                output::print_json(&list)
            } else {
                print_failures(&list);
                Ok(())
            }
        }
        FailureCommand::Dismiss(record) => {
            let key = RecordKey::new(record.kind, record.external_id.clone());
            let op = DismissFailure {
                kind: record.kind,
                external_id: record.external_id,
            };
            store_or_agent(data_dir, op, |store, base_url| {
                dismiss_failure(store, &key, CALLER, base_url)
            })?;
            println!(
                "dismissed {key}: it stays out of the queue until a newer intent for it arrives"
            );
            Ok(())
        }
        FailureCommand::Link { record, twenty_id } => {
            let key = RecordKey::new(record.kind, record.external_id.clone());
            let op = LinkRecord {
                kind: record.kind,
                external_id: record.external_id,
                twenty_id: twenty_id.clone(),
            };
            let row = store_or_agent(data_dir, op, |store, base_url| {
                link_record(store, &key, &twenty_id, CALLER, base_url)
            })?;
            println!(
                "linked {key} to the Twenty record {}: the next sync sets its externalId and our \
                 values there",
                row.twenty_id.as_deref().unwrap_or(twenty_id.trim())
            );
            Ok(())
        }
    }
}

/// Runs `local` on the store, or `op` on the agent that holds it.
fn store_or_agent<O: Operation>(
    data_dir: &Path,
    op: O,
    local: impl FnOnce(&Store, Option<&str>) -> Result<O::Reply, OpError>,
) -> Result<O::Reply, Failure> {
    match Store::open(data_dir, Arc::new(SystemClock)) {
        Ok(store) => {
            // Only for the links into Twenty: an unusable setting does not stop the command.
            let base_url = super::config::load(&store, data_dir)
                .ok()
                .and_then(|(_, effective)| effective.settings.base_url);
            local(&store, base_url.as_deref()).map_err(op_failure)
        }
        Err(StoreError::InUse { .. }) if AgentClient::find(data_dir).is_ok() => ask(data_dir, op),
        Err(error @ StoreError::DataDir { .. }) => Err(Failure::usage(error.to_string())),
        Err(error) => Err(Failure::other(error.to_string())),
    }
}

fn ask<O: Operation>(data_dir: &Path, op: O) -> Result<O::Reply, Failure> {
    let client = AgentClient::find(data_dir).map_err(|e| Failure::other(e.to_string()))?;
    eprintln!("(the agent running on this data directory holds the store: asking it)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(client.call(op))
        .map_err(|error| match error {
            // The agent's answer, as the command says it without one.
            ClientError::Refused { status, message } if status < 500 => Failure {
                message,
                exit_code: if status == 404 { 1 } else { 2 },
            },
            other => Failure::other(other.to_string()),
        })
}

/// Exit 2 for a request that cannot be done (nothing recorded), 1 otherwise.
fn op_failure(error: OpError) -> Failure {
    match error {
        OpError::BadRequest { .. } => Failure::usage(error.to_string()),
        other => Failure::other(other.to_string()),
    }
}

fn print_failures(list: &FailureList) {
    if list.rows.is_empty() {
        println!("no parked failures");
        return;
    }
    let shown = list.rows.len() as u64;
    if list.total > shown {
        println!("{} parked failures, the first {shown}:", list.total);
    } else {
        println!("{} parked failures:", list.total);
    }
    for row in &list.rows {
        print_failure(row);
    }
}

fn print_failure(row: &RecordRow) {
    let name = row
        .name
        .as_deref()
        .map(|name| format!(" \"{name}\""))
        .unwrap_or_default();
    println!(
        "{} {}{name}  {}  since {}",
        row.kind,
        row.external_id,
        row.error_code.as_deref().unwrap_or("FAILED"),
        row.failed_at.as_deref().unwrap_or("-")
    );
    println!("    {}", row.error.as_deref().unwrap_or(""));
    if let Some(conflict) = &row.conflict {
        if let Some(url) = &conflict.twenty_url {
            println!("    in Twenty: {url}");
        }
        if let (true, Some(twenty_id)) = (conflict.linkable, &conflict.twenty_id) {
            println!(
                "    to adopt it: twenty-sync link {} {} {twenty_id}",
                row.kind, row.external_id
            );
        }
    }
}
