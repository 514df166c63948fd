//! Integration tests of configuration, secrets and the three sync modes: the precedence table,
//! validation, secrets never in clear, run-time changes reaching the engine, and platform mode
//! through a relay (two agents on loopback in front of the fake Twenty).

mod support;

mod cli;
mod precedence;
mod relay;
mod relay_fields;
mod runtime;
mod safety;
