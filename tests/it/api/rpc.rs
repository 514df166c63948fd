//! `POST /api/rpc` answers what the REST routes answer; malformed requests get a JSON sentence.

use reqwest::header;
use serde_json::{json, Value};

use super::server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_and_the_rest_routes_answer_the_same() {
    let s = server().await;
    s.record(3, "same");
    // Compared once the agent has pushed them: two reads while it pushes may differ.
    let store = s.store.clone();
    crate::support::eventually(
        "the records are pushed",
        std::time::Duration::from_secs(30),
        || {
            store
                .counters()
                .is_ok_and(|c| c.pending == 0 && c.synced() == 3)
        },
    )
    .await;
    for (op, path) in [
        ("mappings", "/api/mappings"),
        ("records", "/api/records"),
        ("failed_records", "/api/records/failed"),
        ("imports", "/api/imports"),
        ("show_settings", "/api/settings"),
        ("check_drop_dir", "/api/settings/drop-dir"),
    ] {
        s.rest_and_rpc(path, op).await;
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
