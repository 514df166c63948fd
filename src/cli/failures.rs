//! `failures [--json]`, `dismiss KIND EXTERNAL_ID` and `link KIND EXTERNAL_ID TWENTY_ID`: the
//! parked failures with what each duplicate collides with in Twenty, and the ways to settle one
//! besides `retry-failed`. Each goes through the CLI's one [`Door`] (the store, or the agent that
//! holds it) and prints the same either way.

use std::path::Path;

use clap::{Args, Subcommand};
use twenty_sync::app::ops::failures::{
    dismiss_failure, link_record, list_failures, FailureList, MAX_FAILURES,
};
use twenty_sync::app::ops::{DismissFailure, LinkRecord, ListFailures};
use twenty_sync::app::queries::RecordRow;
use twenty_sync::domain::{EntityKind, RecordKey};

use super::agent_api::{Door, Local};
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
    let door = Door::open(data_dir)?;
    match command {
        FailureCommand::Failures { json } => {
            let list = door.run(ListFailures {
                limit: Some(MAX_FAILURES),
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
            door.run(DismissFailure {
                kind: record.kind,
                external_id: record.external_id,
            })?;
            println!(
                "dismissed {key}: it stays out of the queue until a newer intent for it arrives"
            );
            Ok(())
        }
        FailureCommand::Link { record, twenty_id } => {
            let key = RecordKey::new(record.kind, record.external_id.clone());
            let row = door.run(LinkRecord {
                kind: record.kind,
                external_id: record.external_id,
                twenty_id: twenty_id.clone(),
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

/// The server address, only for the links into Twenty: an unusable setting does not stop the
/// command.
impl Local for ListFailures {
    fn on_store(self, door: &Door) -> Result<FailureList, Failure> {
        let limit = self.limit.unwrap_or(MAX_FAILURES).min(MAX_FAILURES);
        list_failures(&door.store()?, limit, door.base_url().as_deref())
            .map_err(|e| twenty_sync::app::ops::OpError::from(e).into())
    }
}

impl Local for DismissFailure {
    fn on_store(self, door: &Door) -> Result<RecordRow, Failure> {
        let key = RecordKey::new(self.kind, self.external_id);
        Ok(dismiss_failure(
            &door.store()?,
            &key,
            CALLER,
            door.base_url().as_deref(),
        )?)
    }
}

impl Local for LinkRecord {
    fn on_store(self, door: &Door) -> Result<RecordRow, Failure> {
        let key = RecordKey::new(self.kind, self.external_id);
        let base_url = door.base_url();
        Ok(link_record(
            &door.store()?,
            &key,
            &self.twenty_id,
            CALLER,
            base_url.as_deref(),
        )?)
    }
}

fn print_failures(list: &FailureList) {
    if list.rows.is_empty() {
        println!("no parked failures");
        return;
    }
    let shown = list.rows.len() as u64;
    let parked = output::plural(list.total, "parked failure");
    if list.total > shown {
        println!("{parked}, the first {shown}:");
    } else {
        println!("{parked}:");
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
