//! Import benchmark: a 100,000-row mixed CSV (companies and people) imported into a fresh store
//! (time and peak RSS) and how long the search indexer then takes to catch up with it, then the
//! latency from a stable file landing in a watched drop folder to its intents being recorded.
//! Prints markdown table rows for BENCHMARKS.md.
//!
//! Run with `cargo bench --bench import` (`CHUNK=n` overrides the rows per append, `DRY=1`
//! measures a dry run).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twenty_sync::clock::SystemClock;
use twenty_sync::import::{self, DropOutcome, ImportOptions, WatchConfig};
use twenty_sync::store::Store;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Writes `rows` rows: one company for every two people, people pointing at their company.
fn write_csv(path: &Path, rows: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "type,external_id,name,email,website,company_external_id,job_title,city,phone"
    )?;
    for i in 0..rows {
        if i % 3 == 0 {
            writeln!(
                out,
                "company,c{i},Company {i} Ltd,,https://c{i}.example.com,,,Lyon,"
            )?;
        } else {
            let company = i - i % 3;
            writeln!(
                out,
                "person,p{i},Person Number {i},person{i}@example.com,,c{company},Engineer,\"Paris, France\",+33 1 23 45 67 {:02}",
                i % 100
            )?;
        }
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("bench-100k.csv");
    let bytes = write_csv(&csv, 100_000)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let store = Store::open(&dir.path().join("data"), Arc::new(SystemClock))?;
    let started = Instant::now();
    let mut options = ImportOptions::default();
    if let Some(chunk) = std::env::var("CHUNK").ok().and_then(|v| v.parse().ok()) {
        options.chunk_rows = chunk;
    }
    options.dry_run = std::env::var("DRY").is_ok();
    let outcome = import::import_file(&store, &csv, &options)?;
    let elapsed = started.elapsed();
    let peak = peak_rss_mb();
    assert!(
        options.dry_run || outcome.recorded == 100_000,
        "every row is recorded"
    );
    println!("| benchmark | rows | file | time | peak RSS | cores |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| import 100k-row mixed CSV | {} | {:.1} MB | {:.2} s | {:.0} MB | {cores} |",
        outcome.recorded,
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        peak
    );
    // The search index follows behind the appends, from when they pause.
    let behind = store.search_index_progress();
    let indexing = Instant::now();
    while !store.search_index_progress().caught_up() {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "| search index caught up after the import ({} events behind when it returned) | | | {:.2} s after it | {:.0} MB | {cores} |",
        behind.lag(),
        indexing.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    drop(store);

    // Drop-folder latency: a file renamed into the folder (already complete, so stable at once).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let data = dir.path().join("data-watch");
    let store = Store::open(&data, Arc::new(SystemClock))?;
    let inbox = data.join("inbox");
    let stability = Duration::from_secs(2);
    for rows in [1_000u64, 100_000] {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut config = WatchConfig::new(&inbox);
        config.stability_delay = stability;
        config.reports = Some(tx);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let watcher = runtime.spawn(import::watch_drop_folder(store.clone(), config, async {
            let _ = stop_rx.await;
        }));
        std::fs::create_dir_all(&inbox)?;
        let staged = inbox.join(format!(".bench-{rows}.csv.tmp"));
        write_csv(&staged, rows)?;
        // Make the content unique per run so it is never a duplicate import.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&staged)?
            .write_all(format!("company,unique-{rows},Unique {rows},,,,,,\n").as_bytes())?;
        let landed = Instant::now();
        std::fs::rename(&staged, inbox.join(format!("bench-{rows}.csv")))?;
        let report = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(120), rx.recv()).await })?;
        let total = landed.elapsed();
        let _ = stop_tx.send(());
        let _ = runtime.block_on(watcher);
        match report.map(|r| r.outcome) {
            Some(DropOutcome::Imported { outcome, .. }) => println!(
                "| drop folder: landed → recorded ({} rows, stability delay {} s) | {} | | {:.2} s ({:.2} s after the delay) | | {cores} |",
                rows + 1,
                stability.as_secs(),
                outcome.recorded,
                total.as_secs_f64(),
                (total.saturating_sub(stability)).as_secs_f64()
            ),
            other => println!("| drop folder ({rows} rows) | unexpected outcome: {other:?} |"),
        }
    }
    Ok(())
}
