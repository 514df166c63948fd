//! The original integration's per-record strategy (../shared/twenty/original-implementation.md
//! §4.1): per record, its mapping table or else a lookup by `externalId`, then an update of the
//! record found or a create; any failure retries the whole upsert, 4 attempts in all. Run through
//! this agent's client and budget, so only the strategy differs; a create is a batch of one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_twenty::FakeTwenty;
use twenty_sync::domain::{EntityKind, Event, Intent};
use twenty_sync::twenty::{wire, ClientConfig, TwentyClient, TwentyError};

use crate::engine::scaled_budget;

/// The original's attempts per upsert (`DEFAULT_MAX_CONFLICT_RETRIES` + 1).
const ATTEMPTS: u32 = 4;
/// The original's Twenty default rate, for the budget it is given here.
const REQUESTS_PER_MINUTE: u32 = 100;

/// The original's mapping table: (kind, externalId) → Twenty id. It outlives a process.
pub type MappingTable = Arc<Mutex<HashMap<(EntityKind, String), String>>>;

/// One process of the original integration.
pub struct Original {
    client: TwentyClient,
    table: MappingTable,
    scale: f64,
    /// Records whose upsert failed all its attempts (the original logs and drops them).
    pub failed: usize,
}

impl Original {
    pub fn connect(fake: &FakeTwenty, table: MappingTable, scale: f64) -> Original {
        let budget = scaled_budget(REQUESTS_PER_MINUTE, scale);
        let client = TwentyClient::new(ClientConfig::new(fake.base_url(), fake.api_key()), budget)
            .expect("the client for the fake builds");
        Original {
            client,
            table,
            scale,
            failed: 0,
        }
    }

    pub fn mapped(&self) -> usize {
        self.table.lock().map_or(0, |table| table.len())
    }

    fn known(&self, kind: EntityKind, external_id: &str) -> Option<String> {
        let table = self.table.lock().ok()?;
        table.get(&(kind, external_id.to_string())).cloned()
    }

    /// Upserts each intent in turn; with `skip_mapped`, the records the table already maps are
    /// left alone (a resumed run after a crash).
    pub async fn sync(&mut self, events: &[Event], skip_mapped: bool) {
        for event in events {
            let Event::IntentRecorded(intent) = event else {
                continue;
            };
            if skip_mapped && self.known(intent.kind, &intent.external_id).is_some() {
                continue;
            }
            if self.upsert(intent).await.is_err() {
                self.failed += 1;
            }
        }
    }

    /// The upsert of one record; `Err` after its last failed attempt.
    async fn upsert(&self, intent: &Intent) -> Result<(), ()> {
        let Intent {
            kind,
            external_id,
            fields,
            ..
        } = intent;
        let company_id = fields
            .company_external_id
            .as_ref()
            .and_then(|company| self.known(EntityKind::Company, company));
        let body = match kind {
            EntityKind::Company => wire::company_body(external_id, fields),
            EntityKind::Person => wire::person_body(external_id, fields, company_id.as_deref()),
        };
        let mut attempt = 0;
        loop {
            match self.attempt(*kind, external_id, &body).await {
                Ok(Some(id)) => {
                    if let Ok(mut table) = self.table.lock() {
                        table.insert((*kind, external_id.clone()), id);
                    }
                    return Ok(());
                }
                _ if attempt + 1 >= ATTEMPTS => return Err(()),
                _ => {
                    attempt += 1;
                    let pause = Duration::from_millis(100 << attempt).div_f64(self.scale);
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// One attempt: the table, else a lookup; then an update or a create. The Twenty id.
    async fn attempt(
        &self,
        kind: EntityKind,
        external_id: &str,
        body: &serde_json::Value,
    ) -> Result<Option<String>, TwentyError> {
        let existing = match self.known(kind, external_id) {
            Some(id) => Some(id),
            None => self
                .client
                .find_by_external_ids(kind, &[external_id.to_string()])
                .await?
                .into_iter()
                .next()
                .map(|record| record.id),
        };
        match existing {
            Some(id) => Ok(Some(self.client.update(kind, &id, body, "k").await?.id)),
            None => {
                let created = self
                    .client
                    .create_batch(kind, std::slice::from_ref(body), "k", false)
                    .await?;
                Ok(created.into_iter().next().map(|record| record.id))
            }
        }
    }
}
