//! Text and JSON output of the read commands.

use serde::Serialize;
use twenty_sync::app::{EventRow, MappingRow, StatusReport};

use super::Failure;

pub use twenty_sync::app::report::{count, plural};
use twenty_sync::domain::EntityKind;

/// `1 company`, `2 companies`, `1 person`, `2 people`.
fn records_of(n: u64, kind: EntityKind) -> String {
    let noun = if n == 1 {
        kind.as_str()
    } else {
        twenty_sync::twenty::wire::plural(kind)
    };
    format!("{} {noun}", count(n))
}

pub fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::other(format!("cannot format the output as JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

pub fn print_status(report: &StatusReport) {
    let state = serde_json::to_value(report.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    println!("state:      {state}");
    println!("pending:    {}", count(report.pending));
    println!("failed:     {}", count(report.failed));
    println!(
        "synced:     {} ({} created, {} updated)",
        count(report.synced),
        count(report.created),
        count(report.updated)
    );
    println!("unchanged:  {}", count(report.skipped_unchanged));
    println!(
        "mapped:     {}, {}",
        records_of(report.mappings.companies, EntityKind::Company),
        records_of(report.mappings.people, EntityKind::Person)
    );
    println!("intents:    {}", count(report.intents));
    println!("imports:    {}", count(report.imports));
    if let Some(forwarded) = &report.forwarded {
        println!(
            "relay:      {} accepted, {} already accepted",
            forwarded.accepted, forwarded.already_accepted
        );
    }
    if let Some(at) = &report.last_push_at {
        println!("last push:  {at}");
    }
    if let Some(since) = &report.since {
        println!("since:      {since}");
    }
    if let Some(at) = &report.next_retry_at {
        println!("next retry: {at}");
    }
    if let (Some(sent), Some(limit)) = (report.requests_last_minute, report.rate_limit) {
        println!("requests:   {sent} in the last minute (limit {limit} a minute)");
    }
    if let Some(error) = &report.last_error {
        println!("last error: {error}");
    }
}

pub fn print_events(rows: &[EventRow]) {
    if rows.is_empty() {
        println!("no events yet");
    }
    for row in rows {
        println!(
            "#{:<6} {}  {:<17} {}",
            row.seq, row.recorded_at, row.kind, row.summary
        );
    }
}

pub fn print_mappings(rows: &[MappingRow]) {
    if rows.is_empty() {
        println!("no records mapped yet");
    }
    for row in rows {
        println!(
            "{:<8} {:<30} {:<38} {:<8} {}",
            row.kind,
            row.external_id,
            row.twenty_id.as_deref().unwrap_or("-"),
            row.state,
            row.error.as_deref().unwrap_or("")
        );
    }
}

pub fn print_connection(report: &twenty_sync::twenty::ConnectionReport) {
    for check in &report.checks {
        let mark = match check.state {
            twenty_sync::twenty::CheckState::Ok => "ok  ",
            twenty_sync::twenty::CheckState::Failed => "FAIL",
            twenty_sync::twenty::CheckState::NotRun => "skip",
        };
        println!("{mark} {:<24} {}", check.name, check.detail);
    }
    println!("{} ({} ms)", report.message, report.latency_ms);
}
