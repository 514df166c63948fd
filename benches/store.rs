//! Store benchmarks (`cargo bench --bench store`): durable append throughput in batches and one at
//! a time (with the search indexer running behind, as in use), how long the indexer then takes to
//! catch up, rebuild speed (the projections; the index is derived again behind it: timed on its
//! own), open time of a large store and bytes on disk per intent. Prints a Markdown table for
//! BENCHMARKS.md. `STORE_BENCH_EVENTS` sets the large store's size (default 1,000,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use twenty_sync::clock::SystemClock;
use twenty_sync::domain::fields::{
    record_values, CellValue, Decimal, DecimalSeparator, FieldTarget, FieldValues, Part,
};
use twenty_sync::domain::{EntityKind, Event, Intent, IntentFields, IntentSource, PushOutcome};
use twenty_sync::store::{RebuildReport, Store, StoreOptions, CATCH_UP_BATCH};
use uuid::Uuid;

fn intent(n: u64) -> Event {
    let person = n % 2 == 1;
    Event::IntentRecorded(Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind: if person {
            EntityKind::Person
        } else {
            EntityKind::Company
        },
        external_id: format!("ext-{n:08}"),
        fields: IntentFields {
            name: Some(format!("Record number {n}")),
            email: person.then(|| format!("person{n}@example.com")),
            website: (!person).then(|| format!("https://company{n}.example.com")),
            company_external_id: person.then(|| format!("ext-{:08}", n - 1)),
            city: Some("Lyon".into()),
            ..IntentFields::default()
        },
        source: IntentSource::Import {
            file: "directory.csv".into(),
            row: n,
        },
        requested_at_ms: 1_764_000_000_000,
    })
}

/// Other fields, as a directory sends them (issue 15): address parts, links, a select, a
/// multi-select, numbers, a date, a flag — twelve values per intent.
fn values(n: u64) -> FieldValues {
    let mut values = FieldValues::new();
    let mut set = |field: &str, part: Option<Part>, value: CellValue| {
        values.set(FieldTarget::new(field, part), value);
    };
    let text = |t: String| CellValue::Text(t);
    set(
        "address",
        Some(Part::AddressStreet1),
        text(format!("{n} Rue de la République")),
    );
    set("address", Some(Part::AddressCity), text("Lyon".into()));
    set("address", Some(Part::AddressPostcode), text("69002".into()));
    set("address", Some(Part::AddressCountry), text("France".into()));
    set(
        "linkedinLink",
        Some(Part::PrimaryLinkUrl),
        text(format!("https://www.linkedin.com/company/c{n}")),
    );
    set(
        "listingUrl",
        Some(Part::PrimaryLinkUrl),
        text(format!("https://directory.example.com/listing/{n}")),
    );
    set("category", None, text("AGENCY".into()));
    set(
        "tags",
        None,
        CellValue::List(vec!["AGENCY".into(), "FINTECH".into()]),
    );
    set(
        "employees",
        None,
        CellValue::Number(Decimal::parse(&(n % 500).to_string(), DecimalSeparator::Dot).unwrap()),
    );
    set("rating", None, text(format!("RATING_{}", n % 5 + 1)));
    set("foundedOn", None, text("2019-04-01".into()));
    set("verified", None, CellValue::Boolean(n.is_multiple_of(2)));
    values
}

