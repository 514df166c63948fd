//! One function per command, each a few lines over `twenty_sync::app` and the store.

use std::path::Path;
use std::sync::Arc;

use twenty_sync::app::agent::Agent;
use twenty_sync::app::{self, report, RecordError, StatusReport};
use twenty_sync::clock::SystemClock;
use twenty_sync::config::Settings;
use twenty_sync::domain::IntentSource;
use twenty_sync::engine::{run_until_idle, EngineError};
use twenty_sync::store::{Store, StoreError};
use twenty_sync::twenty::{
    ClientConfig, ConnectionReport, RequestBudget, TwentyClient, TwentyTarget,
};

use super::output;
use super::{Command, Failure};

pub fn run(command: Command, data_dir: &Path) -> Result<(), Failure> {
    match command {
        Command::Push { record } => push(data_dir, record),
        Command::Status(flag) => status(data_dir, flag.json),
        Command::Events { tail, json } => events(data_dir, tail, json.json),
        Command::Mappings(flag) => mappings(data_dir, flag.json),
        Command::RebuildProjections => rebuild(data_dir),
        Command::Import(args) => super::import::run(args, data_dir),
        Command::Run(args) => run_agent(data_dir, args),
        Command::Config { command } => super::config::run(command, data_dir),
        Command::Sync { until_idle } => sync(data_dir, until_idle),
        Command::TestConnection(args) => test_connection(data_dir, args.json, !args.no_create),
        Command::RetryFailed => retry_failed(data_dir),
        Command::Failures(command) => super::failures::run(command, data_dir),
    }
}

fn open(data_dir: &Path) -> Result<Store, Failure> {
    Store::open(data_dir, Arc::new(SystemClock)).map_err(store_failure)
}

/// The store for a long-running agent: a short command (`status`, `push`) holding the store for
/// a moment is waited for, up to five seconds; another agent is not.
fn open_waiting(data_dir: &Path) -> Result<Store, Failure> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Store::open(data_dir, Arc::new(SystemClock)) {
            Err(StoreError::InUse { .. })
                if std::time::Instant::now() < deadline
                    && !super::agent_api::agent_serves(data_dir) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other.map_err(store_failure),
        }
    }
}

/// The store, or `None` when a running agent holds it and serves its local API (the command then
/// asks the agent instead, see `agent_api`).
fn open_unless_agent(data_dir: &Path) -> Result<Option<Store>, Failure> {
    match Store::open(data_dir, Arc::new(SystemClock)) {
        Ok(store) => Ok(Some(store)),
        Err(StoreError::InUse { .. }) if super::agent_api::agent_serves(data_dir) => Ok(None),
        Err(error) => Err(store_failure(error)),
    }
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
    let report = match open_unless_agent(data_dir)? {
        Some(store) => StatusReport::from_store(&store).map_err(store_failure)?,
        None => super::agent_api::status(data_dir)?,
    };
    if json {
        output::print_json(&report)
    } else {
        output::print_status(&report);
        Ok(())
    }
}

fn events(data_dir: &Path, tail: usize, json: bool) -> Result<(), Failure> {
    let rows = match open_unless_agent(data_dir)? {
        Some(store) => {
            let mut envelopes = store.events_before(u64::MAX, tail).map_err(store_failure)?;
            envelopes.reverse();
            envelopes.iter().map(report::EventRow::from).collect()
        }
        None => super::agent_api::events(data_dir, tail)?,
    };
    if json {
        output::print_json(&rows)
    } else {
        output::print_events(&rows);
        Ok(())
    }
}

fn mappings(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let rows = match open_unless_agent(data_dir)? {
        Some(store) => report::mapping_rows(&store).map_err(store_failure)?,
        None => super::agent_api::mappings(data_dir)?,
    };
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

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))
}

/// The effective settings: flags > environment > stored > defaults.
fn settings(data_dir: &Path) -> Result<Settings, Failure> {
    super::config::settings(data_dir)
}

fn run_agent(data_dir: &Path, args: super::RunArgs) -> Result<(), Failure> {
    super::config::check_flags_and_env()?;
    let store = open_waiting(data_dir)?;
    let (context, effective) = super::config::load(&store, data_dir)?;
    let ui_port = effective.settings.ui_port;
    let relay_port = effective.settings.relay_port;
    runtime()?.block_on(async move {
        let mut agent = Agent::start_configured(store, context, effective);
        if args.relay {
            start_relay(
                &mut agent,
                std::net::SocketAddr::new(args.relay_bind, relay_port),
            )
            .await?;
        }
        super::agent_api::start_ui(&mut agent, data_dir, ui_port).await?;
        tracing::info!(data_dir = %data_dir.display(), "agent running; press Ctrl-C to stop");
        super::agent_api::stop_requested().await;
        agent.stop().await;
        tracing::info!("agent stopped");
        Ok(())
    })
}

