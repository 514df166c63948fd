//! Shared helpers of the HTTP tests: a client without proxy and with a timeout, a started fake
//! with its client, and a query-value encoder.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty};
use reqwest::{Client, StatusCode};
use serde_json::Value;

pub(crate) fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub(crate) struct T {
    pub(crate) fake: FakeTwenty,
    pub(crate) http: Client,
}

impl T {
    pub(crate) async fn new(cfg: FakeConfig) -> T {
        T {
            fake: FakeTwenty::start(cfg).await,
            http: client(),
        }
    }

    pub(crate) fn url(&self, p: &str) -> String {
        format!("{}{}", self.fake.base_url(), p)
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        p: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .http
            .request(m, self.url(p))
            .bearer_auth(self.fake.api_key());
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn get(&self, p: &str) -> (StatusCode, Value) {
        self.send("GET", p, None).await
    }

    pub(crate) async fn post(&self, p: &str, b: Value) -> (StatusCode, Value) {
        self.send("POST", p, Some(b)).await
    }
}

pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
