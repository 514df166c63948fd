//! Twenty Sync's core: the event-sourced intent log and everything built on it, without any
//! desktop or UI dependency.
//!
//! # Layout
//! - [`api`]: the local web server of `twenty-sync run`: the embedded UI and the JSON API.
//! - [`app`]: the running agent (engine + watcher) and its handle, and the typed operations every
//!   front end shares ([`app::ops`]), the read models and report types.
//! - [`domain`]: intents, events, validation and the projections' fold. No I/O.
//! - [`engine`]: the replay engine that pushes pending intents to Twenty.
//! - [`fuzzing`]: plain entry points over the untrusted-input parsers, for `fuzz/` and its corpus test.
//! - [`import`]: CSV/JSON/NDJSON imports of named files and the watched drop folder.
//! - [`store`]: the sled event log and projections; durability, locking, migrations.
//! - [`migrations`]: the numbered on-disk format migrations (source in `migrations/`).
//! - [`config`]: settings, their sources and validation.
//! - [`clock`]: time, passed in.
//! - [`logging`]: tracing to stderr and daily-rolling files.
//! - [`paths`]: where the data directory is.
//! - [`safe_fs`]: private files (0700/0600) and opens that never follow a link.
//! - [`relay`]: platform mode: the relay endpoint (`run --relay`) and the forwarder to it.
//! - [`service`]: the systemd user unit of `twenty-sync service` (headless machines).
//! - [`twenty`]: the Twenty CRM REST client (errors, request budget, wire format, retries).

/// One allocator for every binary built on the core (see `Cargo.toml`): millions of small values
/// made on one thread and freed on another cost glibc's malloc half of a rebuild.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod fuzzing;
pub mod import;
pub mod logging;
pub mod paths;
pub mod relay;
pub mod safe_fs;
pub mod service;
pub mod store;
pub mod twenty;

#[path = "../migrations/mod.rs"]
pub mod migrations;
