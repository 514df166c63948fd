//! Stress suites (`cargo test --test stress`): the crash suite (SIGKILL at seeded-random moments),
//! the fault suite against the fake Twenty, and a bounded soak. `STRESS_SEED` replays a run,
//! `STRESS_RUNS` sets the runs per crash scenario, `SOAK_SECONDS` the soak's length.

mod crash;
mod faults;
mod invariants;
mod soak;
mod support;
