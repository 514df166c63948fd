//! The CLI's side of the local web API: `run` starts it with the agent and prints the UI line;
//! `status`, `events`, `mappings` and `retry-failed` ask the running agent through it (typed
//! `app::ops` operations) when that agent holds the store, and print the replies exactly as
//! they print what they read from the store themselves.

use std::path::Path;

use twenty_sync::api::client::AgentClient;
use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::agent::Agent;
use twenty_sync::app::ops::{self, Operation};
use twenty_sync::app::{EventRow, Live, MappingRow, StatusReport};

use super::Failure;

/// Binds the local API, prints `UI: http://127.0.0.1:<port>/?token=<token>` and serves it as a
/// task of the agent (it stops with the agent).
pub async fn start_ui(agent: &mut Agent, data_dir: &Path, port: u16) -> Result<(), Failure> {
    let server = api::bind(
        Live::new(agent.handle()),
        ApiConfig {
            data_dir: data_dir.to_path_buf(),
            port,
        },
    )
    .await
    .map_err(|e| Failure::usage(e.to_string()))?;
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "UI: {}", server.url());
        let _ = stdout.flush();
    }
    agent.spawn(move |shutdown| server.serve(shutdown));
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(error) => tracing::warn!("cannot listen for SIGTERM: {error}"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// True when `agent.json` announces a running agent's API.
pub fn agent_serves(data_dir: &Path) -> bool {
    AgentClient::find(data_dir).is_ok()
}

/// Runs one operation on the agent that holds the store.
fn ask<O: Operation>(data_dir: &Path, op: O) -> Result<O::Reply, Failure> {
    let client = AgentClient::find(data_dir).map_err(|e| Failure::other(e.to_string()))?;
    eprintln!("(the agent running on this data directory holds the store: asking it)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(client.call(op))
        .map_err(|e| Failure::other(e.to_string()))
}

pub fn status(data_dir: &Path) -> Result<StatusReport, Failure> {
    ask(data_dir, ops::Status {})
}

/// The newest `tail` events, oldest first (as read from the store).
pub fn events(data_dir: &Path, tail: usize) -> Result<Vec<EventRow>, Failure> {
    let mut rows = Vec::new();
    let mut before = None;
    while rows.len() < tail {
        let page = ask(
            data_dir,
            ops::Events {
                before,
                limit: Some((tail - rows.len()).min(200)),
                ..ops::Events::default()
            },
        )?;
        rows.extend(page.rows);
        match page.next_before {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    rows.reverse();
    Ok(rows)
}

pub fn mappings(data_dir: &Path) -> Result<Vec<MappingRow>, Failure> {
    ask(data_dir, ops::Mappings {})
}

/// Queues every parked record again; returns how many.
pub fn retry_failed(data_dir: &Path) -> Result<usize, Failure> {
    Ok(ask(data_dir, ops::RetryAll {})?.queued)
}
