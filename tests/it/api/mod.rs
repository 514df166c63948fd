//! The local web API of `twenty-sync run`, in-process against the fake Twenty: the token is
//! required, a foreign Host or Origin is refused, the API key never appears in any response
//! (`security`); pages walk a large log exactly once, the SSE stream delivers a change
//! (`pages`); uploads are bounded and reports served only when the agent wrote them (`files`);
//! `POST /api/rpc` and the REST routes answer the same, malformed requests get a JSON sentence
//! (`rpc`); records search and the Activity filter by record find what they are asked (`search`);
//! the fields and mapping routes answer as their operations do (`fields`); About names the
//! version, the folders and the detected server (`about`).

mod about;
mod fields;
mod files;
mod pages;
mod rpc;
mod search;
mod security;

use std::sync::Arc;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::Value;
use twenty_sync::api::{self, ApiConfig};
use twenty_sync::app::agent::Agent;
use twenty_sync::app::{record_intents, Live};
use twenty_sync::clock::SystemClock;
use twenty_sync::config::{Secret, Settings, SyncMode};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::store::Store;

/// A key nobody could mistake for anything else.
pub(super) const KEY: &str = "tsk-RECOGNISABLE-key-0123456789abcdef";

pub(super) struct Server {
    port: u16,
    token: String,
    http: reqwest::Client,
    agent: Option<Agent>,
    store: Store,
    _fake: FakeTwenty,
    dir: tempfile::TempDir,
}

pub(super) async fn server() -> Server {
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

    /// `GET path` and `{"op": op}` through `/api/rpc`, which must answer the same. A pair of
    /// reads that straddles an append (the engine may still record what it learned of the server
    /// after its last push) is read again.
    async fn rest_and_rpc(&self, path: &str, op: &str) -> Value {
        let mut attempts = 0;
        loop {
            let head = self.store.last_seq();
            let (status, rest) = self.get(path).await;
            assert_eq!(status, 200, "{path}: {rest}");
            let (status, rpc) = self
                .send(
                    reqwest::Method::POST,
                    "/api/rpc",
                    serde_json::json!({ "op": op }),
                )
                .await;
            assert_eq!(status, 200, "{op}: {rpc}");
            let (rest, rpc): (Value, Value) = (
                serde_json::from_str(&rest).expect("json"),
                serde_json::from_str(&rpc).expect("json"),
            );
            attempts += 1;
            if self.store.last_seq() != head && attempts < 10 {
                continue;
            }
            assert_eq!(rest, rpc, "{op}");
            return rest;
        }
    }

    fn record(&self, count: usize, prefix: &str) {
        let drafts: Vec<_> = (0..count)
            .map(|i| {
                (
                    EntityKind::Company,
                    IntentDraft {
                        values: Default::default(),
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
