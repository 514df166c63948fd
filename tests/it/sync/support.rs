//! Shared test harness: a fake Twenty, a real store in a temp dir, and a pusher with fast retries.

use std::sync::Arc;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile};
use serde_json::Value;
use twenty_sync::app::record_intents;
use twenty_sync::clock::SystemClock;
use twenty_sync::config::{MatchExisting, Settings};
use twenty_sync::domain::{
    Counters, EntityKind, IntentDraft, IntentFields, IntentSource, RecordKey,
};
use twenty_sync::engine::{ensure_schema, forget_schema, EngineError, Pusher};
use twenty_sync::store::Store;
use twenty_sync::twenty::{ClientConfig, RequestBudget, RetryPolicy, TwentyClient};

pub struct Harness {
    pub fake: FakeTwenty,
    pub store: Store,
    _dir: tempfile::TempDir,
}

pub async fn harness(profile: Profile) -> Harness {
    harness_with(FakeConfig::with_profile(profile)).await
}

pub async fn harness_with(config: FakeConfig) -> Harness {
    let fake = FakeTwenty::start(config).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock)).unwrap();
    Harness {
        fake,
        store,
        _dir: dir,
    }
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

impl Harness {
    pub fn client(&self) -> TwentyClient {
        let mut config = ClientConfig::new(self.fake.base_url(), self.fake.api_key());
        config.retry = fast_retries();
        config.timeout = Duration::from_secs(2);
        TwentyClient::new(config, RequestBudget::new(100_000, 1_000)).unwrap()
    }

    /// A pusher as the default settings make it (batch size `auto`, adopting by e-mail and
    /// domain).
    pub fn pusher(&self) -> Pusher {
        Pusher::for_settings(self.store.clone(), self.client(), &Settings::default())
    }

    /// A pusher that never adopts (`match_existing = external_id`): a record holding our e-mail
    /// or domain is a conflict.
    pub fn pusher_never_adopting(&self) -> Pusher {
        self.pusher().matching(MatchExisting::ExternalId)
    }

    /// [`Harness::sync`] with a pusher that never adopts.
    pub async fn sync_never_adopting(&self) -> Result<usize, EngineError> {
        self.sync_with(&mut self.pusher_never_adopting()).await
    }

    /// Pushes until idle with a fresh pusher (as after a restart). Returns the records settled.
    pub async fn sync(&self) -> Result<usize, EngineError> {
        self.sync_with(&mut self.pusher()).await
    }

    /// Checks the schema (from what the store remembers, else from Twenty) and pushes until
    /// idle; a field lost mid-run is forgotten and checked again, as the runner does.
    pub async fn sync_with(&self, pusher: &mut Pusher) -> Result<usize, EngineError> {
        ensure_schema(&self.store, pusher.client()).await?;
        match self.drain(pusher).await {
            Err(EngineError::SchemaLost(_)) => {
                forget_schema(&self.store, pusher.client().base_url())?;
                ensure_schema(&self.store, pusher.client()).await?;
                self.drain(pusher).await
            }
            other => other,
        }
    }

    /// Pushes until idle, without the start-up schema check.
    pub async fn drain(&self, pusher: &mut Pusher) -> Result<usize, EngineError> {
        let mut settled = 0;
        for _ in 0..1_000 {
            let outcome = pusher.push_round().await?;
            settled += outcome.settled;
            if outcome.idle {
                return Ok(settled);
            }
        }
        panic!("the engine did not become idle");
    }

    pub fn company(&self, id: &str, name: &str, website: Option<&str>) {
        self.record(
            EntityKind::Company,
            id,
            IntentFields {
                name: Some(name.into()),
                website: website.map(Into::into),
                ..IntentFields::default()
            },
        );
    }

    pub fn person(&self, id: &str, name: &str, email: &str, company: Option<(&str, Option<&str>)>) {
        self.record(
            EntityKind::Person,
            id,
            IntentFields {
                name: Some(name.into()),
                email: Some(email.into()),
                company_external_id: company.map(|(c, _)| c.to_string()),
                company_name: company.and_then(|(_, n)| n.map(str::to_string)),
                ..IntentFields::default()
            },
        );
    }

    pub fn record(&self, kind: EntityKind, id: &str, fields: IntentFields) {
        let draft = IntentDraft {
            values: Default::default(),
            external_id: Some(id.into()),
            fields,
        };
        record_intents(&self.store, &[(kind, draft)], IntentSource::Cli).unwrap();
    }

    pub fn counters(&self) -> Counters {
        self.store.counters().unwrap()
    }

    /// Every live record in Twenty with this external id.
    pub fn in_twenty(&self, object: &str, external_id: &str) -> Vec<Value> {
        self.fake
            .records(object)
            .into_iter()
            .filter(|r| r["externalId"] == external_id)
            .collect()
    }

    pub fn twenty_id(&self, kind: EntityKind, external_id: &str) -> Option<String> {
        self.store
            .mapping(&RecordKey::new(kind, external_id))
            .unwrap()
            .map(|m| m.twenty_id)
    }

    /// Requests to Twenty's record API (metadata set-up excluded).
    pub fn record_requests(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/rest/") && !r.path.starts_with("/rest/metadata"))
            .count()
    }
}

/// Asserts Twenty holds exactly one live record per external id for the object.
pub fn assert_no_duplicates(fake: &FakeTwenty, object: &str) {
    let mut seen = std::collections::HashMap::new();
    for record in fake.records(object) {
        if let Some(id) = record["externalId"].as_str().filter(|id| !id.is_empty()) {
            *seen.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "duplicates in {object}: {duplicated:?}"
    );
}
