//! The agent the desktop app runs: started in the background from the same data directory and
//! settings as the CLI (`--data-dir`/`TWENTY_SYNC_DATA_DIR`, else the OS data folder; the
//! environment), held as Tauri state, and forwarded to the window as `live-update` events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use twenty_sync::app::agent::Agent;
use twenty_sync::app::Live;

use twenty_sync::app::ops::{ErrorReply, OpError};

/// The agent as the commands reach it, or why it could not start (every command then answers
/// with that sentence).
pub struct AgentSlot(pub Result<Live, String>);

impl AgentSlot {
    pub fn live(&self) -> Result<Live, ErrorReply> {
        self.0
            .clone()
            .map_err(|why| OpError::Unavailable(why).reply())
    }
}

/// The running agent itself, kept until the app exits (then stopped).
#[derive(Default, Clone)]
pub struct RunningAgent(pub Arc<Mutex<Option<Agent>>>);

/// The data directory: `TWENTY_SYNC_DATA_DIR`, else the OS data folder (as the CLI).
pub fn data_dir() -> PathBuf {
    std::env::var_os(twenty_sync::paths::DATA_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(twenty_sync::paths::default_data_dir)
}

/// Opens the store and starts the agent; call inside the Tokio runtime.
pub async fn start_agent(data_dir: PathBuf) -> Result<(Agent, Live), String> {
    let store =
        twenty_sync::store::Store::open(&data_dir, Arc::new(twenty_sync::clock::SystemClock))
            .map_err(|e| e.to_string())?;
    // Environment over stored settings over defaults, exactly as `twenty-sync run`.
    let context = twenty_sync::config::ConfigContext::for_process(
        &data_dir,
        twenty_sync::config::Layer::new(),
    );
    let effective = context
        .load(&store)
        .map_err(|e| format!("invalid setting {e}"))?;
    let mut agent = Agent::start_configured(store, context, effective);
    // The same local API as `twenty-sync run`, so the command line (and a browser) can reach
    // this agent while the app holds the store.
    let api = twenty_sync::api::ApiConfig {
        data_dir: data_dir.clone(),
        port: agent.handle().settings().ui_port,
    };
    match twenty_sync::api::bind(Live::new(agent.handle()), api).await {
        Ok(server) => agent.spawn(move |shutdown| server.serve(shutdown)),
        Err(error) => tracing::warn!("the local web API is not served: {error}"),
    }
    let live = Live::new(agent.handle()).called_by("desktop");
    Ok((agent, live))
}
