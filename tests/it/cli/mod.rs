//! Integration tests of the `twenty-sync` binary: the command-line contract (names, exit codes,
//! JSON), bad input, the store lock between processes, store fixtures and secrets in logs, and
//! every command beside a running agent (`door`, with its harness `sides`), what the CLI says
//! about secrets and colour (`messages`), the commands on parked failures (`failures`) and the systemd user unit of `service`
//! (`service`).

mod sides;
mod support;

mod bad_input;
mod contract;
mod door;
mod failures;
mod fields;
mod messages;
mod service;
mod store_files;
mod sync_command;
