//! Sync benchmark (`cargo bench --bench sync`): pushes 10,000 new companies and 10,000 people into
//! the fake Twenty at Twenty's default budget (100 requests/minute, time-scaled so the run takes
//! seconds), then re-sends them unchanged and edits 1,000; and runs the original integration's
//! per-record strategy (lookup + create per record) on the same kind of server for comparison.
//! Prints a Markdown table for BENCHMARKS.md. `SYNC_BENCH_RECORDS` sets the number of companies
//! (and people); `SYNC_BENCH_SCALE` the time scale (default 60: one real second = one minute).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig};
use twenty_sync::clock::SystemClock;
use twenty_sync::domain::{EntityKind, Event, Intent, IntentDraft, IntentFields, IntentSource};
use twenty_sync::engine::{ensure_schema, Pusher};
use twenty_sync::store::Store;
use twenty_sync::twenty::{wire, ClientConfig, RequestBudget, TwentyClient};

const BUDGET_PER_MINUTE: u32 = 100;

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn intents(records: usize, edit: &str) -> Vec<Event> {
    let mut events = Vec::new();
    for i in 0..records {
        let company = IntentDraft {
            values: Default::default(),
            external_id: Some(format!("c{i}")),
            fields: IntentFields {
                name: Some(format!("Company {i}{edit}")),
                website: Some(format!("company{i}.example.com")),
                ..IntentFields::default()
            },
        };
        let person = IntentDraft {
            values: Default::default(),
            external_id: Some(format!("p{i}")),
            fields: IntentFields {
                name: Some(format!("Person Number{i}{edit}")),
                email: Some(format!("person{i}@example.com")),
                company_external_id: Some(format!("c{i}")),
                ..IntentFields::default()
            },
        };
        for (kind, draft) in [(EntityKind::Company, company), (EntityKind::Person, person)] {
            let intent = draft
                .into_intent(kind, uuid::Uuid::now_v7(), IntentSource::Cli, 0)
                .unwrap();
            events.push(Event::IntentRecorded(intent));
        }
    }
    events
}

async fn server(profile: Profile, scale: f64) -> FakeTwenty {
    let mut config = FakeConfig::with_profile(profile);
    config.rate_limit = Some(
        RateLimitConfig::new(BUDGET_PER_MINUTE, Duration::from_secs(60)).with_time_scale(scale),
    );
    FakeTwenty::start(config).await
}

fn client(fake: &FakeTwenty, scale: f64) -> TwentyClient {
    let rate = (f64::from(BUDGET_PER_MINUTE) * scale) as u32;
    let budget = RequestBudget::new(rate, 5);
    TwentyClient::new(ClientConfig::new(fake.base_url(), fake.api_key()), budget).unwrap()
}

struct Run {
    requests: usize,
    records: usize,
    wall: Duration,
}

impl Run {
    fn row(&self, what: &str, scale: f64) {
        let per_record = self.requests as f64 / self.records.max(1) as f64;
        let real_minutes = self.requests as f64 / f64::from(BUDGET_PER_MINUTE);
        println!(
            "| {what} | {} | {} | {per_record:.4} | {:.1} s (scaled ×{scale}) | {real_minutes:.1} min |",
            self.records,
            self.requests,
            self.wall.as_secs_f64()
        );
    }
}

