//! End-to-end benchmark (`cargo bench --bench e2e`): drops a 10,000-company + 10,000-person CSV
//! export into the inbox of a real `twenty-sync run` against the fake Twenty at Twenty's default
//! budget (100 requests/minute, time-scaled: the fake's limiter and the agent's `rate_limit` are
//! both multiplied by `E2E_SCALE`, default 60), and measures requests, wall time until "in sync",
//! peak RSS and CPU time of the agent; then a re-drop of the same files and 1,000 edited rows.
//! The original integration's per-record strategy (lookup + create per record) runs on the same
//! server in the same run, on a subset, extrapolated per record. `E2E_RECORDS` sets the number of
//! companies (and people). Prints a Markdown table for BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::twenty::{wire, ClientConfig, RequestBudget, TwentyClient};

const BIN: &str = env!("CARGO_BIN_EXE_twenty-sync");
const BUDGET_PER_MINUTE: u32 = 100;

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn companies(n: usize, tag: &str) -> String {
    let mut text = String::from("external_id,name,website\n");
    for i in 0..n {
        text.push_str(&format!("c{i},Company {i}{tag},company{i}.example.com\n"));
    }
    text
}

fn people(n: usize, tag: &str) -> String {
    let mut text = String::from("external_id,name,email,company_external_id\n");
    for i in 0..n {
        text.push_str(&format!(
            "p{i},Person Number{i}{tag},person{i}@example.com,c{i}\n"
        ));
    }
    text
}

struct Phase {
    what: String,
    records: usize,
    requests: usize,
    record_requests: usize,
    wall: Duration,
    peak_rss_kb: u64,
    cpu: Duration,
}

fn proc_field(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// utime + stime of the process, from /proc/<pid>/stat.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(100);
    Duration::from_millis(ticks * 1000 / hz)
}

struct Agent {
    data: PathBuf,
    envs: Vec<(String, String)>,
}

impl Agent {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("TWENTY_SYNC_DATA_DIR")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        command
    }

    fn status(&self) -> Option<serde_json::Value> {
        let out = self.command(&["status", "--json"]).output().ok()?;
        serde_json::from_slice(&out.stdout).ok()
    }

    fn inbox(&self) -> PathBuf {
        self.data.join("inbox")
    }

    fn drop_file(&self, name: &str, text: &str) {
        std::fs::create_dir_all(self.inbox()).unwrap();
        let temp = self.inbox().join(format!("{name}.tmp"));
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, self.inbox().join(name)).unwrap();
    }

    fn inbox_empty(&self) -> bool {
        std::fs::read_dir(self.inbox())
            .map(|d| d.flatten().all(|e| e.path().is_dir()))
            .unwrap_or(true)
    }

    /// Starts `run`, waits until its API answers.
    fn start(&self) -> Child {
        let child = self
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it holds the store (`agent.json` names its pid): a `status` of ours
        // racing its start for the store lock would make it exit.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut child = child;
        loop {
            let file = twenty_sync::api::security::AgentFile::read(&self.data);
            if file.is_some_and(|f| f.pid == Some(child.id()) && f.port.is_some()) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the agent exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "the agent never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// Drops the files into a freshly started agent, waits for "in sync" (the inbox empty,
    /// nothing pending, `synced` at least `synced_at_least`), and measures.
    fn phase(
        &self,
        fake: &FakeTwenty,
        what: &str,
        files: &[(&str, String)],
        records: usize,
        synced_at_least: u64,
    ) -> Phase {
        let mut child = self.start();
        let pid = child.id();
        fake.clear_requests();
        let started = Instant::now();
        for (name, text) in files {
            self.drop_file(name, text);
        }
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if !self.inbox_empty() {
                continue;
            }
            let Some(status) = self.status() else {
                continue;
            };
            if status["pending"] == 0 && status["synced"].as_u64().unwrap_or(0) >= synced_at_least {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1_800),
                "never in sync: {status}"
            );
        }
        let wall = started.elapsed();
        let peak_rss_kb = proc_field(pid, "VmHWM:");
        let cpu = cpu_time(pid);
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        let _ = child.wait();
        let requests = fake.request_count();
        let record_requests = fake
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/rest/") && !r.path.starts_with("/rest/metadata"))
            .count();
        Phase {
            what: what.into(),
            records,
            requests,
            record_requests,
            wall,
            peak_rss_kb,
            cpu,
        }
    }
}

