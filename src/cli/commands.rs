//! One function per command: it sends its `app::ops` operation through the [`Door`] (the store,
//! or the running agent that holds it) and prints the one reply the same way on both paths.

use std::path::Path;
use std::sync::Arc;

use twenty_sync::app::agent::Agent;
use twenty_sync::app::ops::{self, IdleOutcome, Queued};
use twenty_sync::app::RecordError;
use twenty_sync::clock::SystemClock;
use twenty_sync::store::{Store, StoreError};

use super::agent_api::{store_failure, Door};
use super::output;
use super::{Command, Failure};

pub fn run(command: Command, data_dir: &Path) -> Result<(), Failure> {
    match command {
        Command::Push { record } => push(data_dir, *record),
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
        Command::Fields(args) => super::fields::fields(args, data_dir),
        Command::Mapping { command } => super::fields::mapping(command, data_dir),
        Command::Service { command } => super::service::run(command, data_dir),
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

fn push(data_dir: &Path, record: super::PushRecord) -> Result<(), Failure> {
    let input = record.into_input();
    // Validate before touching the store, so invalid input never needs a data dir (values
    // given with --field are read against the workspace's fields, which the store holds).
    if input.fields.is_empty() {
        if let Err(errors) = input.draft.validate(input.kind) {
            let kind = input.kind;
            return Err(Failure::usage(
                RecordError::Invalid { kind, errors }.to_string(),
            ));
        }
    }
    let door = Door::open(data_dir)?;
    if !input.fields.is_empty() {
        // The values are read against the fields of the configured server, on both paths.
        door.effective()?;
    }
    let recorded = door.run(ops::RecordIntents {
        intents: vec![input],
    })?;
    for intent in recorded.intents {
        println!(
            "recorded {} {} (intent {})",
            intent.kind, intent.external_id, intent.id
        );
    }
    Ok(())
}

fn status(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let report = Door::open(data_dir)?.run(ops::Status {})?;
    if json {
        output::print_json(&report)
    } else {
        output::print_status(&report);
        Ok(())
    }
}

/// The newest `tail` events, oldest first, read page by page.
fn events(data_dir: &Path, tail: usize, json: bool) -> Result<(), Failure> {
    let door = Door::open(data_dir)?;
    let mut rows = Vec::new();
    let mut before = None;
    while rows.len() < tail {
        let page = door.run(ops::Events {
            before,
            limit: Some((tail - rows.len()).min(200)),
            ..ops::Events::default()
        })?;
        rows.extend(page.rows);
        match page.next_before {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    rows.reverse();
    if json {
        output::print_json(&rows)
    } else {
        output::print_events(&rows);
        Ok(())
    }
}

fn mappings(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let rows = Door::open(data_dir)?.run(ops::Mappings {})?;
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
    let door = Door::open(data_dir)?;
    // This command's settings are checked (and their warning said) on both paths.
    door.effective()?;
    match door.run(ops::SyncUntilIdle {})? {
        IdleOutcome::Idle { settled, parked: 0 } => {
            println!(
                "in sync: {} settled, nothing pending",
                output::plural(settled, "record")
            );
            Ok(())
        }
        IdleOutcome::Idle { parked, .. } => Err(Failure::other(format!(
            "{} parked as failed; see why with `twenty-sync failures`, then retry, dismiss or link each (`twenty-sync retry-failed` retries them all)",
            output::plural(parked, "record")
        ))),
        IdleOutcome::Unreachable { message } => Err(Failure {
            message: format!("Twenty could not be reached, intents stay queued: {message}"),
            exit_code: EXIT_UNREACHABLE,
        }),
        IdleOutcome::Stopped { message } => Err(Failure::other(message)),
    }
}

fn test_connection(data_dir: &Path, json: bool, create_missing: bool) -> Result<(), Failure> {
    let door = Door::open(data_dir)?;
    let settings = &door.effective()?.settings;
    let report = door.run(ops::CheckConnection {
        base_url: settings.base_url.clone(),
        api_key: settings
            .api_key
            .as_ref()
            .map(|key| key.expose().to_string()),
        create_missing,
    })?;
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

fn retry_failed(data_dir: &Path) -> Result<(), Failure> {
    let Queued { queued } = Door::open(data_dir)?.run(ops::RetryAll {})?;
    println!("{queued} parked records are queued again");
    Ok(())
}