async fn drain(store: &Store, fake: &FakeTwenty, scale: f64, records: usize) -> Run {
    let mut pusher = Pusher::new(store.clone(), client(fake, scale), 60);
    fake.clear_requests();
    let started = Instant::now();
    loop {
        match pusher.push_round().await {
            Ok(outcome) if outcome.idle => break,
            Ok(_) => {}
            Err(error) if error.is_retryable() => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(store.counters().unwrap().pending, 0);
    if std::env::var("SYNC_BENCH_DEBUG").is_ok() {
        let mut by: std::collections::BTreeMap<String, usize> = Default::default();
        for r in fake.requests() {
            let n = r
                .query
                .as_deref()
                .map(|q| q.matches("%22%2C").count() + 1)
                .unwrap_or(0);
            let b = r
                .body
                .as_ref()
                .and_then(|b| b.as_array().map(|a| a.len()))
                .unwrap_or(0);
            *by.entry(format!(
                "{} {} {} q{n} b{b}",
                r.method,
                r.path.split('/').take(3).collect::<Vec<_>>().join("/"),
                r.status
            ))
            .or_default() += 1;
        }
        eprintln!("{by:?}");
    }
    Run {
        requests: fake.request_count(),
        records,
        wall: started.elapsed(),
    }
}

/// The original integration's strategy: per record, a lookup then a create or an update.
async fn per_record(fake: &FakeTwenty, scale: f64, records: usize) -> Run {
    let client = client(fake, scale);
    let companies: std::collections::HashMap<String, String> = Default::default();
    let mut companies = companies;
    fake.clear_requests();
    let started = Instant::now();
    for event in intents(records, "") {
        let Event::IntentRecorded(intent) = event else {
            continue;
        };
        let Intent {
            kind,
            external_id,
            fields,
            ..
        } = intent;
        let found = client
            .find_by_external_ids(kind, std::slice::from_ref(&external_id))
            .await
            .unwrap();
        let company_id = fields
            .company_external_id
            .as_ref()
            .and_then(|c| companies.get(c))
            .map(String::as_str);
        let body = match kind {
            EntityKind::Company => wire::company_body(&external_id, &fields),
            EntityKind::Person => wire::person_body(&external_id, &fields, company_id),
        };
        let id = match found.first() {
            Some(remote) => {
                client
                    .update(kind, &remote.id, &body, "k")
                    .await
                    .unwrap()
                    .id
            }
            None => {
                client
                    .create_batch(kind, &[body], "k", false)
                    .await
                    .unwrap()
                    .remove(0)
                    .id
            }
        };
        if kind == EntityKind::Company {
            companies.insert(external_id, id);
        }
    }
    Run {
        requests: fake.request_count(),
        records: records * 2,
        wall: started.elapsed(),
    }
}

#[tokio::main]
async fn main() {
    let records = env_number("SYNC_BENCH_RECORDS", 10_000.0) as usize;
    let scale = env_number("SYNC_BENCH_SCALE", 60.0);
    let baseline_records = (records / 10).max(50);
    println!(
        "| run | records | requests | requests per record | wall time | at 100 requests/min |"
    );
    println!("|---|---|---|---|---|---|");
    for profile in [Profile::Current, Profile::Legacy2025] {
        let fake = server(profile, scale).await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::new(SystemClock)).unwrap();
        ensure_schema(&store, &client(&fake, scale)).await.unwrap();
        store.append(intents(records, "")).unwrap();
        let name = match profile {
            Profile::Current => "newest Twenty",
            Profile::Legacy2025 => "Aug 2025 Twenty (no upsert)",
        };
        drain(&store, &fake, scale, records * 2)
            .await
            .row(&format!("{name}: new records"), scale);
        assert_eq!(fake.records("companies").len(), records);
        assert_eq!(fake.records("people").len(), records);
        store.append(intents(records, "")).unwrap();
        drain(&store, &fake, scale, records * 2)
            .await
            .row(&format!("{name}: same records again"), scale);
        let edited: Vec<Event> = intents(500, " (edited)");
        store.append(edited).unwrap();
        drain(&store, &fake, scale, 1_000)
            .await
            .row(&format!("{name}: 1,000 edited records"), scale);
    }
    let fake = server(Profile::Legacy2025, scale).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).unwrap();
    ensure_schema(&store, &client(&fake, scale)).await.unwrap();
    per_record(&fake, scale, baseline_records)
        .await
        .row("original strategy (lookup + create per record)", scale);
}