/// The original integration: per record, a lookup by externalId, then a create or an update.
async fn per_record(fake: &FakeTwenty, scale: f64, n: usize) -> (usize, Duration) {
    let rate = (f64::from(BUDGET_PER_MINUTE) * scale) as u32;
    let client = TwentyClient::new(
        ClientConfig::new(fake.base_url(), fake.api_key()),
        RequestBudget::new(rate, 5),
    )
    .unwrap();
    let mut company_ids = std::collections::HashMap::new();
    fake.clear_requests();
    let started = Instant::now();
    for i in 0..n {
        for kind in [EntityKind::Company, EntityKind::Person] {
            let (id, fields) = match kind {
                EntityKind::Company => (
                    format!("base-c{i}"),
                    IntentFields {
                        name: Some(format!("Baseline {i}")),
                        website: Some(format!("base{i}.example.com")),
                        ..IntentFields::default()
                    },
                ),
                EntityKind::Person => (
                    format!("base-p{i}"),
                    IntentFields {
                        name: Some(format!("Base Person{i}")),
                        email: Some(format!("base{i}@example.com")),
                        company_external_id: Some(format!("base-c{i}")),
                        ..IntentFields::default()
                    },
                ),
            };
            let draft = IntentDraft {
                values: Default::default(),
                external_id: Some(id),
                fields,
            };
            let intent = draft
                .into_intent(kind, uuid::Uuid::now_v7(), IntentSource::Cli, 0)
                .unwrap();
            let found = loop {
                match client
                    .find_by_external_ids(kind, std::slice::from_ref(&intent.external_id))
                    .await
                {
                    Ok(found) => break found,
                    Err(e) if e.is_retryable() => {
                        tokio::time::sleep(Duration::from_millis(50)).await
                    }
                    Err(e) => panic!("{e}"),
                }
            };
            let company = intent
                .fields
                .company_external_id
                .as_ref()
                .and_then(|c| company_ids.get(c))
                .map(String::as_str);
            let body = match kind {
                EntityKind::Company => wire::company_body(&intent.external_id, &intent.fields),
                EntityKind::Person => {
                    wire::person_body(&intent.external_id, &intent.fields, company)
                }
            };
            let twenty_id = loop {
                let result = match found.first() {
                    Some(remote) => client
                        .update(kind, &remote.id, &body, "k")
                        .await
                        .map(|r| r.id),
                    None => client
                        .create_batch(kind, std::slice::from_ref(&body), "k", false)
                        .await
                        .map(|mut r| r.remove(0).id),
                };
                match result {
                    Ok(id) => break id,
                    Err(e) if e.is_retryable() => {
                        tokio::time::sleep(Duration::from_millis(50)).await
                    }
                    Err(e) => panic!("{e}"),
                }
            };
            if kind == EntityKind::Company {
                company_ids.insert(intent.external_id.clone(), twenty_id);
            }
        }
    }
    (fake.request_count(), started.elapsed())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{cores} cores ({cpu}), {:.1} GiB RAM",
        ram_kb as f64 / 1_048_576.0
    )
}

