//! Import benchmark: a 100,000-row mixed CSV (companies and people) imported into a fresh store
//! (time and peak RSS) and how long the search indexer then takes to catch up with it, then the
//! latency from a stable file landing in a watched drop folder to its intents being recorded.
//! Prints markdown table rows for BENCHMARKS.md.
//!
//! Run with `cargo bench --bench import` (`CHUNK=n` overrides the rows per append, `DRY=1`
//! measures a dry run; `FIELDS=1` instead imports a 100,000-row companies CSV with 20 mapped
//! fields against a directory's data model).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twenty_sync::clock::SystemClock;
use twenty_sync::domain::fields::{DataModel, FieldDef, FieldType};
use twenty_sync::domain::EntityKind;
use twenty_sync::import::{self, DropOutcome, ImportFields, ImportOptions, WatchConfig};
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

/// A directory's data model: Twenty's standard fields and the custom ones of issue 15.
fn directory_model() -> DataModel {
    use EntityKind::Company as C;
    let standard = DataModel::standard();
    let custom = |name: &str, label: &str, field_type: FieldType, options: &[(&str, &str)]| {
        FieldDef::custom(C, name, label, field_type).with_options(options)
    };
    let categories = [
        ("AGENCY", "Agency"),
        ("FINTECH", "Fintech"),
        ("CAFE", "Café"),
    ];
    let mut companies: Vec<FieldDef> = standard.object(C).iter().cloned().collect();
    companies.extend([
        custom("category", "Category", FieldType::Select, &categories),
        custom("tags", "Tags", FieldType::MultiSelect, &categories),
        custom("listingUrl", "Listing URL", FieldType::Links, &[]),
        custom("rating", "Rating", FieldType::Rating, &[]),
        custom("foundedOn", "Founded on", FieldType::Date, &[]),
        custom("score", "Score", FieldType::Numeric, &[]),
        custom("aliases", "Aliases", FieldType::Array, &[]),
        custom("verified", "Verified", FieldType::Boolean, &[]),
    ]);
    let people: Vec<FieldDef> = standard
        .object(EntityKind::Person)
        .iter()
        .cloned()
        .collect();
    DataModel::new(companies, people)
}

/// `rows` companies with 20 mapped fields besides their id.
fn write_fields_csv(path: &Path, rows: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "id,name,website,Address Street 1,Address Street 2,Address City,Address Postcode,Address State,Address Country,linkedinLink,xLink,Employees,ARR,ARR Currency,Category,Tags,Listing URL,Rating,Founded on,Score,Verified"
    )?;
    for i in 0..rows {
        writeln!(
            out,
            "c{i},Company {i},c{i}.example.com,{i} Main Street,Floor {},Lyon,69{:03},Rhône,France,https://linkedin.com/company/c{i},https://x.com/c{i},{},{}.50,EUR,{},\"Agency, Café\",https://dir.example/c{i},{},2001-04-{:02},{}.25,{}",
            i % 9,
            i % 1000,
            i % 5000,
            i * 10,
            ["Agency", "fintech", "Café"][(i % 3) as usize],
            i % 5 + 1,
            i % 28 + 1,
            i % 100,
            ["yes", "no"][(i % 2) as usize]
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// `FIELDS=1`: the issue-15 target, 100,000 rows × 20 mapped fields in ≤ 4 s at ≤ 200 MB.
fn fields_bench() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("companies-fields-100k.csv");
    let bytes = write_fields_csv(&csv, 100_000)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // `NO_INDEXER=1`: without the search indexer catching up behind the appends.
    let store_options = twenty_sync::store::StoreOptions {
        background_indexer: std::env::var("NO_INDEXER").is_err(),
    };
    let (store, _) = Store::open_with_options(
        &dir.path().join("data"),
        Arc::new(SystemClock),
        store_options,
    )?;
    let options = ImportOptions {
        fields: Arc::new(ImportFields {
            model: directory_model(),
            overrides: Default::default(),
        }),
        dry_run: std::env::var("DRY").is_ok(),
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let outcome = import::import_file(&store, &csv, &options)?;
    let elapsed = started.elapsed();
    assert_eq!(outcome.invalid, 0, "{:?}", outcome.problems.first());
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert!(options.dry_run || outcome.recorded == 100_000);
    println!("| benchmark | rows | file | time | peak RSS | cores |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| import 100k-row companies CSV, 20 mapped fields | {} | {:.1} MB | {:.2} s | {:.0} MB | {cores} |",
        outcome.valid,
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        peak_rss_mb()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var("FIELDS").is_ok() {
        return fields_bench();
    }
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
