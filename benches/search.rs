//! Records search benchmark (`cargo bench --bench search`), issue 13's target: with 1,000,000
//! records in the store (half companies, half people, each pushed once so it has a Twenty id),
//! the p99 of a search through the local API (`GET /api/records?q=…&limit=50`): exact external
//! and Twenty ids, id prefixes, names with and without their accents, later words of names,
//! e-mail addresses, one-letter queries that match most records, and misses: once the index has
//! caught up, and again with a tail of `MAX_TAIL_EVENTS` events after its watermark (the most a
//! search folds on top of the index, which later searches keep). Also the time the indexer takes
//! to build the index of the whole store (a store written before the index, or after a rebuild)
//! and the rebuild's own time. Prints a Markdown table. `SEARCH_BENCH_RECORDS` sets the number
//! of records (default 1,000,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::agent::Agent;
use twenty_sync::app::Live;
use twenty_sync::clock::SystemClock;
use twenty_sync::config::Settings;
use twenty_sync::domain::{
    EntityKind, Event, Intent, IntentFields, IntentSource, PushOutcome, RecordKey,
};
use twenty_sync::store::{Store, StoreOptions, MAX_TAIL_EVENTS};
use uuid::Uuid;

const FIRST: [&str; 12] = [
    "Zoë", "Ada", "Grace", "Jean-Luc", "Søren", "Björn", "Amélie", "Chloé", "Noël", "Hélène",
    "Mateo", "Ingrid",
];
const LAST: [&str; 10] = [
    "Lovelace",
    "Hopper",
    "Müller",
    "Ødegaard",
    "Dubois",
    "García",
    "Nakamura",
    "O'Brien",
    "Lefèvre",
    "Kowalski",
];
const COMPANY: [&str; 8] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Société Générale",
];
const TRADE: [&str; 6] = [
    "Widgets",
    "Logistics",
    "Holdings",
    "Café & Bar",
    "Systems",
    "Énergie",
];

fn external_id(i: u64) -> String {
    if i.is_multiple_of(2) {
        format!("c-{i}")
    } else {
        format!("p-{i}")
    }
}

fn twenty_id(i: u64) -> String {
    format!(
        "{:08x}-5f0c-4d2e-9a1b-{i:012x}",
        i.wrapping_mul(2_654_435_761) as u32
    )
}

fn intent(i: u64) -> Intent {
    let person = i % 2 == 1;
    let fields = if person {
        let (first, last) = (FIRST[(i / 2) as usize % 12], LAST[(i / 24) as usize % 10]);
        IntentFields {
            name: Some(format!("{first} {last}")),
            email: Some(format!("person{i}@example.com")),
            ..IntentFields::default()
        }
    } else {
        let (name, trade) = (COMPANY[(i / 2) as usize % 8], TRADE[(i / 16) as usize % 6]);
        IntentFields {
            name: Some(format!("{name} {trade} {i}")),
            ..IntentFields::default()
        }
    };
    Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind: if person {
            EntityKind::Person
        } else {
            EntityKind::Company
        },
        external_id: external_id(i),
        fields,
        source: IntentSource::Import {
            file: "directory.csv".into(),
            row: i,
        },
        requested_at_ms: 1_764_000_000_000,
    }
}

/// `records` intents, each followed by its push, in appends of 5,000.
fn fill(store: &Store, records: u64) {
    let chunk = 5_000u64;
    for start in (0..records).step_by(chunk as usize) {
        record_and_push(store, start..(start + chunk).min(records));
    }
}

