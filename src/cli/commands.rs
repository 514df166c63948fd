//! One function per command, each a few lines over `twenty_sync::app` and the store.

use std::path::Path;
use std::sync::Arc;

use twenty_sync::app::{self, report, RecordError, StatusReport};
use twenty_sync::clock::SystemClock;
use twenty_sync::domain::IntentSource;
use twenty_sync::store::{Store, StoreError};

use super::output;
use super::{Command, Failure};

pub fn run(command: Command, data_dir: &Path) -> Result<(), Failure> {
    match command {
        Command::Push { record } => push(data_dir, record),
        Command::Status(flag) => status(data_dir, flag.json),
        Command::Events { tail, json } => events(data_dir, tail, json.json),
        Command::Mappings(flag) => mappings(data_dir, flag.json),
        Command::RebuildProjections => rebuild(data_dir),
        Command::Run => run_agent(data_dir),
    }
}

fn open(data_dir: &Path) -> Result<Store, Failure> {
    Store::open(data_dir, Arc::new(SystemClock)).map_err(store_failure)
}

fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::DataDir { .. } => Failure::usage(error.to_string()),
        other => Failure::other(other.to_string()),
    }
}

fn push(data_dir: &Path, record: super::PushRecord) -> Result<(), Failure> {
    let (kind, draft) = record.into_draft();
    // Validate before touching the store, so invalid input never needs a data dir.
    if let Err(errors) = draft.validate(kind) {
        return Err(Failure::usage(
            RecordError::Invalid { kind, errors }.to_string(),
        ));
    }
    let store = open(data_dir)?;
    let intents =
        app::record_intents(&store, &[(kind, draft)], IntentSource::Cli).map_err(|error| {
            match error {
                RecordError::Invalid { .. } => Failure::usage(error.to_string()),
                RecordError::Store(error) => store_failure(error),
            }
        })?;
    for intent in intents {
        println!(
            "recorded {} {} (intent {})",
            intent.kind, intent.external_id, intent.id
        );
    }
    Ok(())
}

fn status(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let store = open(data_dir)?;
    let report = StatusReport::from_store(&store).map_err(store_failure)?;
    if json {
        output::print_json(&report)
    } else {
        output::print_status(&report);
        Ok(())
    }
}

fn events(data_dir: &Path, tail: usize, json: bool) -> Result<(), Failure> {
    let store = open(data_dir)?;
    let mut envelopes = store.events_before(u64::MAX, tail).map_err(store_failure)?;
    envelopes.reverse();
    let rows: Vec<report::EventRow> = envelopes.iter().map(report::EventRow::from).collect();
    if json {
        output::print_json(&rows)
    } else {
        output::print_events(&rows);
        Ok(())
    }
}

fn mappings(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let store = open(data_dir)?;
    let rows = report::mapping_rows(&store).map_err(store_failure)?;
    if json {
        output::print_json(&rows)
    } else {
        output::print_mappings(&rows);
        Ok(())
    }
}

fn rebuild(data_dir: &Path) -> Result<(), Failure> {
    let store = open(data_dir)?;
    let report = store.rebuild_projections().map_err(store_failure)?;
    println!(
        "rebuilt projections from {} events in {:.1?}",
        report.events, report.elapsed
    );
    Ok(())
}

fn run_agent(data_dir: &Path) -> Result<(), Failure> {
    let store = open(data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        tracing::info!(data_dir = %data_dir.display(), "agent running; press Ctrl-C to stop");
        let _store = store;
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("agent stopped");
    });
    Ok(())
}
