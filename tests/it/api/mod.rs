//! The local web API of `twenty-sync run`, in-process against the fake Twenty: the token is
//! required, a foreign Host or Origin is refused, the API key never appears in any response,
//! pages walk a large log exactly once, the SSE stream delivers a change, uploads are bounded.

use std::sync::Arc;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty};
use reqwest::header;
use serde_json::{json, Value};
use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::agent::Agent;
use twenty_sync::app::{record_intents, Live};
use twenty_sync::clock::SystemClock;
use twenty_sync::config::{Secret, Settings, SyncMode};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::store::Store;

/// A key nobody could mistake for anything else.
const KEY: &str = "tsk-RECOGNISABLE-key-0123456789abcdef";

struct Server {
    port: u16,
    token: String,
    http: reqwest::Client,
    agent: Option<Agent>,
    store: Store,
    _fake: FakeTwenty,
    dir: tempfile::TempDir,
}

async fn server() -> Server {
    let fake = FakeTwenty::start(FakeConfig {
        api_key: Some(KEY.into()),
        with_external_id: true,
        ..FakeConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store");
    let settings = Settings {
        base_url: Some(fake.base_url()),
        api_key: Some(Secret::new(KEY)),
        sync_mode: SyncMode::DirectCrm,
        ..Settings::default()
    };
    let mut agent = Agent::start(store.clone(), settings);
    let bound = api::bind(
        Live::new(agent.handle()),
        ApiConfig {
            data_dir: dir.path().to_path_buf(),
            port: 0,
        },
    )
    .await
    .expect("binds");
    let (port, token) = (bound.port(), bound.token().to_string());
    agent.spawn(move |shutdown| bound.serve(shutdown));
    Server {
        port,
        token,
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client"),
        agent: Some(agent),
        store,
        _fake: fake,
        dir,
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, String) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }

    fn record(&self, count: usize, prefix: &str) {
        let drafts: Vec<_> = (0..count)
            .map(|i| {
                (
                    EntityKind::Company,
                    IntentDraft {
                        external_id: Some(format!("{prefix}-{i}")),
                        fields: IntentFields {
                            name: Some(format!("Company {i}")),
                            ..IntentFields::default()
                        },
                    },
                )
            })
            .collect();
        record_intents(&self.store, &drafts, IntentSource::Cli).expect("recorded");
    }

    async fn stop(mut self) {
        if let Some(agent) = self.agent.take() {
            agent.stop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_required() {
    let s = server().await;
    let bare = s
        .http
        .get(s.url("/api/status"))
        .send()
        .await
        .expect("answers");
    assert_eq!(bare.status(), 401);
    let wrong = s
        .http
        .get(s.url("/api/status"))
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), 401);
    assert_eq!(s.get("/api/status").await.0, 200);
    let cookie = s
        .http
        .get(s.url("/api/status"))
        .header(header::COOKIE, format!("twenty_sync_token={}", s.token))
        .send()
        .await
        .expect("answers");
    assert_eq!(cookie.status(), 200);
    // The page itself loads without the token, and keeps a valid one in a strict cookie.
    let page = s
        .http
        .get(s.url(&format!("/?token={}", s.token)))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200);
    let set_cookie = page
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    // agent.json tells the CLI where the agent is; only its owner may read it.
    let file = api::AgentFile::read(s.dir.path()).expect("agent.json");
    assert_eq!(
        (file.port, file.token.as_str()),
        (Some(s.port), s.token.as_str())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.dir.path().join("agent.json"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_is_refused() {
    let s = server().await;
    for host in [
        "evil.example",
        "evil.example:80",
        "127.0.0.1:1",
        "attacker.localhost",
    ] {
        let response = s
            .http
            .get(s.url("/api/status"))
            .bearer_auth(&s.token)
            .header(header::HOST, host)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 421, "Host {host}");
        let page = s
            .http
            .get(s.url("/"))
            .header(header::HOST, host)
            .send()
            .await
            .expect("answers");
        assert_eq!(page.status(), 421, "page with Host {host}");
    }
    let local = s
        .http
        .get(s.url("/api/status"))
        .bearer_auth(&s.token)
        .header(header::HOST, format!("localhost:{}", s.port))
        .send()
        .await
        .expect("answers");
    assert_eq!(local.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_cannot_change_anything() {
    let s = server().await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/sync-now"),
        (reqwest::Method::POST, "/api/pause"),
        (reqwest::Method::POST, "/api/records/retry-all"),
        (reqwest::Method::PUT, "/api/settings"),
        (reqwest::Method::POST, "/api/imports/upload?name=a.csv"),
    ] {
        for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
            let response = s
                .http
                .request(method.clone(), s.url(path))
                .bearer_auth(&s.token)
                .header(header::ORIGIN, origin)
                .json(&json!({}))
                .send()
                .await
                .expect("answers");
            assert_eq!(response.status(), 403, "{method} {path} from {origin}");
        }
    }
    assert!(!s.dir.path().join("inbox/a.csv").exists());
    assert!(s.store.counters().is_ok());
    let same = s
        .http
        .post(s.url("/api/sync-now"))
        .bearer_auth(&s.token)
        .header(header::ORIGIN, format!("http://127.0.0.1:{}", s.port))
        .send()
        .await
        .expect("answers");
    assert_eq!(same.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_never_in_any_response() {
    let s = server().await;
    s.record(3, "k");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut bodies = Vec::new();
    for path in [
        "/",
        "/index.html",
        "/app.js",
        "/transport.js",
        "/chart.js",
        "/app.css",
        "/api/status",
        "/api/live",
        "/api/chart",
        "/api/events?limit=200",
        "/api/events?category=intents,pushes,failures,imports,config",
        "/api/records",
        "/api/records?q=k-1",
        "/api/records/failed",
        "/api/mappings",
        "/api/imports",
        "/api/settings",
        "/api/nothing-here",
    ] {
        bodies.push((path.to_string(), s.get(path).await));
    }
    use reqwest::Method;
    for (method, path, body) in [
        (Method::POST, "/api/settings/test-connection", json!({})),
        (
            Method::POST,
            "/api/settings/test-connection",
            json!({ "api_key": "wrong-key-0123456789" }),
        ),
        (Method::POST, "/api/settings/create-field", json!({})),
        (
            Method::PUT,
            "/api/settings",
            json!({ "rate_limit": 0, "api_key": "x" }),
        ),
        (Method::PUT, "/api/settings", json!({ "batch_size": 30 })),
        (
            Method::POST,
            "/api/records/retry",
            json!({ "kind": "company", "external_id": "k-1" }),
        ),
        (Method::POST, "/api/records/retry-all", json!({})),
        (Method::POST, "/api/sync-now", json!({})),
        (Method::POST, "/api/pause", json!({})),
        (Method::POST, "/api/resume", json!({})),
    ] {
        bodies.push((format!("{method} {path}"), s.send(method, path, body).await));
    }
    // The stream's first update.
    let mut stream = s
        .http
        .get(s.url("/api/events/stream"))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("stream");
    let first = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
        .await
        .expect("an update in time")
        .expect("readable")
        .map(|b| String::from_utf8_lossy(&b).to_string())
        .unwrap_or_default();
    bodies.push(("stream".into(), (200, first)));
    let tail = &KEY[KEY.len() - 8..];
    for (what, (status, body)) in &bodies {
        assert!(
            !body.contains(KEY),
            "{what} ({status}) shows the API key: {body}"
        );
        assert!(
            !body.contains(tail),
            "{what} ({status}) shows the key's last 8 characters"
        );
    }
    let connection: Value = serde_json::from_str(
        &bodies
            .iter()
            .find(|(w, _)| w.ends_with("test-connection"))
            .expect("tested")
            .1
             .1,
    )
    .expect("json");
    assert_eq!(connection["ok"], json!(true), "{connection}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_walk_the_log_exactly_once() {
    let s = server().await;
    s.set_paused().await;
    s.record(250, "p");
    let mut seqs = Vec::new();
    let mut before: Option<u64> = None;
    for _ in 0..10 {
        let path = match before {
            Some(b) => format!("/api/events?limit=100&category=intents&before={b}"),
            None => "/api/events?limit=100&category=intents".to_string(),
        };
        let (status, body) = s.get(&path).await;
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).expect("json");
        seqs.extend(
            page["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r["seq"].as_u64().unwrap_or(0)),
        );
        match page["next_before"].as_u64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(seqs.len(), 250);
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let (status, body) = s.get("/api/events?category=bogus").await;
    assert_eq!(status, 400, "{body}");
    let records: Value =
        serde_json::from_str(&s.get("/api/records?q=company%2012&limit=50").await.1).expect("json");
    let ids: Vec<&str> = records["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["external_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 11, "Company 12 and 120..129: {ids:?}");
    assert!(ids.contains(&"p-12"));
    s.stop().await;
}

impl Server {
    async fn set_paused(&self) {
        let (status, _) = self
            .send(reqwest::Method::POST, "/api/pause", json!({}))
            .await;
        assert_eq!(status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_delivers_a_change() {
    let s = server().await;
    s.set_paused().await;
    let mut stream = s
        .http
        .get(s.url("/api/events/stream"))
        .header(header::COOKIE, format!("twenty_sync_token={}", s.token))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let newest = |buffer: &str| -> Vec<u64> {
        buffer
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .filter_map(|v| v["newest_seq"].as_u64())
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while newest(&buffer).is_empty() {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("first update in time");
        buffer.push_str(&String::from_utf8_lossy(
            &chunk.expect("readable").expect("open"),
        ));
    }
    let before = newest(&buffer)[0];
    s.record(1, "sse");
    while !newest(&buffer).iter().any(|seq| *seq > before) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the change in time");
        buffer.push_str(&String::from_utf8_lossy(
            &chunk.expect("readable").expect("open"),
        ));
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_get_safe_names_and_a_size_limit() {
    let s = server().await;
    let upload = |name: &str, body: Vec<u8>| {
        s.http
            .post(s.url(&format!("/api/imports/upload?name={name}")))
            .bearer_auth(&s.token)
            .body(body)
            .send()
    };
    let ok = upload(
        "..%2F..%2Fevil%20list.csv",
        b"type,external_id,name\n".to_vec(),
    )
    .await
    .expect("answers");
    assert_eq!(ok.status(), 200);
    let reply: Value = ok.json().await.expect("json");
    assert_eq!(reply["file_name"], json!("evil list.csv"));
    assert!(s.dir.path().join("inbox/evil list.csv").is_file());
    let again = upload("evil%20list.csv", b"x\n".to_vec())
        .await
        .expect("answers");
    let reply: Value = again.json().await.expect("json");
    assert_eq!(reply["file_name"], json!("evil list-2.csv"));
    let bad = upload("run.sh", b"x".to_vec()).await.expect("answers");
    assert_eq!(bad.status(), 400);
    let big = vec![b'a'; (twenty_sync::app::inbox::MAX_UPLOAD_BYTES + 1) as usize];
    let too_big = upload("big.csv", big).await.expect("answers");
    assert_eq!(too_big.status(), 413);
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path().join("inbox"))
        .expect("inbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp") || n.starts_with("big"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    s.stop().await;
}

/// Waits (bounded) until the imports history lists a report, and returns its relative path.
async fn first_report(s: &Server) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = s.get("/api/imports").await;
        assert_eq!(status, 200, "{body}");
        let json: Value = serde_json::from_str(&body).expect("json");
        let found = json["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|row| row["report"].as_str().map(str::to_string));
        if let Some(report) = found {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no report listed: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_endpoint_serves_only_reports_the_agent_wrote_never_through_a_link() {
    let s = server().await;
    let data = s.dir.path();
    std::fs::write(
        data.join("secrets.json"),
        format!("{{\"api_key\": \"{KEY}\"}}"),
    )
    .expect("write");
    let inbox = data.join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::write(
        inbox.join("people.csv.tmp"),
        "id,name,email\np1,Ada,ada@x.io\np2,Bob,nope\n",
    )
    .expect("write");
    std::fs::rename(inbox.join("people.csv.tmp"), inbox.join("people.csv")).expect("rename");
    let report = first_report(&s).await;
    assert_eq!(report, "processed/people.csv.errors.csv");
    let (status, body) = s.get(&format!("/api/imports/report?path={report}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("row,column,value,message"), "{body}");

    // Planted in the report folders: links to secrets and system files, a hard link, a file
    // the agent never wrote.
    let processed = inbox.join("processed");
    let failed = inbox.join("failed");
    std::os::unix::fs::symlink(data.join("secrets.json"), processed.join("x.errors.csv"))
        .expect("link");
    std::os::unix::fs::symlink("/etc/passwd", failed.join("passwd.errors.csv")).expect("link");
    std::fs::hard_link(data.join("secrets.json"), processed.join("hard.errors.csv"))
        .expect("hard link");
    std::fs::write(
        failed.join("planted.errors.csv"),
        "row,column,value,message\n,,,planted\n",
    )
    .expect("write");
    for path in [
        "processed/x.errors.csv",
        "failed/passwd.errors.csv",
        "processed/hard.errors.csv",
        "failed/planted.errors.csv",
        "processed/../../secrets.json",
        "processed/%2E%2E%2F%2E%2E%2Fsecrets.json",
        "inbox/people.csv.errors.csv",
    ] {
        let (status, body) = s.get(&format!("/api/imports/report?path={path}")).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            !body.contains(KEY) && !body.contains("root:"),
            "{path}: {body}"
        );
    }
    let (_, history) = s.get("/api/imports").await;
    assert!(
        !history.contains("planted") && !history.contains(KEY),
        "{history}"
    );
    assert!(!history.contains("passwd.errors.csv"), "{history}");

    // The real report swapped for a link to the secrets: not served either.
    let real = inbox.join(&report);
    std::fs::remove_file(&real).expect("remove");
    std::os::unix::fs::symlink(data.join("secrets.json"), &real).expect("link");
    let (status, body) = s.get(&format!("/api/imports/report?path={report}")).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains(KEY), "{body}");
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_never_write_through_a_link_and_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = server().await;
    let inbox = s.dir.path().join("inbox");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let target = outside.path().join("target.csv");
    std::fs::write(&target, "precious").expect("write");
    std::os::unix::fs::symlink(&target, inbox.join("companies.csv")).expect("link");
    std::os::unix::fs::symlink(outside.path().join("new.csv"), inbox.join("dangling.csv"))
        .expect("link");
    let upload = |name: &str| {
        s.http
            .post(s.url(&format!("/api/imports/upload?name={name}")))
            .bearer_auth(&s.token)
            .body(b"id,name\nc1,Acme\n".to_vec())
            .send()
    };
    for (name, saved) in [
        ("companies.csv", "companies-2.csv"),
        ("dangling.csv", "dangling-2.csv"),
    ] {
        let reply = upload(name).await.expect("answers");
        assert_eq!(reply.status(), 200);
        let reply: Value = reply.json().await.expect("json");
        assert_eq!(reply["file_name"], json!(saved));
    }
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
    assert!(!outside.path().join("new.csv").exists());
    assert!(inbox
        .join("companies.csv")
        .symlink_metadata()
        .expect("link")
        .file_type()
        .is_symlink());
    let copy = ["companies-2.csv", "processed/companies-2.csv"]
        .iter()
        .map(|p| inbox.join(p))
        .find(|p| p.exists())
        .expect("the copy");
    assert_eq!(
        copy.metadata().expect("stat").permissions().mode() & 0o777,
        0o600
    );
    let refused = upload("notes.txt").await.expect("answers");
    assert_eq!(refused.status(), 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_folder_is_checked_before_it_is_saved() {
    let s = server().await;
    let (status, body) = s.get("/api/settings/drop-dir?path=/etc").await;
    assert_eq!(status, 200, "{body}");
    let check: Value = serde_json::from_str(&body).expect("json");
    assert!(
        check["refused"]
            .as_str()
            .is_some_and(|m| m.contains("system folder")),
        "{check}"
    );
    let data = s.dir.path().display().to_string();
    let (_, body) = s.get(&format!("/api/settings/drop-dir?path={data}")).await;
    let check: Value = serde_json::from_str(&body).expect("json");
    assert!(
        check["refused"]
            .as_str()
            .is_some_and(|m| m.contains("data directory")),
        "{check}"
    );
    let folder = tempfile::tempdir().expect("tempdir");
    for name in ["a.pdf", "b.txt", "c", "people.csv"] {
        std::fs::write(folder.path().join(name), "x").expect("write");
    }
    let (_, body) = s
        .get(&format!(
            "/api/settings/drop-dir?path={}",
            folder.path().display()
        ))
        .await;
    let check: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(check["refused"], Value::Null, "{check}");
    assert_eq!(
        (check["imports"].as_u64(), check["left_alone"].as_u64()),
        (Some(1), Some(3))
    );
    let warnings = check["warnings"].to_string();
    assert!(
        warnings.contains("3 entries") && warnings.contains("left alone"),
        "{warnings}"
    );
    assert!(
        warnings.contains("1 import file") && warnings.contains("imported now"),
        "{warnings}"
    );

    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "drop_dir": "/" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let reply: Value = serde_json::from_str(&body).expect("json");
    assert!(
        reply["fields"]["drop_dir"]
            .as_str()
            .is_some_and(|m| m.contains("root of the file system")),
        "{reply}"
    );
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "drop_dir": data }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "ui_port": 80 }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("below 1024"), "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_and_the_rest_routes_answer_the_same() {
    let s = server().await;
    s.record(3, "same");
    for (op, path) in [
        ("mappings", "/api/mappings"),
        ("records", "/api/records"),
        ("failed_records", "/api/records/failed"),
        ("imports", "/api/imports"),
        ("show_settings", "/api/settings"),
        ("check_drop_dir", "/api/settings/drop-dir"),
    ] {
        let (status, rest) = s.get(path).await;
        assert_eq!(status, 200, "{path}: {rest}");
        let (status, rpc) = s
            .send(reqwest::Method::POST, "/api/rpc", json!({ "op": op }))
            .await;
        assert_eq!(status, 200, "{op}: {rpc}");
        let (rest, rpc): (Value, Value) = (
            serde_json::from_str(&rest).expect("json"),
            serde_json::from_str(&rpc).expect("json"),
        );
        assert_eq!(rest, rpc, "{op}");
    }
    let (status, page) = s
        .send(
            reqwest::Method::POST,
            "/api/rpc",
            json!({ "op": "events", "categories": ["intents"], "limit": 2 }),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let page: Value = serde_json::from_str(&page).expect("json");
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(2));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_json_sentence() {
    let s = server().await;
    let raw = |method: reqwest::Method, path: &str, body: &'static str| {
        s.http
            .request(method, s.url(path))
            .bearer_auth(&s.token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    for (method, path, body, expected) in [
        (
            reqwest::Method::PUT,
            "/api/settings",
            "{\"rate_limit\": ",
            400,
        ),
        (
            reqwest::Method::PUT,
            "/api/settings",
            "{\"nosuchkey\": 1}",
            400,
        ),
        (
            reqwest::Method::POST,
            "/api/rpc",
            "{\"op\": \"nosuch\"}",
            400,
        ),
        (reqwest::Method::POST, "/api/rpc", "not json", 400),
        (
            reqwest::Method::POST,
            "/api/records/retry",
            "{\"kind\": \"dog\", \"external_id\": \"x\"}",
            400,
        ),
        (reqwest::Method::GET, "/api/events?category=nope", "", 400),
        (reqwest::Method::GET, "/api/events?limit=many", "", 400),
    ] {
        let response = raw(method.clone(), path, body).await.expect("answers");
        assert_eq!(
            response.status().as_u16(),
            expected,
            "{method} {path} {body}"
        );
        let text = response.text().await.unwrap_or_default();
        let reply: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        let message = reply["error"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("the request is malformed"),
            "{path}: {message}"
        );
        assert!(!message.contains(" line "), "{path}: {message}");
        assert!(!message.contains("SettingsUpdate"), "{path}: {message}");
    }
    s.stop().await;
}
