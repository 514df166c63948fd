//! Twenty Sync's core: the event-sourced intent log and everything built on it, without any
//! desktop or UI dependency.
//!
//! # Layout
//! - [`app`]: the operations every front end shares (record intents, reports).
//! - [`domain`]: intents, events, validation and the projections' fold. No I/O.
//! - [`engine`]: the replay engine that pushes pending intents to Twenty.
//! - [`store`]: the sled event log and projections; durability, locking, migrations.
//! - [`migrations`]: the numbered on-disk format migrations (source in `migrations/`).
//! - [`config`]: settings, their sources and validation.
//! - [`clock`]: time, passed in.
//! - [`logging`]: tracing to stderr and daily-rolling files.
//! - [`paths`]: where the data directory is.
//! - [`twenty`]: the Twenty CRM REST client (errors, request budget, wire format, retries).

pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod logging;
pub mod paths;
pub mod store;
pub mod twenty;

#[path = "../migrations/mod.rs"]
pub mod migrations;