/// A log shaped like real use: `records` records each recorded, pushed, edited once and pushed
/// again (four events per record), in appends of 250 records; with `other`, each intent carries
/// those values and each success the hash of each of the record's fields.
fn record_and_push_twice(store: &Store, records: u64, other: Option<fn(u64) -> FieldValues>) {
    for b in 0..records / 250 {
        let mut events = Vec::with_capacity(1_000);
        for round in 0..2u64 {
            for i in 0..250 {
                let n = b * 250 + i;
                let Event::IntentRecorded(mut recorded) = intent(n) else {
                    unreachable!()
                };
                let mut field_hashes = Default::default();
                if let Some(values_of) = other {
                    recorded.values = values_of(n + round);
                    field_hashes =
                        record_values(recorded.kind, &recorded.fields, &recorded.values).hashes();
                }
                let success = Event::PushSucceeded {
                    field_hashes,
                    intent_id: recorded.id,
                    key: recorded.key(),
                    twenty_id: format!("twenty-{}", recorded.external_id),
                    outcome: if round == 0 {
                        PushOutcome::Created
                    } else {
                        PushOutcome::Updated
                    },
                    fields_hash: [round as u8; 16],
                };
                events.push(Event::IntentRecorded(recorded));
                events.push(success);
            }
        }
        store.append(events).unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let meta = e.metadata().unwrap();
                    if meta.is_dir() {
                        dir_size(&e.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// One row of the table: a rebuild of `what` and its rate.
fn print_rebuild(what: &str, report: &RebuildReport) {
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "| rebuild-projections, {what} | {:.0} events/s ({seconds:.2} s) | ≥ 300,000 events/s |",
        report.events as f64 / seconds
    );
}

/// A store whose search index moves only when [`index_from_scratch`] asks.
fn open_without_indexer(dir: &std::path::Path, clock: Arc<SystemClock>) -> Store {
    let options = StoreOptions {
        background_indexer: false,
    };
    Store::open_with_options(dir, clock, options).unwrap().0
}

/// Indexes the whole log (the watermark set back by a rebuild, or a store written before the
/// index), batch after batch as the background indexer does; prints the rate.
fn index_from_scratch(store: &Store, what: &str) {
    let started = Instant::now();
    while !store
        .catch_up_search_index(CATCH_UP_BATCH)
        .unwrap()
        .caught_up()
    {}
    let elapsed = started.elapsed().as_secs_f64();
    let events = store.last_seq();
    println!(
        "| search index derived from the start of the log, {what} | {:.0} events/s ({elapsed:.2} s), in the background | report |",
        events as f64 / elapsed
    );
}

/// A typical log with every field of issue 15 (`STORE_BENCH_ONLY=generic` runs only this).
fn generic_field_log(large: u64, clock: &Arc<SystemClock>) {
    // The same shape with every field of issue 15: intents with twelve other values, successes
    // with the hash of each of the record's fields (what rebuild folds into the mappings).
    let dir_generic = tempfile::tempdir().unwrap();
    {
        let store = open_without_indexer(dir_generic.path(), clock.clone());
        let records = large / 4;
        record_and_push_twice(&store, records, Some(values));
        // `STORE_BENCH_REBUILDS=N` rebuilds N times (each one a row): on a busy machine the
        // fastest is the one to compare, and a profiler sees more of the fold.
        let rebuilds: usize = std::env::var("STORE_BENCH_REBUILDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let mut report = None;
        for _ in 0..rebuilds.max(1) {
            let done = store.rebuild_projections().unwrap();
            print_rebuild(
                &format!("generic-field log: {} events of {records} records (each recorded with 12 other fields, pushed with the hash of each field, edited, pushed)", done.events),
                &done,
            );
            report = Some(done);
        }
        let report = report.expect("rebuilt at least once");
        println!(
            "| bytes on disk per event, generic-field log | {:.0} B | report |",
            dir_size(dir_generic.path()) as f64 / report.events as f64
        );
    }
}

fn main() {
    let large: u64 = std::env::var("STORE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let clock = Arc::new(SystemClock);
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    if std::env::var("STORE_BENCH_ONLY").as_deref() == Ok("generic") {
        generic_field_log(large, &clock);
        return;
    }

    // Batches of 1,000, each one durable transaction.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), clock.clone()).unwrap();
    let batches = 50u64;
    let started = Instant::now();
    for b in 0..batches {
        store
            .append((0..1_000).map(|i| intent(b * 1_000 + i)).collect())
            .unwrap();
    }
    let rate = (batches * 1_000) as f64 / started.elapsed().as_secs_f64();
    println!("| durable append, batches of 1,000 | {rate:.0} intents/s | ≥ 50,000 intents/s |");

    // One at a time: each append flushed before the next.
    let mut latencies = Vec::new();
    for i in 0..2_000u64 {
        let event = intent(1_000_000 + i);
        let started = Instant::now();
        store.append(vec![event]).unwrap();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "| durable append, one at a time | p50 {:.2} ms, p99 {:.2} ms | report |",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    // The indexer gives way to appends; once they pause it catches up.
    let behind = store.search_index_progress();
    let started = Instant::now();
    while !store.search_index_progress().caught_up() {
        std::thread::sleep(Duration::from_millis(2));
    }
    println!(
        "| search indexer catching up after those appends ({} events behind) | {:.2} s, of which 0.05 s waiting for the appends to pause | report |",
        behind.lag(),
        started.elapsed().as_secs_f64()
    );
    drop(store);

    // A large store: bytes per intent, rebuild speed, open time.
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_without_indexer(dir.path(), clock.clone());
        for b in 0..large / 1_000 {
            store
                .append((0..1_000).map(|i| intent(b * 1_000 + i)).collect())
                .unwrap();
        }
        let report = store.rebuild_projections().unwrap();
        print_rebuild(
            &format!(
                "worst case: {} events, all of distinct records, none pushed",
                report.events
            ),
            &report,
        );
        index_from_scratch(&store, "worst case, none indexed yet");
        store.rebuild_projections().unwrap();
        index_from_scratch(&store, "worst case, after a rebuild (all indexed already)");
    }
    let bytes = dir_size(&dir.path().join("store"));
    println!(
        "| bytes on disk per intent ({large} intents, projections and search index included) | {:.0} B | report |",
        bytes as f64 / large as f64
    );
    // A log shaped like real use: every record recorded, pushed, edited once and pushed again
    // (four events per record, a quarter as many records as events).
    let dir_typical = tempfile::tempdir().unwrap();
    {
        let store = open_without_indexer(dir_typical.path(), clock.clone());
        let records = large / 4;
        record_and_push_twice(&store, records, None);
        let report = store.rebuild_projections().unwrap();
        print_rebuild(
            &format!("typical log: {} events of {records} records (each recorded, pushed, edited, pushed)", report.events),
            &report,
        );
        index_from_scratch(&store, "typical log, none indexed yet");
        store.rebuild_projections().unwrap();
        index_from_scratch(&store, "typical log, after a rebuild (all indexed already)");
    }

    generic_field_log(large, &clock);

    let mut opens = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let store = Store::open(dir.path(), clock.clone()).unwrap();
        opens.push(started.elapsed());
        assert_eq!(store.last_seq(), large);
        drop(store);
        std::thread::sleep(Duration::from_millis(200));
    }
    opens.sort();
    println!(
        "| open a store of {large} events | median {:.0} ms | < 1 s |",
        opens[1].as_secs_f64() * 1e3
    );
}
