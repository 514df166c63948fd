//! Stress suites (`cargo test --test stress`): the crash suites (SIGKILL at seeded-random moments;
//! `crash_heal` inside the request floor's strategy), the fault suite against the fake Twenty,
//! and a bounded soak. `STRESS_SEED` replays a run, `STRESS_RUNS` sets the runs per crash
//! scenario, `SOAK_SECONDS` the soak's length.

mod crash;
mod crash_heal;
mod crash_migration;
mod faults;
mod invariants;
mod soak;
mod support;
