//! Platform mode: agents forward their intents to a relay (another `twenty-sync run --relay`)
//! that records them in its own log and pushes them to Twenty with its one rate budget.
//!
//! # Layout
//! - [`wire`]: the JSON of `POST /api/v1/intents` (request, per-intent results).
//! - [`server`]: the relay's endpoint: bearer token (constant-time), body limits, the same
//!   validation as `push`, idempotent on intent id (the store's relay index).
//! - [`forwarder`]: the agent side: one round forwards a window of the pending queue in batches
//!   and records `ForwardedToRelay` (or parks what the relay rejected). The engine drives it as
//!   one of its upstreams; nothing here knows the engine.
//!
//! Invariant: an intent leaves this agent's queue only after the relay has recorded it durably
//! and said so; a re-sent intent is acknowledged as `already_accepted`, never recorded twice.

pub mod forwarder;
pub mod server;
pub mod wire;

pub use forwarder::{ForwardError, Forwarder, RelayTarget};
pub use server::{RelayError, RelayServer};
