//! Twenty Sync's core: the event-sourced intent log and everything built on it, without any
//! desktop or UI dependency.
//!
//! # Layout
//! - [`app`]: the operations every front end shares (record intents, reports).
//! - [`domain`]: intents, events, validation and the projections' fold. No I/O.
//! - [`store`]: the sled event log and projections; durability, locking, migrations.
//! - [`migrations`]: the numbered on-disk format migrations (source in `migrations/`).
//! - [`clock`]: time, passed in.
//! - [`logging`]: tracing to stderr and daily-rolling files.
//! - [`paths`]: where the data directory is.

pub mod app;
pub mod clock;
pub mod domain;
pub mod logging;
pub mod paths;
pub mod store;

#[path = "../migrations/mod.rs"]
pub mod migrations;
