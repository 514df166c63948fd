//! Every integration test of Twenty Sync as one program (`cargo test --test it`): one build, one
//! link, shared support. Each module is what used to be its own test binary:
//!
//! - `api`: the local web API in-process (token, Host, Origin, the key never in a response,
//!   pagination, SSE, uploads, `POST /api/rpc`).
//! - `cli`: the real binary's contract (names, exit codes, JSON), bad input, the store lock.
//! - `config`: settings precedence, secrets, run-time changes, two agents through a relay.
//! - `import`: `twenty-sync import` and the drop-folder watcher on real folders.
//! - `sync`: the engine against the fake Twenty (request economy, conflicts, faults, runner).
//! - `stress`: crash, fault and soak suites; they run only when `TWENTY_SYNC_STRESS=1` (CI and
//!   `scripts/test.sh` set it), as they take minutes.
//! - `fuzz_corpus`: every fuzz target over its committed corpus and regressions.
//! - `tidy`: the house rules (`//!` lines, file length, adapters, module imports).
//!
//! `support` holds what they share: the `twenty-sync` command with a clean environment (every
//! `TWENTY_*` variable cleared, so a developer's own settings never leak in), a run's output, and
//! bounded waits.

mod support;

mod api;
mod cli;
mod config;
mod fuzz_corpus;
mod import;
mod stress;
mod sync;
mod tidy;