/// Records `numbers`' intents in one append, then their pushes in another.
fn record_and_push(store: &Store, numbers: std::ops::Range<u64>) {
    let start = numbers.start;
    let intents: Vec<Intent> = numbers.map(intent).collect();
    let pushes: Vec<Event> = intents
        .iter()
        .zip(start..)
        .map(|(intent, i)| Event::PushSucceeded {
            field_hashes: Default::default(),
            intent_id: intent.id,
            key: RecordKey::new(intent.kind, intent.external_id.clone()),
            twenty_id: twenty_id(i),
            outcome: PushOutcome::Created,
            fields_hash: [7; 16],
        })
        .collect();
    store
        .append(intents.into_iter().map(Event::IntentRecorded).collect())
        .expect("append intents");
    store.append(pushes).expect("append pushes");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Deterministic spread of record numbers over the store.
fn pick(n: u64, records: u64) -> u64 {
    n.wrapping_mul(7_919).wrapping_mul(131) % records
}

fn queries(records: u64) -> Vec<(&'static str, Vec<String>)> {
    let n = 200u64;
    vec![
        (
            "exact external id",
            (0..n).map(|k| external_id(pick(k, records))).collect(),
        ),
        (
            "exact Twenty id",
            (0..n).map(|k| twenty_id(pick(k, records))).collect(),
        ),
        (
            "external id prefix (`c-12`, …)",
            (0..n)
                .map(|k| external_id(pick(k, records) / 1_000 * 2))
                .collect(),
        ),
        (
            "name without its accents (`zoe`, `amelie lefevre`, …)",
            (0..n)
                .map(|k| {
                    let (first, last) = (FIRST[k as usize % 12], LAST[k as usize % 10]);
                    if k.is_multiple_of(2) {
                        first.to_lowercase()
                    } else {
                        format!("{first} {last}")
                    }
                    // `ø` is a letter of its own, not an `o` with a mark: it stays.
                    .replace(['ë', 'é', 'è'], "e")
                    .replace('ö', "o")
                    .replace('ü', "u")
                })
                .collect(),
        ),
        (
            "later word of a name (`lovelace`, `logistics`, …)",
            (0..n)
                .map(|k| {
                    if k.is_multiple_of(2) {
                        LAST[k as usize % 10].to_string()
                    } else {
                        TRADE[k as usize % 6].to_string()
                    }
                })
                .collect(),
        ),
        (
            "e-mail address",
            (0..n)
                .map(|k| format!("person{}@example.com", pick(k, records) | 1))
                .collect(),
        ),
        (
            "one letter (`a`, `s`, …: most records match)",
            (0..n)
                .map(|k| ["a", "s", "c", "p", "g", "h", "z", "1"][k as usize % 8].to_string())
                .collect(),
        ),
        (
            "miss (`nobody-…`)",
            (0..n).map(|k| format!("nobody-{k}")).collect(),
        ),
    ]
}

fn open_without_indexer(dir: &std::path::Path) -> Store {
    let options = StoreOptions {
        background_indexer: false,
    };
    Store::open_with_options(dir, Arc::new(SystemClock), options)
        .expect("store")
        .0
}

/// Runs every kind of query through the local API of an agent on `store`: a row per kind, and
/// every call's time.
fn measure(
    runtime: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    store: &Store,
    records: u64,
) -> (Vec<(String, String)>, Vec<Duration>) {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut all = Vec::new();
    runtime.block_on(async {
        let mut agent = Agent::start(store.clone(), Settings::default());
        let server = api::bind(
            Live::new(agent.handle()),
            ApiConfig {
                data_dir: dir.to_path_buf(),
                port: 0,
            },
        )
        .await
        .expect("binds");
        let base = format!("http://127.0.0.1:{}", server.port());
        let token = server.token().to_string();
        agent.spawn(move |shutdown| server.serve(shutdown));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let get = |q: String| {
            let mut url = url::Url::parse(&format!("{base}/api/records")).expect("url");
            url.query_pairs_mut()
                .append_pair("q", &q)
                .append_pair("limit", "50");
            let request = client.get(url).bearer_auth(&token);
            async move {
                let started = Instant::now();
                let response = request.send().await.expect("answers");
                assert!(response.status().is_success(), "{q}: {}", response.status());
                let page: serde_json::Value = response.json().await.expect("json");
                (started.elapsed(), page)
            }
        };
        // The first search folds the tail (if any) and keeps it for the next ones.
        let (first, _) = get("warm".to_string()).await;
        rows.push((
            "first search (folds the events after the index's watermark, if any)".into(),
            format!("{first:.2?}"),
        ));
        for q in ["up", "c-1"] {
            let _ = get(q.to_string()).await;
        }
        for (name, texts) in queries(records) {
            let mut times = Vec::with_capacity(texts.len());
            let mut found = 0usize;
            for q in texts {
                let (elapsed, page) = get(q).await;
                assert!(
                    !page["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("Search is still indexing")),
                    "{page}"
                );
                found += page["rows"].as_array().map_or(0, Vec::len);
                times.push(elapsed);
            }
            let calls = times.len();
            times.sort();
            all.extend(times.iter().copied());
            rows.push((
                format!("{name} ({calls} calls)"),
                format!(
                    "p50 {:.2?}, p99 {:.2?}, max {:.2?}; {:.1} rows per page",
                    percentile(&times, 0.5),
                    percentile(&times, 0.99),
                    times[calls - 1],
                    found as f64 / calls as f64
                ),
            ));
        }
        agent.stop().await;
    });
    all.sort();
    rows.push((
        format!("every search above ({} calls)", all.len()),
        format!(
            "p50 {:.2?}, **p99 {:.2?}** (target < 50 ms)",
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        ),
    ));
    (rows, all)
}

fn print_table(title: &str, rows: &[(String, String)]) {
    println!("\n| {title} | result |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
}

fn main() {
    let records: u64 = std::env::var("SEARCH_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    {
        // Filled as a store written before the index: the index is built below.
        let store = open_without_indexer(dir.path());
        fill(&store, records);
    }
    let fill_time = started.elapsed();
    println!(
        "filled {records} records ({} events) in {fill_time:.1?}",
        records * 2
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows: Vec<(String, String)> = Vec::new();

    // The background indexer builds the whole index once the store opens.
    let started = Instant::now();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
    while !store.search_index_progress().caught_up() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let build_time = started.elapsed();
    let (caught_up, _) = measure(&runtime, dir.path(), &store, records);
    print_table(
        &format!("Records search, {records} records, index caught up"),
        &caught_up,
    );
    drop(store);

    // A tail of MAX_TAIL_EVENTS events after the watermark: new records and their pushes.
    let store = open_without_indexer(dir.path());
    let tail_records = MAX_TAIL_EVENTS / 2;
    record_and_push(&store, records..records + tail_records);
    assert_eq!(store.search_index_progress().lag(), MAX_TAIL_EVENTS);
    let (with_tail, _) = measure(&runtime, dir.path(), &store, records);
    print_table(
        &format!("Records search, {records} records, {MAX_TAIL_EVENTS} events after the index's watermark"),
        &with_tail,
    );

    let report = store.rebuild_projections().expect("rebuild");
    rows.push((
        "search index built by the background indexer from the start of the log".into(),
        format!("{build_time:.1?} for {} events", records * 2),
    ));
    rows.push((
        "rebuild-projections of this store (the index is then built again behind it, as above)"
            .into(),
        format!(
            "{:.1?} for {} events, {} entries corrected",
            report.elapsed, report.events, report.corrected
        ),
    ));
    rows.push((
        "filling the store (durable appends of 5,000, no index)".into(),
        format!("{fill_time:.1?}"),
    ));
    print_table(&format!("Search index, {records} records"), &rows);
}
