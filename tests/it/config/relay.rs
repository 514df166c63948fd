//! Platform mode on loopback: agent A (platform) → relay B (direct_crm) → fake Twenty. Intents
//! arrive exactly once, A queues while B is down and drains when it is back, A's status shows
//! what B accepted; the endpoint's authentication, idempotence, validation and limits.

use std::net::SocketAddr;

use fake_twenty::{FakeConfig, FakeTwenty, Profile};
use serde_json::{json, Value};
use twenty_sync::app::agent::{Agent, AgentHandle};
use twenty_sync::app::report::SyncState;
use twenty_sync::config::{Secret, Settings, SyncMode};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::relay::RelayServer;

use super::support::*;

const TOKEN: &str = "relay-token-0123456789abcdef";

struct Relay {
    agent: Agent,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn serve(
    handle: &AgentHandle,
    addr: SocketAddr,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let server = RelayServer::bind(addr, handle.store().clone(), handle.settings_changes())
        .await
        .unwrap();
    let bound = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    (bound, stop)
}

async fn relay_b(fake: &FakeTwenty, dir: &std::path::Path) -> Relay {
    let agent = start_agent(
        dir,
        Settings {
            base_url: Some(fake.base_url()),
            api_key: Some(Secret::new(fake.api_key())),
            sync_mode: SyncMode::DirectCrm,
            relay_token: Some(Secret::new(TOKEN)),
            ..Settings::default()
        },
    );
    let (addr, stop) = serve(&agent.handle(), "127.0.0.1:0".parse().unwrap()).await;
    Relay {
        agent,
        addr,
        stop: Some(stop),
    }
}

fn agent_a(dir: &std::path::Path, relay: SocketAddr) -> Agent {
    start_agent(
        dir,
        Settings {
            sync_mode: SyncMode::Platform,
            platform_url: Some(format!("http://{relay}")),
            platform_token: Some(Secret::new(TOKEN)),
            ..Settings::default()
        },
    )
}

fn record_company(handle: &AgentHandle, id: &str) {
    handle
        .record(
            EntityKind::Company,
            IntentDraft {
                values: Default::default(),
                external_id: Some(id.into()),
                fields: IntentFields {
                    name: Some(format!("Company {id}")),
                    ..IntentFields::default()
                },
            },
            IntentSource::Cli,
        )
        .unwrap();
}

fn exactly_once(fake: &FakeTwenty, object: &str, ids: &[&str]) -> bool {
    let records = fake.records(object);
    ids.iter()
        .all(|id| records.iter().filter(|r| r["externalId"] == *id).count() == 1)
        && records.len() == ids.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agents_through_a_relay_deliver_exactly_once_and_survive_the_relay_going_down() {
    let fake = FakeTwenty::start(FakeConfig::with_profile(Profile::Current)).await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let mut b = relay_b(&fake, dir_b.path()).await;
    let a = agent_a(dir_a.path(), b.addr);
    let ha = a.handle();

    for id in ["c1", "c2", "c3"] {
        record_company(&ha, id);
    }
    ha.record(
        EntityKind::Person,
        IntentDraft {
            values: Default::default(),
            external_id: Some("p1".into()),
            fields: IntentFields {
                name: Some("Ada Lovelace".into()),
                email: Some("ada@example.com".into()),
                company_external_id: Some("c1".into()),
                ..IntentFields::default()
            },
        },
        IntentSource::Cli,
    )
    .unwrap();
    eventually("the three companies are in Twenty", || {
        exactly_once(&fake, "companies", &["c1", "c2", "c3"])
    })
    .await;
    eventually("the person is in Twenty", || {
        exactly_once(&fake, "people", &["p1"])
    })
    .await;
    eventually("A has nothing pending", || {
        ha.status().unwrap().pending == 0
    })
    .await;
    let forwarded = ha
        .status()
        .unwrap()
        .forwarded
        .expect("A shows what the relay accepted");
    assert_eq!(forwarded.accepted, 4);

    // B goes down: A queues, goes offline, loses nothing.
    if let Some(stop) = b.stop.take() {
        let _ = stop.send(());
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    record_company(&ha, "c4");
    record_company(&ha, "c5");
    eventually("A is offline", || {
        ha.status().unwrap().state == SyncState::Offline
    })
    .await;
    assert_eq!(ha.status().unwrap().pending, 2);
    assert_eq!(fake.records("companies").len(), 3);

    // B is back on the same port: A drains by itself (sync_now only shortens the backoff).
    let (_, stop) = serve(&b.agent.handle(), b.addr).await;
    b.stop = Some(stop);
    ha.sync_now();
    eventually("all five companies are in Twenty, once each", || {
        exactly_once(&fake, "companies", &["c1", "c2", "c3", "c4", "c5"])
    })
    .await;
    eventually("A has nothing pending", || {
        ha.status().unwrap().pending == 0
    })
    .await;
    let status = ha.status().unwrap();
    assert_eq!(status.forwarded.unwrap().accepted, 6);
    assert_eq!(
        b.agent.handle().store().counters().unwrap().intents,
        6,
        "B recorded every intent once"
    );
    a.stop().await;
    b.agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_authenticates_deduplicates_validates_and_limits() {
    let fake = FakeTwenty::start(FakeConfig::with_profile(Profile::Current)).await;
    let dir_b = tempfile::tempdir().unwrap();
    let b = relay_b(&fake, dir_b.path()).await;
    let url = format!("http://{}/api/v1/intents", b.addr);
    let http = reqwest::Client::new();
    let id = uuid::Uuid::now_v7();
    let body = json!({
        "origin": "test",
        "intents": [
            { "id": id, "kind": "company", "external_id": "c9", "fields": { "name": "Nine" } },
            { "id": uuid::Uuid::now_v7(), "kind": "person", "external_id": "p9", "fields": { "name": "No Email" } },
            { "id": uuid::Uuid::now_v7(), "kind": "robot", "external_id": "r9" }
        ]
    });

    let unauthorized = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
    let wrong = http
        .post(&url)
        .bearer_auth("relay-token-0123456789abcdeX")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        b.agent.handle().store().last_seq(),
        0,
        "nothing recorded without the token"
    );

    let answer: Value = http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<_> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["accepted", "rejected", "rejected"]);
    assert!(answer["results"][1]["errors"][0]["field"].is_string());
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(1), Some(2))
    );

    // The same intent again: acknowledged, not recorded twice.
    let again: Value = http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["results"][0]["status"], "already_accepted");
    let store = b.agent.handle().store().clone();
    assert_eq!(store.counters().unwrap().intents, 1);
    assert!(store.relayed_seq(&id).unwrap().is_some());
    let recorded = store
        .intent_at(store.relayed_seq(&id).unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(recorded.id, id, "the relay keeps the sender's intent id");
    assert_eq!(
        recorded.source,
        IntentSource::Relay {
            origin: "test".into()
        }
    );

    // Malformed and oversized bodies.
    let malformed = http
        .post(&url)
        .bearer_auth(TOKEN)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let huge = "x".repeat(3 * 1024 * 1024);
    let too_large = http.post(&url).bearer_auth(TOKEN).body(huge).send().await;
    if let Ok(response) = too_large {
        assert_eq!(response.status().as_u16(), 413);
    }
    let many: Vec<Value> = (0..501)
        .map(|i| json!({ "id": uuid::Uuid::now_v7(), "kind": "company", "external_id": format!("m{i}"), "fields": { "name": "M" } }))
        .collect();
    let too_many = http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({ "intents": many }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status().as_u16(), 413);
    assert_eq!(store.counters().unwrap().intents, 1);
    b.agent.stop().await;
}
