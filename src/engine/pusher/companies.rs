//! The companies the people of a window refer to, resolved in three tiers: memory
//! ([`CompanyCache`], five minutes), the store's mappings, then Twenty (after pushing the
//! companies waiting in our own queue); a company unknown everywhere that a person names is
//! recorded as an intent and created.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::Pusher;
use crate::domain::plan::{referenced_companies, WorkItem};
use crate::domain::{EntityKind, Event, Intent, IntentDraft, IntentFields, RecordKey};
use crate::engine::decide;
use crate::engine::EngineError;

/// How long a company id learned from Twenty stays trusted in memory.
pub const COMPANY_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Default)]
pub struct CompanyCache {
    entries: HashMap<String, (String, Instant)>,
}

impl CompanyCache {
    pub fn get(&self, external_id: &str) -> Option<&str> {
        self.entries
            .get(external_id)
            .filter(|(_, at)| at.elapsed() < COMPANY_CACHE_TTL)
            .map(|(id, _)| id.as_str())
    }

    pub fn insert(&mut self, external_id: String, twenty_id: String) {
        self.entries
            .insert(external_id, (twenty_id, Instant::now()));
    }

    pub fn forget(&mut self, external_id: &str) {
        self.entries.remove(external_id);
    }
}

impl Pusher {
    /// Resolves the companies the people refer to: memory, then store mappings, then pending
    /// company intents (pushed first), then Twenty; unknown companies with a name are created.
    pub(super) async fn resolve_companies(
        &mut self,
        people: &[WorkItem],
    ) -> Result<HashMap<String, String>, EngineError> {
        let mut resolved = HashMap::new();
        let mut unknown = Vec::new();
        for external_id in referenced_companies(people) {
            if let Some(id) = self.companies.get(&external_id) {
                resolved.insert(external_id, id.to_string());
                continue;
            }
            let key = RecordKey::new(EntityKind::Company, external_id.clone());
            if self.store.pending(&key)?.is_none() {
                if let Some(mapping) = self.store.mapping(&key)? {
                    self.companies
                        .insert(external_id.clone(), mapping.twenty_id.clone());
                    resolved.insert(external_id, mapping.twenty_id);
                    continue;
                }
            }
            unknown.push(external_id);
        }
        if unknown.is_empty() {
            return Ok(resolved);
        }

        // Companies waiting in our own queue go first, with all their fields.
        let mut pending_companies = Vec::new();
        for external_id in &unknown {
            let key = RecordKey::new(EntityKind::Company, external_id.clone());
            if let Some(pending) = self.store.pending(&key)? {
                pending_companies.extend(self.work_item(key, pending)?);
            }
        }
        if !pending_companies.is_empty() {
            self.push_companies(pending_companies).await?;
        }

        let mut still_unknown = Vec::new();
        for external_id in unknown {
            let key = RecordKey::new(EntityKind::Company, external_id.clone());
            match self.store.mapping(&key)? {
                Some(mapping) if self.store.pending(&key)?.is_none() => {
                    resolved.insert(external_id, mapping.twenty_id);
                }
                _ => still_unknown.push(external_id),
            }
        }
        for chunk in still_unknown.chunks(self.batch.size()) {
            for external_id in chunk {
                self.known_absent
                    .insert(RecordKey::new(EntityKind::Company, external_id.clone()));
            }
            for remote in self
                .client
                .find_by_external_ids(EntityKind::Company, chunk)
                .await
                .map_err(decide::classify)?
            {
                if let Some(external_id) = remote.external_id {
                    self.known_absent
                        .remove(&RecordKey::new(EntityKind::Company, external_id.clone()));
                    self.companies
                        .insert(external_id.clone(), remote.id.clone());
                    resolved.insert(external_id, remote.id);
                }
            }
        }

        // Unknown everywhere: create the ones a person names (the seed's behaviour), as intents.
        let mut to_create: Vec<Intent> = Vec::new();
        for company in decide::companies_to_create(people, &resolved) {
            let draft = IntentDraft {
                external_id: Some(company.external_id.to_string()),
                fields: IntentFields {
                    name: Some(company.name.to_string()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match draft.into_intent(
                EntityKind::Company,
                uuid::Uuid::now_v7(),
                company.named_by.intent.source.clone(),
                self.store.clock().now_ms(),
            ) {
                Ok(intent) => to_create.push(intent),
                Err(errors) => tracing::warn!(
                    company = company.external_id,
                    ?errors,
                    "cannot create the company a person names"
                ),
            }
        }
        if !to_create.is_empty() {
            let envelopes = self
                .store
                .append(to_create.into_iter().map(Event::IntentRecorded).collect())?;
            let mut created = Vec::new();
            for envelope in envelopes {
                if let Event::IntentRecorded(intent) = envelope.event {
                    let key = intent.key();
                    if let Some(pending) = self.store.pending(&key)? {
                        created.extend(self.work_item(key, pending)?);
                    }
                }
            }
            self.push_companies(created).await?;
            for person in people {
                if let Some(company_id) = &person.intent.fields.company_external_id {
                    if let Some(id) = self.companies.get(company_id) {
                        resolved.insert(company_id.clone(), id.to_string());
                    }
                }
            }
        }
        for person in people {
            if let Some(company_id) = &person.intent.fields.company_external_id {
                if !resolved.contains_key(company_id) {
                    tracing::warn!(
                        person = %person.key.external_id,
                        company = %company_id,
                        "the person's company is unknown here and in Twenty and has no name to create it; pushing the person without a company"
                    );
                }
            }
        }
        Ok(resolved)
    }
}
