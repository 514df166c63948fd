//! Search that finds, through the `records` and `events` operations of a running agent: an exact
//! id among 100,000 records on the first page and first, accents and case aside, more matches
//! through `next_after` each listed once, a sentence when nothing matches, and the Activity
//! filter by record that shows only that record's events.

use std::time::Duration;

use serde_json::{json, Value};
use twenty_sync::app::record_intents;
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};

use super::{server, Server};

impl Server {
    async fn rpc(&self, request: Value) -> Value {
        let (status, body) = self
            .send(reqwest::Method::POST, "/api/rpc", request.clone())
            .await;
        assert_eq!(status, 200, "{request}: {body}");
        serde_json::from_str(&body).expect("json")
    }

    async fn pause(&self) {
        let (status, body) = self
            .send(reqwest::Method::POST, "/api/pause", json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Records `names` as people `{prefix}-{i}` with an e-mail address each.
    fn record_people(&self, prefix: &str, names: &[&str]) {
        let drafts: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (
                    EntityKind::Person,
                    IntentDraft {
                        values: Default::default(),
                        external_id: Some(format!("{prefix}-{i}")),
                        fields: IntentFields {
                            name: Some(name.to_string()),
                            email: Some(format!("{prefix}{i}@example.com")),
                            ..IntentFields::default()
                        },
                    },
                )
            })
            .collect();
        record_intents(&self.store, &drafts, IntentSource::Cli).expect("recorded");
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["external_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exact_id_among_100000_records_comes_first() {
    let s = server().await;
    s.pause().await;
    for _ in 0..20 {
        // 100,000 companies k-0 … k-99999 in appends of 5,000 (k-5 among the oldest).
        let done = s.store.counters().expect("counters").intents as usize;
        let drafts: Vec<_> = (done..done + 5_000)
            .map(|i| {
                (
                    EntityKind::Company,
                    IntentDraft {
                        values: Default::default(),
                        external_id: Some(format!("k-{i}")),
                        fields: IntentFields {
                            name: Some(format!("Company {i}")),
                            ..IntentFields::default()
                        },
                    },
                )
            })
            .collect();
        record_intents(&s.store, &drafts, IntentSource::Cli).expect("recorded");
    }
    // The index follows the appends once they pause; until then a search says it is behind.
    crate::support::eventually(
        "the search index has caught up",
        Duration::from_secs(120),
        || s.store.search_index_progress().caught_up(),
    )
    .await;
    let page = s
        .rpc(json!({ "op": "records", "q": "K-5", "limit": 50 }))
        .await;
    assert_eq!(page["message"], Value::Null, "{page}");
    let first = &page["rows"][0];
    assert_eq!(first["external_id"], "k-5", "{page}");
    assert_eq!(first["matched"], "exact");
    assert_eq!(first["name"], "Company 5");
    assert_eq!(first["state"], "pending");
    let listed = ids(&page);
    assert_eq!(
        &listed[1..11],
        [
            "k-50", "k-500", "k-5000", "k-50000", "k-50001", "k-50002", "k-50003", "k-50004",
            "k-50005", "k-50006"
        ]
    );
    assert!(
        page["scanned"].as_u64().unwrap_or(u64::MAX) < 2_000,
        "a bounded read"
    );

    // More matches through the cursor, in order and each once (the store tests walk them all).
    let mut seen: Vec<String> = listed;
    let mut after = page["next_after"].as_str().map(str::to_string);
    for _ in 0..4 {
        let cursor = after.take().expect("more k-5… ids");
        let page = s
            .rpc(json!({ "op": "records", "q": "k-5", "limit": 200, "after": cursor }))
            .await;
        seen.extend(ids(&page));
        after = page["next_after"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 850);
    assert!(seen[1..].windows(2).all(|w| w[0] < w[1]), "in order, once");
    assert!(seen.iter().all(|id| id.starts_with("k-5")));

    // A cursor no search gave is refused, naming the field.
    let (status, body) = s
        .send(
            reqwest::Method::POST,
            "/api/rpc",
            json!({ "op": "records", "q": "k-5", "after": "garbage" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("search again"), "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_and_accents_aside_and_nothing_found_says_so() {
    let s = server().await;
    s.pause().await;
    s.record_people("z", &["Zoë Ödön", "Zoe Plain", "Björn Zoë-Maria"]);
    // Case and accents aside, by a later word, by e-mail; exact and prefix before other.
    let zoe = s.rpc(json!({ "op": "records", "q": "zoe" })).await;
    assert_eq!(ids(&zoe), ["z-0", "z-1", "z-2"], "{zoe}");
    assert_eq!(zoe["rows"][0]["name"], "Zoë Ödön");
    assert_eq!(zoe["rows"][2]["matched"], "other");
    let odon = s.rpc(json!({ "op": "records", "q": "ODON" })).await;
    assert_eq!(ids(&odon), ["z-0"]);
    let mail = s.rpc(json!({ "op": "records", "q": "z1@example" })).await;
    assert_eq!(ids(&mail), ["z-1"]);
    assert_eq!(zoe["message"], Value::Null);

    // Nothing found says so.
    let none = s.rpc(json!({ "op": "records", "q": "Nobody Here" })).await;
    assert_eq!(ids(&none), Vec::<String>::new());
    let message = none["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("No record matches 'Nobody Here'"),
        "{none}"
    );
    assert_eq!(none["next_after"], Value::Null);

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_filter_shows_one_record_exactly() {
    let s = server().await;
    s.pause().await;
    s.record(200, "p");
    let exact = s
        .rpc(json!({ "op": "events", "record": "P-16", "limit": 200 }))
        .await;
    assert_eq!(ids(&exact), ["p-16"], "{exact}");
    assert_eq!(exact["record_match"], "exact");
    let part = s
        .rpc(json!({ "op": "events", "record": "p-16", "record_match": "part", "limit": 200 }))
        .await;
    assert_eq!(part["record_match"], "part");
    let mut found = ids(&part);
    found.sort();
    assert_eq!(
        found,
        [
            "p-16", "p-160", "p-161", "p-162", "p-163", "p-164", "p-165", "p-166", "p-167",
            "p-168", "p-169"
        ]
    );
    // No record is exactly `p-1x`: the filter falls back to a part, and says so.
    let (status, body) = s.get("/api/events?record=p-19&limit=200").await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(page["record_match"], "exact");
    assert_eq!(ids(&page), ["p-19"]);
    let page = s
        .rpc(json!({ "op": "events", "record": "p-1x", "limit": 200 }))
        .await;
    assert_eq!(page["record_match"], "part");
    assert!(ids(&page).is_empty());
    s.stop().await;
}
