//! The token, Host and Origin checks, and the API key never in any response.

use std::time::Duration;

use reqwest::header;
use serde_json::{json, Value};

use super::{server, KEY};
use twenty_sync::api;

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
    // Pushed first, so that the answers hold Twenty ids and server messages too.
    let store = s.store.clone();
    crate::support::eventually("the records are pushed", Duration::from_secs(30), || {
        store
            .counters()
            .is_ok_and(|c| c.pending == 0 && c.synced() == 3)
    })
    .await;
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
