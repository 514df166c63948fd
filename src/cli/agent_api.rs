//! The one place the CLI decides between the store and a running agent: [`Door::open`] opens the
//! store, or, while an agent (`twenty-sync run`, the desktop app) holds it and announces its
//! local API in `agent.json`, talks to that agent. [`Door::run`] then runs an `app::ops`
//! operation either over the store (its [`Local`] side, the same library functions the agent
//! runs) or on the agent (`POST /api/rpc`), and every command prints the one typed reply the
//! same way. Errors become the same sentence and exit code on both paths (the HTTP status of an
//! [`OpError`] decides: 400/413/422 are bad input, exit 2; anything else exit 1).
//!
//! `run` starts the local API here too ([`start_ui`]).

use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use twenty_sync::api::client::{AgentClient, ClientError};
use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::agent::Agent;
use twenty_sync::app::ops::{self, OpError, Operation};
use twenty_sync::app::Live;
use twenty_sync::clock::SystemClock;
use twenty_sync::config::Effective;
use twenty_sync::domain::StoredConfig;
use twenty_sync::store::{Store, StoreError};

use super::Failure;

/// What a command goes through: the store it opened, or the agent that holds it.
pub struct Door {
    data_dir: PathBuf,
    way: Way,
    runtime: OnceCell<tokio::runtime::Runtime>,
    effective: OnceCell<Effective>,
}

enum Way {
    /// The store, while this process holds it (`None` once let go of, see [`Door::release`]).
    Store(RefCell<Option<Store>>),
    Agent(AgentClient),
}

/// An operation a command can also run over the store this process opened itself.
pub trait Local: Operation {
    /// How long the running agent may take to answer.
    const AGENT_TIMEOUT: Duration = AgentClient::DEFAULT_TIMEOUT;

    /// Runs the operation over the store behind `door` (its [`Door::store`]).
    fn on_store(self, door: &Door) -> Result<Self::Reply, Failure>;
}

