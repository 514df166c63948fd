//! HTTP behaviour against the `fake-twenty` server in both profiles (Aug-2025 `Legacy2025` and
//! newest `Current`). Real time with short timeouts and backoffs: reqwest's timeout runs on
//! tokio timers, and under paused time the clock would jump ahead while the server works.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, MetadataListShape, Profile, RateLimitConfig};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::domain::{EntityKind, IntentFields, MetadataRoute};
use crate::twenty::wire::{company_body, person_body};
use crate::twenty::{
    ClientConfig, ErrorCode, FieldRefusal, RequestBudget, RetryPolicy, SchemaReport, TwentyClient,
};

const PROFILES: [Profile; 2] = [Profile::Legacy2025, Profile::Current];

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    }
}

fn client_with(base_url: &str, api_key: &str, retry: RetryPolicy) -> TwentyClient {
    let config = ClientConfig {
        timeout: Duration::from_secs(2),
        retry,
        ..ClientConfig::new(base_url, api_key)
    };
    match TwentyClient::new(config, RequestBudget::new(60_000, 1_000)) {
        Ok(client) => client,
        Err(e) => panic!("client: {e}"),
    }
}

fn client(fake: &FakeTwenty) -> TwentyClient {
    client_with(&fake.base_url(), &fake.api_key(), fast())
}

async fn fake(profile: Profile, with_external_id: bool) -> FakeTwenty {
    FakeTwenty::start(FakeConfig {
        with_external_id,
        ..FakeConfig::with_profile(profile)
    })
    .await
}

fn company(name: &str) -> IntentFields {
    IntentFields {
        name: Some(name.to_string()),
        ..IntentFields::default()
    }
}

fn ids(records: &[crate::twenty::RemoteRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.external_id.as_deref().unwrap_or("?"))
        .collect()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

mod data_model;
mod faults;
mod records;
mod schema;
