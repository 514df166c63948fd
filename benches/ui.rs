//! Web UI / local API benchmarks (`cargo bench --bench ui`), issue 6's performance targets: with
//! 1,000,000 events in the log, the p99 of `GET /api/status` and of an Activity page
//! (`GET /api/events`, newest page, deep pages, a filtered page), the records search; then the
//! idle RSS and CPU of the real `twenty-sync run` on that store. Prints a Markdown table.
//! `UI_BENCH_EVENTS` sets the log's size (default 1,000,000; half intents, half pushes).

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

fn fill(store: &Store, events: u64) {
    let chunk = 5_000u64;
    let mut n = 0u64;
    while n * 2 < events {
        let intents: Vec<Intent> = (n..(n + chunk).min(events / 2))
            .map(|i| Intent {
                values: Default::default(),
                id: Uuid::now_v7(),
                kind: EntityKind::Company,
                external_id: format!("ext-{i:08}"),
                fields: IntentFields {
                    name: Some(format!("Company number {i}")),
                    website: Some(format!("https://company{i}.example.com")),
                    ..IntentFields::default()
                },
                source: IntentSource::Import {
                    file: "directory.csv".into(),
                    row: i,
                },
                requested_at_ms: 1_764_000_000_000,
            })
            .collect();
        let pushes: Vec<Event> = intents
            .iter()
            .map(|intent| Event::PushSucceeded {
                field_hashes: Default::default(),
                intent_id: intent.id,
                key: RecordKey::new(intent.kind, intent.external_id.clone()),
                twenty_id: Uuid::now_v7().to_string(),
                outcome: PushOutcome::Created,
                fields_hash: [7; 16],
            })
            .collect();
        n += intents.len() as u64;
        store
            .append(intents.into_iter().map(Event::IntentRecorded).collect())
            .expect("append intents");
        store.append(pushes).expect("append pushes");
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn timed(client: &reqwest::Client, token: &str, urls: &[String]) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(urls.len());
    for url in urls {
        let started = Instant::now();
        let response = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("answers");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        let _ = response.bytes().await.expect("body");
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn proc_stat(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    (rss_kb, ticks)
}

fn main() {
    let events: u64 = std::env::var("UI_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    {
        let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
        fill(&store, events);
        // Measured as in steady use: the search index has caught up with the log.
        while !store.search_index_progress().caught_up() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    println!("filled {events} events in {:.1?}", started.elapsed());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows: Vec<(String, String)> = Vec::new();
    runtime.block_on(async {
        let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
        let last = store.last_seq();
        let mut agent = Agent::start(store, Settings::default());
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
        let urls = |path: &str, n: usize| vec![format!("{base}{path}"); n];
        let _ = timed(&client, &token, &urls("/api/status", 50)).await; // warm up
        let mut measure = |name: &str, (p50, p99): (Duration, Duration)| {
            rows.push((name.to_string(), format!("p50 {p50:.2?}, p99 {p99:.2?}")));
        };
        measure(
            "GET /api/status (1,000 calls)",
            timed(&client, &token, &urls("/api/status", 1_000)).await,
        );
        measure(
            "GET /api/live: status + chart (200 calls)",
            timed(&client, &token, &urls("/api/live", 200)).await,
        );
        measure(
            "Activity, newest page of 50 (1,000 calls)",
            timed(&client, &token, &urls("/api/events?limit=50", 1_000)).await,
        );
        let deep: Vec<String> = (0..1_000u64)
            .map(|i| {
                format!(
                    "{base}/api/events?limit=50&before={}",
                    1 + (i * 7_919 * 131) % last.max(1)
                )
            })
            .collect();
        measure(
            "Activity, page of 50 at random depths (1,000 calls)",
            timed(&client, &token, &deep).await,
        );
        measure(
            "Activity, filtered page (pushes, 200 calls)",
            timed(
                &client,
                &token,
                &urls("/api/events?limit=50&category=pushes", 200),
            )
            .await,
        );
        measure(
            "Records, newest 50 (200 calls)",
            timed(&client, &token, &urls("/api/records?limit=50", 200)).await,
        );
        measure(
            "Records search by id prefix, miss in recent log (50 calls)",
            timed(
                &client,
                &token,
                &urls("/api/records?q=ext-0000012&limit=50", 50),
            )
            .await,
        );
        agent.stop().await;
    });

    // The real binary, idle on this store.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twenty-sync"))
        .arg("run")
        .env("TWENTY_SYNC_DATA_DIR", dir.path())
        .env("TWENTY_SYNC_UI_PORT", "0")
        .env("TWENTY_SYNC_SECRET_STORE", "file")
        .env_remove("TWENTY_CRM_BASE_URL")
        .env_remove("TWENTY_CRM_API_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("twenty-sync run starts");
    std::thread::sleep(Duration::from_secs(5));
    let (_, ticks_before) = proc_stat(child.id());
    let window = Duration::from_secs(20);
    std::thread::sleep(window);
    let (rss_kb, ticks_after) = proc_stat(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let cpu = (ticks_after - ticks_before) as f64 / 100.0 / window.as_secs_f64() * 100.0;
    rows.push((
        "`twenty-sync run` idle RSS".into(),
        format!("{:.1} MB", rss_kb as f64 / 1024.0),
    ));
    rows.push((
        format!("`twenty-sync run` idle CPU over {} s", window.as_secs()),
        format!("{cpu:.2} %"),
    ));

    println!("\n| UI / API, {events} events in the log | result |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
}