impl Door {
    /// The store of `data_dir`, or the running agent that holds it.
    pub fn open(data_dir: &Path) -> Result<Door, Failure> {
        let way = match Store::open(data_dir, Arc::new(SystemClock)) {
            Ok(store) => Way::Store(RefCell::new(Some(store))),
            Err(in_use @ StoreError::InUse { .. }) => match AgentClient::find(data_dir)
                .ok()
                .filter(|_| announced_agent_holds(data_dir, &in_use))
            {
                Some(client) => {
                    eprintln!(
                        "(asking the agent running on this data directory: it holds the store)"
                    );
                    Way::Agent(client)
                }
                None => return Err(store_failure(in_use)),
            },
            Err(error) => return Err(store_failure(error)),
        };
        Ok(Door {
            data_dir: data_dir.to_path_buf(),
            way,
            runtime: OnceCell::new(),
            effective: OnceCell::new(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// True when the running agent answers this command's operations.
    pub fn is_agent(&self) -> bool {
        matches!(self.way, Way::Agent(_))
    }

    /// Runs `op` on the running agent (only when [`Door::is_agent`]), waiting `timeout` at most.
    pub fn ask<O: Operation>(&self, op: O, timeout: Duration) -> Result<O::Reply, Failure> {
        let Way::Agent(client) = &self.way else {
            return Err(Failure::other("no running agent holds the store"));
        };
        self.block_on(client.call_within(op, timeout))?
            .map_err(client_failure)
    }

    /// Runs `op` over the store, or on the agent; the same reply either way.
    pub fn run<O: Local>(&self, op: O) -> Result<O::Reply, Failure> {
        match &self.way {
            Way::Store(_) => op.on_store(self),
            Way::Agent(client) => self
                .block_on(client.call_within(op, O::AGENT_TIMEOUT))?
                .map_err(client_failure),
        }
    }

    /// The effective settings of this command: its flags and environment over the stored
    /// configuration (read from the store, or from the agent), resolved once. Says once where
    /// secrets are kept when they are in a file.
    pub fn effective(&self) -> Result<&Effective, Failure> {
        if let Some(effective) = self.effective.get() {
            return Ok(effective);
        }
        let row = self.run(ops::StoredSettings {})?;
        let effective = self.resolve(row.as_ref())?;
        Ok(self.effective.get_or_init(|| effective))
    }

    /// The Twenty server's address these settings name, for links into Twenty; reads no secret
    /// and so says nothing about where secrets are kept.
    pub fn base_url(&self) -> Option<String> {
        let row = self.run(ops::StoredSettings {}).ok()?;
        super::config::resolve_row(&self.data_dir, row.as_ref())
            .ok()?
            .settings
            .base_url
    }

    /// The effective settings over `row` (e.g. the stored configuration after a change).
    pub fn resolve(&self, row: Option<&StoredConfig>) -> Result<Effective, Failure> {
        static WARNED: AtomicBool = AtomicBool::new(false);
        let effective = super::config::resolve_row(&self.data_dir, row)?;
        if let Some(warning) = &effective.secrets_warning {
            if !WARNED.swap(true, Ordering::Relaxed) {
                eprintln!("warning: {warning}");
            }
        }
        Ok(effective)
    }

    /// The store, opened again when it was let go of. Only for [`Local::on_store`].
    pub fn store(&self) -> Result<Store, Failure> {
        let Way::Store(held) = &self.way else {
            return Err(Failure::other("the store is held by the running agent"));
        };
        if let Some(store) = held.borrow().as_ref() {
            return Ok(store.clone());
        }
        let store = Store::open(&self.data_dir, Arc::new(SystemClock)).map_err(store_failure)?;
        *held.borrow_mut() = Some(store.clone());
        Ok(store)
    }

    /// Lets go of the store (during a long wait on the network, so that an agent starting
    /// meanwhile need not wait); [`Door::store`] opens it again. Every clone must be dropped too.
    pub fn release(&self) {
        if let Way::Store(held) = &self.way {
            held.borrow_mut().take();
        }
    }

    /// Runs a future on this command's runtime (started on first use).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output, Failure> {
        if self.runtime.get().is_none() {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| Failure::other(format!("cannot start the async runtime: {e}")))?;
            let _ = self.runtime.set(runtime);
        }
        let runtime = self
            .runtime
            .get()
            .ok_or_else(|| Failure::other("cannot start the async runtime"))?;
        Ok(runtime.block_on(future))
    }
}

/// Whether the agent `agent.json` announces is the process that holds the store (an
/// `agent.json` left by an agent that died says nothing about another holder).
fn announced_agent_holds(data_dir: &Path, in_use: &StoreError) -> bool {
    let StoreError::InUse { holder, .. } = in_use else {
        return false;
    };
    let announced = api::AgentFile::read(data_dir).and_then(|file| file.pid);
    announced.is_some_and(|pid| *holder == format!("pid {pid}"))
        || (announced.is_some() && holder == "another process")
}

/// A store that cannot be opened: a bad data directory is the input's problem (exit 2).
pub fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::DataDir { .. } => Failure::usage(error.to_string()),
        other => Failure::other(other.to_string()),
    }
}

/// The exit code of an operation's refusal, by its HTTP status: bad input is 2.
fn exit_code(status: u16) -> u8 {
    match status {
        400 | 413 | 422 => 2,
        _ => 1,
    }
}

impl From<OpError> for Failure {
    fn from(error: OpError) -> Failure {
        Failure {
            exit_code: exit_code(error.status()),
            message: error.reply().error,
        }
    }
}

fn client_failure(error: ClientError) -> Failure {
    match error {
        ClientError::Refused { status, message } => Failure {
            message,
            exit_code: exit_code(status),
        },
        other => Failure::other(other.to_string()),
    }
}

/// True when `agent.json` announces a running agent's API.
pub fn agent_serves(data_dir: &Path) -> bool {
    AgentClient::find(data_dir).is_ok()
}

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