/// Serves the relay endpoint for other agents until the agent stops.
async fn start_relay(agent: &mut Agent, addr: std::net::SocketAddr) -> Result<(), Failure> {
    let handle = agent.handle();
    let server = twenty_sync::relay::RelayServer::bind(
        addr,
        handle.store().clone(),
        handle.settings_changes(),
    )
    .await
    .map_err(|error| match error {
        twenty_sync::relay::RelayError::NoToken => Failure::usage(error.to_string()),
        other => Failure::other(other.to_string()),
    })?;
    let bound = server.local_addr().unwrap_or(addr);
    tracing::info!(%bound, "relay accepting intents from other agents at POST /api/v1/intents");
    agent.spawn(move |signal| server.run(signal.wait()));
    Ok(())
}

/// Exit code of `sync --until-idle` when Twenty could not be reached.
const EXIT_UNREACHABLE: u8 = 4;

fn sync(data_dir: &Path, until_idle: bool) -> Result<(), Failure> {
    if !until_idle {
        return Err(Failure::usage(
            "sync needs --until-idle (the continuous sync runs with `twenty-sync run`)",
        ));
    }
    let settings = settings(data_dir)?;
    if !settings.pushes_directly() {
        return Err(Failure::usage(format!(
            "syncing is off (sync mode {}, enabled {}); set TWENTY_CRM_SYNC_MODE=direct_crm and TWENTY_CRM_ENABLED=true",
            settings.sync_mode.as_str(),
            settings.enabled
        )));
    }
    let store = open(data_dir)?;
    let outcome = runtime()?.block_on(run_until_idle(&store, &settings));
    match outcome {
        Ok(report) if report.parked == 0 => {
            println!("in sync: {} records settled, nothing pending", report.settled);
            Ok(())
        }
        Ok(report) => Err(Failure {
            message: format!(
                "{} records are parked as failed (see `twenty-sync mappings`); fix them and run `twenty-sync retry-failed`",
                report.parked
            ),
            exit_code: 1,
        }),
        Err(EngineError::Unreachable(error)) => Err(Failure {
            message: format!("Twenty could not be reached, intents stay queued: {error}"),
            exit_code: EXIT_UNREACHABLE,
        }),
        Err(EngineError::Store(error)) => Err(store_failure(error)),
        Err(other) => Err(Failure::other(other.to_string())),
    }
}

fn test_connection(data_dir: &Path, json: bool, create_missing: bool) -> Result<(), Failure> {
    let settings = settings(data_dir)?;
    let target =
        TwentyTarget::from_settings(&settings).map_err(|e| Failure::usage(e.to_string()))?;
    let budget = RequestBudget::for_rate(settings.rate_limit);
    let client = TwentyClient::new(ClientConfig::for_target(target), budget)
        .map_err(|e| Failure::usage(e.to_string()))?;
    // The store is not held during the test: an agent starting meanwhile must not wait for it.
    if let Ok(Some(store)) = open_unless_agent(data_dir) {
        if let Ok(known) = store.server(client.base_url()) {
            client.set_metadata_route(known.metadata_route);
        }
    }
    let report = runtime()?.block_on(client.test_connection(create_missing));
    remember_connection(data_dir, &client, &report);
    if json {
        output::print_json(&report)?;
    } else {
        output::print_connection(&report);
    }
    if report.ok {
        Ok(())
    } else {
        Err(Failure::other(report.message.clone()))
    }
}

/// Keeps what the connection test learned of the server, so that the first sync need not ask
/// again (skipped while an agent holds the store: it learns on its own).
fn remember_connection(data_dir: &Path, client: &TwentyClient, report: &ConnectionReport) {
    let Some(schema) = &report.schema else { return };
    let Ok(Some(store)) = open_unless_agent(data_dir) else {
        return;
    };
    let server = client.base_url();
    let known = store.server(server).unwrap_or_default();
    if let Err(error) = twenty_sync::engine::remember_schema(&store, server, &known, schema) {
        tracing::warn!("could not record what the connection test learned: {error}");
    }
}

fn retry_failed(data_dir: &Path) -> Result<(), Failure> {
    let count = match open_unless_agent(data_dir)? {
        Some(store) => app::retry_failed(&store).map_err(store_failure)?,
        None => super::agent_api::retry_failed(data_dir)?,
    };
    println!("{count} parked records are queued again");
    Ok(())
}
