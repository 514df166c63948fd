//! `fields [company|person] [--refresh] [--json]` and `mapping show|set|unset`: the workspace's
//! fields in force and the mapping overrides. Each goes through the CLI's one [`Door`] (the
//! store, or the agent that holds it) and prints the same either way.

use std::path::Path;

use clap::{Args, Subcommand};
use twenty_sync::app::ops::{
    self, FieldRow, Fields, FieldsReport, MappingReport, MappingSet, MappingShow, MappingUnset,
    OverrideRow,
};
use twenty_sync::domain::EntityKind;
use twenty_sync::twenty::RequestBudget;

use super::agent_api::{Door, Local};
use super::{output, Failure};

/// Who the audit trail names for a change made from the command line.
const CALLER: &str = "cli";

#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// `company` or `person`; both when left out.
    #[arg(value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<EntityKind>,
    /// Read the data model from Twenty first (with the stored settings).
    #[arg(long)]
    pub refresh: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// List the mapping overrides (column → field) of both kinds.
    Show {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send a column of every import to a field from now on: FIELD, FIELD.PART (address.city),
    /// a record column (external_id, company_external_id, company_name, type) or ignore.
    Set {
        #[arg(value_name = "KIND", value_parser = parse_kind)]
        kind: EntityKind,
        /// The column's header, as files spell it.
        #[arg(value_name = "COLUMN")]
        column: String,
        #[arg(value_name = "FIELD[.PART]")]
        target: String,
    },
    /// Forget the override of a column: it is mapped automatically again.
    Unset {
        #[arg(value_name = "KIND", value_parser = parse_kind)]
        kind: EntityKind,
        #[arg(value_name = "COLUMN")]
        column: String,
    },
}

fn parse_kind(text: &str) -> Result<EntityKind, String> {
    EntityKind::parse(text).ok_or_else(|| format!("unknown kind '{text}'; use company or person"))
}

pub fn fields(args: FieldsArgs, data_dir: &Path) -> Result<(), Failure> {
    let door = Door::open(data_dir)?;
    // The settings name the server whose fields are in force: checked (and their warning
    // said) on both paths.
    door.effective()?;
    let report = door.run(Fields {
        kind: args.kind.map(|kind| kind.as_str().to_string()),
        refresh: args.refresh,
    })?;
    if args.json {
        output::print_json(&report)
    } else {
        print_fields(&report);
        Ok(())
    }
}

pub fn mapping(command: MappingCommand, data_dir: &Path) -> Result<(), Failure> {
    let door = Door::open(data_dir)?;
    match command {
        MappingCommand::Show { json } => {
            let report = door.run(MappingShow {})?;
            if json {
                return output::print_json(&report);
            }
            if report.overrides.is_empty() {
                println!(
                    "no mapping overrides: every column is mapped automatically (set one with \
                     `twenty-sync mapping set KIND COLUMN FIELD[.PART]`)"
                );
            }
            for row in &report.overrides {
                println!(
                    "{:<8} {:<30} → {}",
                    row.kind.as_str(),
                    row.column,
                    row.target
                );
            }
        }
        MappingCommand::Set {
            kind,
            column,
            target,
        } => {
            door.effective()?;
            let row = door.run(MappingSet {
                kind,
                column,
                target,
            })?;
            println!(
                "{} column '{}' now maps to {}",
                row.kind, row.column, row.target
            );
        }
        MappingCommand::Unset { kind, column } => {
            let row = door.run(MappingUnset { kind, column })?;
            println!(
                "{} column '{}' no longer maps to {}; it is mapped automatically again",
                row.kind, row.column, row.target
            );
        }
    }
    Ok(())
}

fn print_fields(report: &FieldsReport) {
    match &report.read_from {
        Some(server) => println!("fields of the workspace at {server}"),
        None => println!("Twenty's standard fields"),
    }
    for kind in &report.kinds {
        println!();
        println!("{} ({} fields)", kind.kind, kind.fields.len());
        let rows: Vec<[String; 5]> = kind.fields.iter().map(row_of).collect();
        let headers = ["NAME", "LABEL", "TYPE", "FLAGS", "PARTS / OPTIONS"].map(String::from);
        let mut widths = headers.clone().map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&headers).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            println!("  {}", line.join("  ").trim_end());
        }
    }
    if let Some(note) = &report.note {
        println!();
        println!("note: {note}");
    }
}

fn row_of(field: &FieldRow) -> [String; 5] {
    let mut flags = vec![field.origin.clone()];
    if !field.nullable {
        flags.push("required".into());
    }
    if field.unique {
        flags.push("unique".into());
    }
    if !field.mappable {
        flags.push("not mappable".into());
    }
    let details = if !field.parts.is_empty() {
        field.parts.join(", ")
    } else {
        field
            .options
            .iter()
            .map(|option| {
                if option.value == option.label {
                    option.value.clone()
                } else {
                    format!("{} ({})", option.value, option.label)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    [
        field.name.clone(),
        field.label.clone(),
        field.field_type.clone(),
        flags.join(", "),
        details,
    ]
}

impl Local for Fields {
    /// Reading the data model again waits on Twenty (metadata paging, the client's retries).
    const AGENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

    fn on_store(self, door: &Door) -> Result<FieldsReport, Failure> {
        let settings = door.effective()?.settings.clone();
        ops::fields::kinds_of(self.kind.as_deref())?;
        if self.refresh {
            let budget = RequestBudget::for_rate(settings.rate_limit);
            let client = ops::fields::client_of(&settings, budget)?;
            let store = door.store()?;
            door.block_on(ops::fields::refresh(&store, &client))??;
        }
        Ok(self.report(&door.store()?, &settings)?)
    }
}

impl Local for MappingShow {
    fn on_store(self, door: &Door) -> Result<MappingReport, Failure> {
        Ok(self.report(&door.store()?)?)
    }
}

impl Local for MappingSet {
    fn on_store(self, door: &Door) -> Result<OverrideRow, Failure> {
        let settings = door.effective()?.settings.clone();
        Ok(self.save(&door.store()?, &settings, CALLER)?)
    }
}

impl Local for MappingUnset {
    fn on_store(self, door: &Door) -> Result<OverrideRow, Failure> {
        Ok(self.save(&door.store()?, CALLER)?)
    }
}
