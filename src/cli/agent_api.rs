//! The CLI's side of the local web API: `run` starts it with the agent and prints the UI line;
//! `status`, `events`, `mappings` and `retry-failed` ask the running agent through it when that
//! agent holds the store (the JSON is the same as when they read the store themselves).

use std::path::Path;

use serde_json::Value;
use twenty_sync::agent::Agent;
use twenty_sync::api::client::AgentClient;
use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::Live;

use super::output;
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

fn ask<F, Fut>(data_dir: &Path, call: F) -> Result<Value, Failure>
where
    F: FnOnce(AgentClient) -> Fut,
    Fut: std::future::Future<Output = Result<Value, twenty_sync::api::client::ClientError>>,
{
    let client = AgentClient::find(data_dir).map_err(|e| Failure::other(e.to_string()))?;
    eprintln!("(the agent running on this data directory holds the store: asking it)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(call(client))
        .map_err(|e| Failure::other(e.to_string()))
}

fn text(value: &Value, key: &str) -> String {
    match &value[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn status(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let report = ask(data_dir, |c| async move { c.get("/api/status").await })?;
    if json {
        return output::print_json(&report);
    }
    for (label, key) in [
        ("state", "state"),
        ("pending", "pending"),
        ("failed", "failed"),
        ("synced", "synced"),
        ("unchanged", "skipped_unchanged"),
        ("intents", "intents"),
        ("imports", "imports"),
        ("last push", "last_push_at"),
        ("since", "since"),
        ("next retry", "next_retry_at"),
        ("last error", "last_error"),
    ] {
        let value = text(&report, key);
        if !value.is_empty() {
            println!("{:<11} {value}", format!("{label}:"));
        }
    }
    Ok(())
}

pub fn events(data_dir: &Path, tail: usize, json: bool) -> Result<(), Failure> {
    let mut rows: Vec<Value> = Vec::new();
    let mut before: Option<u64> = None;
    while rows.len() < tail {
        let limit = (tail - rows.len()).min(200);
        let path = match before {
            Some(before) => format!("/api/events?limit={limit}&before={before}"),
            None => format!("/api/events?limit={limit}"),
        };
        let page = ask(data_dir, |c| async move { c.get(&path).await })?;
        rows.extend(page["rows"].as_array().cloned().unwrap_or_default());
        match page["next_before"].as_u64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    rows.reverse();
    if json {
        return output::print_json(&rows);
    }
    if rows.is_empty() {
        println!("no events yet");
    }
    for row in &rows {
        println!(
            "#{:<6} {}  {:<17} {}",
            text(row, "seq"),
            text(row, "recorded_at"),
            text(row, "kind"),
            text(row, "summary")
        );
    }
    Ok(())
}

pub fn mappings(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let rows = ask(data_dir, |c| async move { c.get("/api/mappings").await })?;
    if json {
        return output::print_json(&rows);
    }
    let rows = rows.as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        println!("no records mapped yet");
    }
    for row in &rows {
        let twenty_id = text(row, "twenty_id");
        println!(
            "{:<8} {:<30} {:<38} {:<8} {}",
            text(row, "kind"),
            text(row, "external_id"),
            if twenty_id.is_empty() {
                "-".to_string()
            } else {
                twenty_id
            },
            text(row, "state"),
            text(row, "error")
        );
    }
    Ok(())
}

pub fn retry_failed(data_dir: &Path) -> Result<(), Failure> {
    let reply = ask(data_dir, |c| async move {
        c.post("/api/records/retry-all").await
    })?;
    println!("{} parked records are queued again", text(&reply, "queued"));
    Ok(())
}
