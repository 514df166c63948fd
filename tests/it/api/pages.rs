//! Pages that walk a large log exactly once, and the SSE stream delivering a change.

use std::time::Duration;

use reqwest::header;
use serde_json::{json, Value};

use super::{server, Server};

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