fn data_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if let Ok(m) = std::fs::metadata(&p) {
            if m.is_dir() {
                if let Ok(d) = std::fs::read_dir(&p) {
                    stack.extend(d.flatten().map(|e| e.path()));
                }
            } else {
                total += m.len();
            }
        }
    }
    total
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let n = env_number("E2E_RECORDS", 10_000.0) as usize;
    let scale = env_number("E2E_SCALE", 60.0);
    let mut config = FakeConfig::with_profile(Profile::Current);
    config.rate_limit = Some(
        RateLimitConfig::new(BUDGET_PER_MINUTE, Duration::from_secs(60)).with_time_scale(scale),
    );
    let fake = FakeTwenty::start(config).await;
    let dir = tempfile::tempdir().unwrap();
    let agent = Agent {
        data: dir.path().join("data"),
        envs: vec![
            ("TWENTY_CRM_BASE_URL".into(), fake.base_url()),
            ("TWENTY_CRM_API_KEY".into(), fake.api_key()),
            (
                "TWENTY_SYNC_RATE_LIMIT".into(),
                ((f64::from(BUDGET_PER_MINUTE) * scale) as u32)
                    .min(10_000)
                    .to_string(),
            ),
            ("TWENTY_SYNC_STABILITY_DELAY_MS".into(), "200".into()),
            ("TWENTY_SYNC_UI_PORT".into(), "0".into()),
            ("TWENTY_SYNC_SECRET_STORE".into(), "file".into()),
        ],
    };
    let total = (2 * n) as u64;
    let (companies_csv, people_csv) = (companies(n, ""), people(n, ""));
    let edit = n.min(500);
    let (edited_c, edited_p) = (companies(edit, " (edited)"), people(edit, " (edited)"));
    let mut rows = Vec::new();
    rows.push(tokio::task::block_in_place(|| {
        agent.phase(
            &fake,
            &format!("{n} companies + {n} people, new"),
            &[
                ("companies.csv", companies_csv.clone()),
                ("people.csv", people_csv.clone()),
            ],
            2 * n,
            total,
        )
    }));
    assert_eq!(fake.records("companies").len(), n);
    assert_eq!(fake.records("people").len(), n);
    rows.push(tokio::task::block_in_place(|| {
        agent.phase(
            &fake,
            "the same files dropped again",
            &[("companies.csv", companies_csv), ("people.csv", people_csv)],
            2 * n,
            total,
        )
    }));
    rows.push(tokio::task::block_in_place(|| {
        agent.phase(
            &fake,
            &format!("{} edited rows", 2 * edit),
            &[
                ("companies-edited.csv", edited_c),
                ("people-edited.csv", edited_p),
            ],
            2 * edit,
            total,
        )
    }));
    let log_bytes = data_bytes(&agent.data.join("store"));
    let subset = (n / 20).max(50);
    let (base_requests, base_wall) = per_record(&fake, scale, subset).await;
    assert_eq!(fake.records("companies").len(), n + subset);

    println!("\nMachine: {}", machine());
    println!(
        "Budget: {BUDGET_PER_MINUTE} requests/min time-scaled ×{scale} (fake limiter and agent rate_limit); store after the run: {:.1} MB\n",
        log_bytes as f64 / 1e6
    );
    println!("| run | records | requests (record API) | requests per record | wall until in sync (scaled ×{scale}) | at 100 requests/min | peak RSS | CPU time |");
    println!("|---|---|---|---|---|---|---|---|");
    for p in &rows {
        println!(
            "| twenty-sync run: {} | {} | {} ({}) | {:.4} | {:.1} s | {:.1} min | {:.0} MB | {:.1} s |",
            p.what,
            p.records,
            p.requests,
            p.record_requests,
            p.record_requests as f64 / p.records.max(1) as f64,
            p.wall.as_secs_f64(),
            p.requests as f64 / f64::from(BUDGET_PER_MINUTE),
            p.peak_rss_kb as f64 / 1024.0,
            p.cpu.as_secs_f64(),
        );
    }
    let per = base_requests as f64 / (2 * subset) as f64;
    println!(
        "| original strategy (lookup + create per record), {} records measured | {} | {} | {per:.4} | {:.1} s | {:.1} min | – | – |",
        2 * subset,
        2 * subset,
        base_requests,
        base_wall.as_secs_f64(),
        base_requests as f64 / f64::from(BUDGET_PER_MINUTE),
    );
    println!(
        "| original strategy, extrapolated to {} records | {} | {:.0} | {per:.4} | {:.0} s | {:.0} min | – | – |",
        2 * n,
        2 * n,
        per * (2 * n) as f64,
        base_wall.as_secs_f64() * n as f64 / subset as f64,
        per * (2 * n) as f64 / f64::from(BUDGET_PER_MINUTE),
    );
}
