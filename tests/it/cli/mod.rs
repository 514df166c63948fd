//! Integration tests of the `twenty-sync` binary: the command-line contract (names, exit codes,
//! JSON), bad input, the store lock between processes, store fixtures and secrets in logs, and
//! the commands on parked failures.

mod support;

mod bad_input;
mod contract;
mod failures;
mod store_files;
mod sync_command;
