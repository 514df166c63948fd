//! Records search benchmark (`cargo bench --bench search`), issue 13's target: with 1,000,000
//! records in the store (half companies, half people, each pushed once so it has a Twenty id),
//! the p99 of a search through the local API (`GET /api/records?q=…&limit=50`): exact external
//! and Twenty ids, id prefixes, names with and without their accents, later words of names,
//! e-mail addresses, one-letter queries that match most records, and misses. Then the time to
//! rebuild the projections (what the first open after the format-2 migration spends). Prints a
//! Markdown table. `SEARCH_BENCH_RECORDS` sets the number of records (default 1,000,000).

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
use twenty_sync::store::Store;
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
        let intents: Vec<Intent> = (start..(start + chunk).min(records)).map(intent).collect();
        let pushes: Vec<Event> = intents
            .iter()
            .zip(start..)
            .map(|(intent, i)| Event::PushSucceeded {
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

fn main() {
    let records: u64 = std::env::var("SEARCH_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    {
        let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
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
    let mut all = Vec::new();
    let store = runtime.block_on(async {
        let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
        let mut agent = Agent::start(store.clone(), Settings::default());
        let server = api::bind(
            Live::new(agent.handle()),
            ApiConfig {
                data_dir: dir.path().to_path_buf(),
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
        for q in ["warm", "up", "c-1"] {
            let _ = get(q.to_string()).await;
        }
        for (name, texts) in queries(records) {
            let mut times = Vec::with_capacity(texts.len());
            let mut found = 0usize;
            for q in texts {
                let (elapsed, page) = get(q).await;
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
        store
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
    let report = store.rebuild_projections().expect("rebuild");
    rows.push((
        "rebuild-projections of this store (the first open after the migration)".into(),
        format!(
            "{:.1?} for {} events, {} entries corrected",
            report.elapsed, report.events, report.corrected
        ),
    ));
    rows.push((
        "filling the store (durable appends of 5,000)".into(),
        format!("{fill_time:.1?}"),
    ));

    println!("\n| Records search, {records} records | result |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
}
