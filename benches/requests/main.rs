//! Request benchmark (`cargo bench --bench requests`): issue 14's targets measured side by side on
//! the fake Twenty, in one run: this engine, the engine forced into today's lookup + create (60 a
//! batch), and the original integration's per-record strategy; on the August 2025 build and on
//! 2.4.0 (100 requests/min, time-scaled). Prints Markdown tables for BENCHMARKS.md.
//!
//! Scenarios: (1) the whole directory new into an empty workspace, (2) 10 changed and 0 changed
//! records in a new process, (3) records into a workspace already holding some of them, (4) a
//! kill and a 5xx after Twenty committed a batch, (5) the 429s of run 1 on 2.4.0.
//!
//! Environment (defaults in brackets): `REQUESTS_BENCH_RECORDS` companies and as many people of
//! scenario 1 [10000]; `REQUESTS_BENCH_ADOPT` records of scenario 3 [2000] and
//! `REQUESTS_BENCH_EXISTING` of them already in Twenty [500]; `REQUESTS_BENCH_FAULT_RECORDS`
//! records of scenario 4 [2000]; `REQUESTS_BENCH_SAMPLE` the per-record strategy runs on this many
//! times fewer records [10]; `REQUESTS_BENCH_SCALE` time scale [60: a real second stands for a
//! minute]; `REQUESTS_BENCH_SCENARIOS` [1,2,3,4]; `REQUESTS_BENCH_FLAVOURS` [aug,2.4];
//! `REQUESTS_BENCH_STRATEGIES` [engine,lookup,original].
//!
//! The engine is reached through one function, `engine::connect_engine`: adapt it when the
//! engine's entry points or settings change.

mod engine;
mod original;
mod report;
mod routes;
mod scenarios;
mod workspace;

use std::time::Instant;

use engine::Strategy;
use scenarios::{Run, Sizes};
use workspace::Flavour;

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::main]
async fn main() {
    let sizes = Sizes {
        records: number("REQUESTS_BENCH_RECORDS", 10_000).max(10),
        adopt_records: number("REQUESTS_BENCH_ADOPT", 2_000).max(2),
        adopt_existing: number("REQUESTS_BENCH_EXISTING", 500),
        fault_records: number("REQUESTS_BENCH_FAULT_RECORDS", 2_000).max(2),
        sample: number("REQUESTS_BENCH_SAMPLE", 10).max(1),
        scale: std::env::var("REQUESTS_BENCH_SCALE")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(60.0),
    };
    let scenarios = list("REQUESTS_BENCH_SCENARIOS", "1,2,3,4");
    let flavours = list("REQUESTS_BENCH_FLAVOURS", "aug,2.4");
    let strategies = list("REQUESTS_BENCH_STRATEGIES", "engine,lookup,original");
    let wanted = |n: &str| scenarios.iter().any(|s| s == n);
    let started = Instant::now();
    let mut rows = Vec::new();
    for flavour in Flavour::ALL
        .into_iter()
        .filter(|f| flavours.iter().any(|k| k == f.key()))
    {
        for strategy in Strategy::ALL
            .into_iter()
            .filter(|s| strategies.iter().any(|k| k == s.key()))
        {
            let run = Run {
                flavour,
                strategy,
                sizes,
            };
            let before = rows.len();
            if wanted("1") || wanted("2") || wanted("5") {
                rows.extend(run.first_sync_then_changes(wanted("2")).await);
            }
            if wanted("3") {
                rows.push(run.sync_into_populated_workspace().await);
            }
            if wanted("4") {
                rows.extend(run.faults().await);
            }
            eprintln!(
                "[requests] {} / {}: {} runs, {:.0} s so far",
                flavour.label(),
                strategy.label(),
                rows.len() - before,
                started.elapsed().as_secs_f64()
            );
        }
    }
    // By scenario number, each in the order it ran.
    rows.sort_by_key(|row| {
        row.scenario
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string()
    });
    println!("## Summary\n");
    report::print_summary(&rows, sizes.scale);
    println!("\n## Requests per route\n");
    report::print_routes(&rows);
    println!("\n## Targets (this engine)\n");
    report::print_targets(&rows);
    eprintln!(
        "[requests] done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
