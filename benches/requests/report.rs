//! The request benchmark's output: one [`Row`] per run, printed as Markdown tables ready for
//! BENCHMARKS.md (the summary, the requests per route) and the targets, met or missed.

use crate::engine::Strategy;
use crate::routes::describe;
use crate::workspace::{Flavour, Tally};

/// A target of issue 14 checked on one run.
#[derive(Debug, Clone)]
pub struct Target {
    pub text: String,
    pub met: bool,
}

impl Target {
    pub fn new(text: impl Into<String>, met: bool) -> Target {
        Target {
            text: text.into(),
            met,
        }
    }
}

/// One run of one scenario.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub flavour: Flavour,
    pub strategy: Strategy,
    pub tally: Tally,
    /// What else the run showed (extra requests, per batch, an error).
    pub note: String,
    pub targets: Vec<Target>,
}

pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How long `requests` take at 100 requests per minute, the real server's limit.
fn at_server_rate(requests: usize) -> String {
    let minutes = requests as f64 / 100.0;
    if minutes >= 120.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{minutes:.1} min")
    }
}

fn verdicts(targets: &[Target]) -> String {
    if targets.is_empty() {
        return "–".into();
    }
    targets
        .iter()
        .map(|t| {
            let verdict = if t.met { "met" } else { "**missed**" };
            format!("{}: {verdict}", t.text)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The summary table.
pub fn print_summary(rows: &[Row], scale: f64) {
    println!(
        "| scenario | server | strategy | records | record requests | metadata + other | total \
         | 429 | in Twenty | dup. externalId | dup. e-mail/domain | parked | mapped (adopted) \
         | wall (×{scale}) | at 100 req/min | note | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let t = &row.tally;
        let k = t.factor;
        let sampled = if k > 1 { "†" } else { "" };
        println!(
            "| {} | {} | {} | {}{sampled} | {} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {:.1} s | {} | {} | {} |",
            row.scenario,
            row.flavour.label(),
            row.strategy.label(),
            thousands(t.records * k),
            thousands(t.record_requests * k),
            thousands((t.metadata_requests + t.other_requests) * k),
            thousands(t.total() * k),
            thousands(t.throttled * k),
            thousands(t.in_twenty * k),
            t.duplicate_external_ids * k,
            t.duplicate_keys * k,
            thousands(t.outcome.parked * k),
            thousands(t.outcome.mapped * k),
            thousands(t.outcome.adopted * k),
            t.wall.as_secs_f64() * k as f64,
            at_server_rate(t.total() * k),
            row.note,
            verdicts(&row.targets),
        );
    }
    if rows.iter().any(|row| row.tally.factor > 1) {
        let factor = rows.iter().map(|row| row.tally.factor).max().unwrap_or(1);
        println!(
            "\n† measured on a sample {factor} times smaller and multiplied (the per-record \
             strategy's cost is linear in the records)."
        );
    }
}

/// Requests per route of every run (counts multiplied like the summary's).
pub fn print_routes(rows: &[Row]) {
    println!("| scenario | server | strategy | requests per route (answer statuses) |");
    println!("|---|---|---|---|");
    for row in rows {
        let routes = match row.tally.routes.is_empty() {
            true => "none".to_string(),
            false => describe(&row.tally.routes, row.tally.factor),
        };
        println!(
            "| {} | {} | {} | {routes} |",
            row.scenario,
            row.flavour.label(),
            row.strategy.label()
        );
    }
}

/// The targets of this engine's runs, one line each.
pub fn print_targets(rows: &[Row]) {
    let mut met = 0;
    let mut missed = 0;
    for row in rows.iter().filter(|row| !row.targets.is_empty()) {
        for target in &row.targets {
            let verdict = if target.met {
                met += 1;
                "met"
            } else {
                missed += 1;
                "**missed**"
            };
            println!(
                "- {} ({}, {}): {} — {verdict}",
                row.scenario,
                row.flavour.label(),
                row.strategy.label(),
                target.text
            );
        }
    }
    println!("\n{met} targets met, {missed} missed.");
}
