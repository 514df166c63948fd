//! One round of the replay engine: take a window of the pending queue (companies first), plan it,
//! push it to Twenty in as few requests as possible, and record every outcome as an event.
//!
//! Request economy: unchanged records cost nothing; unknown records are looked up 60 at a time by
//! `externalId` and created 60 at a time; known records are patched one by one, or upserted 60 at a
//! time where the server supports `?upsert=true`. A batch refused for one bad record is bisected
//! so the others still go through and only the bad one is parked.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use super::companies::CompanyCache;
use super::{classify, disposition, Disposition, EngineError};
use crate::domain::plan::{
    plan, referenced_companies, RoundOutcome, WorkItem, MAX_RECORDS_PER_REQUEST,
};
use crate::domain::{EntityKind, Event, FailureCode, Intent, PushOutcome, RecordKey, ServerFact};
use crate::store::Store;
use crate::twenty::{wire, ErrorCode, RemoteRecord, TwentyClient, TwentyError};

/// How many pending records one round looks at.
const WINDOW_BATCHES: usize = 10;
/// A record failing with retryable errors this many times in a row is parked.
const MAX_RETRYABLE_ATTEMPTS: u32 = 5;
/// Tries of the conflict handling (stale mapping, duplicate on create), with 100 ms × 2^n pauses.
const CONFLICT_TRIES: u32 = 3;
/// The longest server message kept in an event.
const MAX_MESSAGE_CHARS: usize = 500;

/// Whether the server applies `?upsert=true` on batch creates; learned once per server and
/// remembered in the store (`ServerLearned`), so a new process sends no probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertSupport {
    Unknown,
    Supported,
    Unsupported,
}

type Pushing<'a> = Pin<Box<dyn Future<Output = Result<(), EngineError>> + Send + 'a>>;

/// Pushes the pending queue of one store to one Twenty server.
pub struct Pusher {
    store: Store,
    client: TwentyClient,
    batch_size: usize,
    upsert: UpsertSupport,
    companies: CompanyCache,
    /// Records looked up in Twenty this round and not found there: no second lookup before
    /// creating them.
    known_absent: std::collections::HashSet<RecordKey>,
    settled: usize,
}

impl Pusher {
    pub fn new(store: Store, client: TwentyClient, batch_size: usize) -> Pusher {
        let upsert = match store
            .server(client.base_url())
            .ok()
            .and_then(|known| known.upsert_applies)
        {
            Some(true) => UpsertSupport::Supported,
            Some(false) => UpsertSupport::Unsupported,
            None => UpsertSupport::Unknown,
        };
        Pusher {
            store,
            client,
            batch_size: batch_size.clamp(1, MAX_RECORDS_PER_REQUEST),
            upsert,
            companies: CompanyCache::default(),
            known_absent: std::collections::HashSet::new(),
            settled: 0,
        }
    }

    pub fn client(&self) -> &TwentyClient {
        &self.client
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn upsert_support(&self) -> UpsertSupport {
        self.upsert
    }

    /// Pushes one window of the queue. Record-level failures park records and do not stop the
    /// round; unreachable servers and refused keys do.
    pub async fn push_round(&mut self) -> Result<RoundOutcome, EngineError> {
        self.settled = 0;
        self.known_absent.clear();
        // Companies first (people refer to them), and each window of one kind only, so that
        // every lookup and create carries a whole batch.
        let kind = if self.store.has_pending(EntityKind::Company)? {
            EntityKind::Company
        } else if self.store.has_pending(EntityKind::Person)? {
            EntityKind::Person
        } else {
            return Ok(RoundOutcome::IDLE);
        };
        let window = self
            .store
            .pending_in_order_of(kind, self.batch_size * WINDOW_BATCHES)?;
        let mut items = Vec::new();
        for (key, pending) in window {
            items.extend(self.work_item(key, pending)?);
        }
        self.push_kind(kind, items).await?;
        Ok(RoundOutcome::settled(self.settled))
    }

    /// Loads the intent and mapping of a pending record.
    fn work_item(
        &self,
        key: RecordKey,
        pending: crate::domain::PendingEntry,
    ) -> Result<Option<WorkItem>, EngineError> {
        let Some(intent) = self.store.intent_at(pending.seq)? else {
            tracing::error!(%key, seq = pending.seq, "a pending record points at no intent; run rebuild-projections");
            return Ok(None);
        };
        let mapping = self.store.mapping(&key)?;
        Ok(Some(WorkItem::new(key, pending, intent, mapping)))
    }

    fn push_kind(&mut self, kind: EntityKind, items: Vec<WorkItem>) -> Pushing<'_> {
        Box::pin(async move {
            let plan = plan(items);
            self.record(
                plan.unchanged
                    .iter()
                    .map(|item| Event::PushSkipped {
                        intent_id: item.intent.id,
                        key: item.key.clone(),
                    })
                    .collect(),
            )?;
            let company_ids = match kind {
                EntityKind::Person => {
                    let people: Vec<WorkItem> =
                        plan.changed.iter().chain(&plan.unknown).cloned().collect();
                    self.resolve_companies(&people).await?
                }
                EntityKind::Company => HashMap::new(),
            };
            let body = |item: &WorkItem| body_for(item, &company_ids);
            let with_bodies = |items: Vec<WorkItem>| -> Vec<(WorkItem, Value)> {
                items
                    .into_iter()
                    .map(|item| {
                        let body = body(&item);
                        (item, body)
                    })
                    .collect()
            };

            let mut changed = plan.changed;
            if self.upsert == UpsertSupport::Unknown && !changed.is_empty() {
                let first = changed.remove(0);
                let first_body = body(&first);
                self.probe_upsert(kind, first, first_body).await?;
            }
            // Known records: upserted 60 at a time where the server applies upsert (keyed on
            // `externalId`, which they hold), patched one by one elsewhere. Unknown records are
            // never upserted: Twenty's upsert also matches on email and domain, and would adopt
            // someone else's record instead of reporting the clash.
            if self.upsert == UpsertSupport::Supported {
                for chunk in with_bodies(changed).chunks(self.batch_size) {
                    self.create_chunk(kind, chunk.to_vec(), true).await?;
                }
            } else {
                for item in changed {
                    let body = body(&item);
                    let twenty_id = item
                        .mapping
                        .as_ref()
                        .map(|m| m.twenty_id.clone())
                        .unwrap_or_default();
                    self.update_one(kind, item, body, twenty_id).await?;
                }
            }

            let (absent, unknown): (Vec<WorkItem>, Vec<WorkItem>) = plan
                .unknown
                .into_iter()
                .partition(|item| self.known_absent.contains(&item.key));
            for chunk in with_bodies(absent).chunks(self.batch_size) {
                self.create_chunk(kind, chunk.to_vec(), false).await?;
            }
            for chunk in unknown.chunks(self.batch_size) {
                let ids: Vec<String> = chunk.iter().map(|i| i.key.external_id.clone()).collect();
                let found = self
                    .client
                    .find_by_external_ids(kind, &ids)
                    .await
                    .map_err(classify)?;
                let found: HashMap<String, RemoteRecord> = found
                    .into_iter()
                    .filter_map(|record| Some((record.external_id.clone()?, record)))
                    .collect();
                let mut missing = Vec::new();
                for item in chunk.iter().cloned() {
                    let body = body(&item);
                    match found.get(&item.key.external_id) {
                        Some(remote) if remote_matches(&remote.raw, &body) => {
                            // Already there with these fields (e.g. pushed before a crash).
                            let event = success(&item, &remote.id, PushOutcome::Updated);
                            self.record(vec![event])?;
                        }
                        Some(remote) => {
                            let twenty_id = remote.id.clone();
                            self.update_one(kind, item, body, twenty_id).await?;
                        }
                        None => missing.push((item, body)),
                    }
                }
                if !missing.is_empty() {
                    self.create_chunk(kind, missing, false).await?;
                }
            }
            Ok(())
        })
    }

    /// Uses and remembers what the probe found, for every later process.
    fn learn_upsert(&mut self, applies: bool) -> Result<(), EngineError> {
        self.upsert = if applies {
            UpsertSupport::Supported
        } else {
            UpsertSupport::Unsupported
        };
        self.store.append(vec![Event::ServerLearned {
            server: self.client.base_url().to_string(),
            fact: ServerFact::UpsertApplies(applies),
        }])?;
        Ok(())
    }

    /// Learns whether the server applies `?upsert=true`, using a record that exists in Twenty and
    /// has to be updated anyway: an upsert of it either updates it (supported) or fails as a
    /// duplicate of itself (ignored, as on the August 2025 build).
    async fn probe_upsert(
        &mut self,
        kind: EntityKind,
        item: WorkItem,
        body: Value,
    ) -> Result<(), EngineError> {
        let twenty_id = item
            .mapping
            .as_ref()
            .map(|m| m.twenty_id.clone())
            .unwrap_or_default();
        let key = wire::idempotency_key(item.intent.id);
        match self
            .client
            .create_batch(kind, std::slice::from_ref(&body), &key, true)
            .await
        {
            Ok(records) => {
                let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
                if id == twenty_id {
                    tracing::info!(
                        server = self.client.base_url(),
                        "Twenty applies ?upsert=true: updates go in batches"
                    );
                    self.learn_upsert(true)?;
                }
                let outcome = if id == twenty_id {
                    PushOutcome::Updated
                } else {
                    PushOutcome::Created
                };
                self.record(vec![success(&item, &id, outcome)])?;
                Ok(())
            }
            Err(error) if error.code() == ErrorCode::Duplicate => {
                tracing::info!(
                    server = self.client.base_url(),
                    "Twenty ignores ?upsert=true: updates go one by one"
                );
                self.learn_upsert(false)?;
                self.update_one(kind, item, body, twenty_id).await
            }
            Err(error) => match disposition(&error) {
                Disposition::SchemaLost => Err(classify(error)),
                Disposition::Record => {
                    self.upsert = UpsertSupport::Unsupported;
                    self.update_one(kind, item, body, twenty_id).await
                }
                _ => Err(classify(error)),
            },
        }
    }

    /// Creates (or upserts) a chunk in one request; on a record-level refusal, bisects it.
    fn create_chunk(
        &mut self,
        kind: EntityKind,
        chunk: Vec<(WorkItem, Value)>,
        upsert: bool,
    ) -> Pushing<'_> {
        Box::pin(async move {
            if chunk.is_empty() {
                return Ok(());
            }
            let bodies: Vec<Value> = chunk.iter().map(|(_, body)| body.clone()).collect();
            let key = batch_key(chunk.iter().map(|(item, _)| item.intent.id));
            match self.client.create_batch(kind, &bodies, &key, upsert).await {
                Ok(records) => {
                    let events = chunk
                        .iter()
                        .zip(&records)
                        .map(|((item, _), record)| {
                            let outcome = if upsert && item.mapping.is_some() {
                                PushOutcome::Updated
                            } else {
                                PushOutcome::Created
                            };
                            success(item, &record.id, outcome)
                        })
                        .collect();
                    self.record(events)?;
                    if kind == EntityKind::Company {
                        for ((item, _), record) in chunk.iter().zip(&records) {
                            self.companies
                                .insert(item.key.external_id.clone(), record.id.clone());
                        }
                    }
                    Ok(())
                }
                Err(error) => match disposition(&error) {
                    Disposition::SchemaLost => Err(classify(error)),
                    Disposition::Record if chunk.len() > 1 => {
                        let mut left = chunk;
                        let right = left.split_off(left.len() / 2);
                        self.create_chunk(kind, left, upsert).await?;
                        self.create_chunk(kind, right, upsert).await
                    }
                    Disposition::Record => {
                        let Some((item, body)) = chunk.into_iter().next() else {
                            return Ok(());
                        };
                        if error.code() == ErrorCode::Duplicate && !upsert {
                            self.resolve_duplicate_create(kind, item, body, error).await
                        } else {
                            self.park(&item, &error)
                        }
                    }
                    _ => self.transient(chunk.iter().map(|(item, _)| item), error),
                },
            }
        })
    }

    /// A create hit a duplicate: if it is our own `externalId` (someone, or a crashed earlier
    /// run, created it meanwhile), update that record instead; otherwise another unique field
    /// (email, domain) collides and the record is parked with the server's message.
    async fn resolve_duplicate_create(
        &mut self,
        kind: EntityKind,
        item: WorkItem,
        body: Value,
        error: TwentyError,
    ) -> Result<(), EngineError> {
        for attempt in 0..CONFLICT_TRIES {
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            let found = self
                .client
                .find_by_external_ids(kind, std::slice::from_ref(&item.key.external_id))
                .await
                .map_err(classify)?;
            if let Some(remote) = found.into_iter().next() {
                return self.update_one(kind, item, body, remote.id).await;
            }
            if attempt + 1 == CONFLICT_TRIES {
                break;
            }
        }
        // Not found, yet taken: on newer Twenty a record in the trash still holds its
        // `externalId`. An upsert restores and updates it there; servers that ignore upsert
        // answer with the same duplicate, and the record is parked.
        let in_trash = self
            .client
            .find_in_trash(kind, &item.key.external_id)
            .await
            .map_err(classify)?;
        if in_trash.is_some() && self.upsert != UpsertSupport::Unsupported {
            let key = wire::idempotency_key(item.intent.id);
            match self
                .client
                .create_batch(kind, std::slice::from_ref(&body), &key, true)
                .await
            {
                Ok(records) => {
                    let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
                    self.record(vec![success(&item, &id, PushOutcome::Updated)])?;
                    return Ok(());
                }
                Err(retry_error) if matches!(disposition(&retry_error), Disposition::Record) => {
                    return self.park(&item, &retry_error)
                }
                Err(retry_error) => return Err(classify(retry_error)),
            }
        }
        self.park(&item, &error)
    }

    /// Patches one known record. A record gone from Twenty (deleted there) loses its mapping and
    /// is looked up again, then re-created if it is really gone.
    fn update_one(
        &mut self,
        kind: EntityKind,
        item: WorkItem,
        body: Value,
        twenty_id: String,
    ) -> Pushing<'_> {
        Box::pin(async move {
            let key = wire::idempotency_key(item.intent.id);
            let mut twenty_id = twenty_id;
            for attempt in 0..CONFLICT_TRIES {
                match self.client.update(kind, &twenty_id, &body, &key).await {
                    Ok(record) => {
                        self.record(vec![success(&item, &record.id, PushOutcome::Updated)])?;
                        return Ok(());
                    }
                    Err(error) if error.code() == ErrorCode::NotFound => {
                        if item
                            .mapping
                            .as_ref()
                            .is_some_and(|m| m.twenty_id == twenty_id)
                        {
                            self.record(vec![Event::MappingInvalidated {
                                key: item.key.clone(),
                                twenty_id: twenty_id.clone(),
                            }])?;
                        }
                        if kind == EntityKind::Company {
                            self.companies.forget(&item.key.external_id);
                        }
                        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                        let found = self
                            .client
                            .find_by_external_ids(kind, std::slice::from_ref(&item.key.external_id))
                            .await
                            .map_err(classify)?;
                        match found.into_iter().next() {
                            Some(remote) => twenty_id = remote.id,
                            None => {
                                let mut fresh = item;
                                fresh.mapping = None;
                                return self.create_chunk(kind, vec![(fresh, body)], false).await;
                            }
                        }
                    }
                    Err(error) => {
                        return match disposition(&error) {
                            Disposition::SchemaLost => Err(classify(error)),
                            Disposition::Record => self.park(&item, &error),
                            _ => self.transient(std::iter::once(&item), error),
                        };
                    }
                }
            }
            let error = TwentyError::invalid(format!(
                "the record kept moving in Twenty after {CONFLICT_TRIES} tries; retry it later"
            ));
            self.park(&item, &error)
        })
    }

    /// Resolves the companies the people refer to: memory, then store mappings, then pending
    /// company intents (pushed first), then Twenty; unknown companies with a name are created.
    async fn resolve_companies(
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
            self.push_kind(EntityKind::Company, pending_companies)
                .await?;
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
        for chunk in still_unknown.chunks(self.batch_size) {
            for external_id in chunk {
                self.known_absent
                    .insert(RecordKey::new(EntityKind::Company, external_id.clone()));
            }
            for remote in self
                .client
                .find_by_external_ids(EntityKind::Company, chunk)
                .await
                .map_err(classify)?
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
        for person in people {
            let fields = &person.intent.fields;
            let (Some(company_id), Some(company_name)) =
                (&fields.company_external_id, &fields.company_name)
            else {
                continue;
            };
            if resolved.contains_key(company_id)
                || to_create.iter().any(|i| &i.external_id == company_id)
            {
                continue;
            }
            let draft = crate::domain::IntentDraft {
                external_id: Some(company_id.clone()),
                fields: crate::domain::IntentFields {
                    name: Some(company_name.clone()),
                    ..Default::default()
                },
            };
            match crate::app::record::build_intent(
                EntityKind::Company,
                &draft,
                person.intent.source.clone(),
                self.store.clock().now_ms(),
            ) {
                Ok(intent) => to_create.push(intent),
                Err(errors) => {
                    tracing::warn!(company = %company_id, ?errors, "cannot create the company a person names")
                }
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
            self.push_kind(EntityKind::Company, created).await?;
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

    /// Parks a record whose push failed for a reason retrying will not fix.
    fn park(&mut self, item: &WorkItem, error: &TwentyError) -> Result<(), EngineError> {
        self.record(vec![failure(item, error, false)])?;
        Ok(())
    }

    /// A transient failure: counts an attempt on each record (parking a record that keeps
    /// failing), then stops the round so the engine can back off.
    fn transient<'i>(
        &mut self,
        items: impl Iterator<Item = &'i WorkItem>,
        error: TwentyError,
    ) -> Result<(), EngineError> {
        if matches!(
            error.code(),
            ErrorCode::ServerError | ErrorCode::OperationFailed
        ) {
            let events: Vec<Event> = items
                .map(|item| {
                    let park = item.pending.attempts + 1 >= MAX_RETRYABLE_ATTEMPTS;
                    failure(item, &error, !park)
                })
                .collect();
            self.record(events)?;
        }
        Err(classify(error))
    }

    fn record(&mut self, events: Vec<Event>) -> Result<(), EngineError> {
        if events.is_empty() {
            return Ok(());
        }
        self.settled += events
            .iter()
            .filter(|e| {
                !matches!(
                    e,
                    Event::MappingInvalidated { .. } | Event::IntentRecorded(_)
                )
            })
            .filter(|e| {
                !matches!(
                    e,
                    Event::PushFailed {
                        retryable: true,
                        ..
                    }
                )
            })
            .count();
        self.store.append(events)?;
        Ok(())
    }
}

/// The wire body of a work item (people get their company's Twenty id when it is known).
fn body_for(item: &WorkItem, company_ids: &HashMap<String, String>) -> Value {
    match item.key.kind {
        EntityKind::Company => wire::company_body(&item.key.external_id, &item.intent.fields),
        EntityKind::Person => {
            let company_id = item
                .intent
                .fields
                .company_external_id
                .as_ref()
                .and_then(|id| company_ids.get(id))
                .map(String::as_str);
            wire::person_body(&item.key.external_id, &item.intent.fields, company_id)
        }
    }
}

fn success(item: &WorkItem, twenty_id: &str, outcome: PushOutcome) -> Event {
    Event::PushSucceeded {
        intent_id: item.intent.id,
        key: item.key.clone(),
        twenty_id: twenty_id.to_string(),
        outcome,
        fields_hash: item.fields_hash,
    }
}

fn failure(item: &WorkItem, error: &TwentyError, retryable: bool) -> Event {
    let message: String = error
        .server_message()
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string())
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .collect();
    Event::PushFailed {
        intent_id: item.intent.id,
        key: item.key.clone(),
        code: FailureCode::from(error.code()),
        message,
        attempt: item.pending.attempts + 1,
        retryable,
    }
}

/// A stable idempotency key for a batch: the same intents give the same key.
fn batch_key(intent_ids: impl Iterator<Item = Uuid>) -> String {
    let mut hasher = blake3::Hasher::new();
    for id in intent_ids {
        hasher.update(id.as_bytes());
    }
    format!("twenty-sync-batch-{}", &hasher.finalize().to_hex()[..32])
}

/// True when the record in Twenty already holds every value of the body (so nothing needs to be
/// sent). Empty strings, nulls and empty lists count as equal, as Twenty versions differ there.
pub fn remote_matches(remote: &Value, body: &Value) -> bool {
    fn blank(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            _ => false,
        }
    }
    fn matches(remote: Option<&Value>, wanted: &Value) -> bool {
        match (remote, wanted) {
            (remote, Value::Object(fields)) => fields
                .iter()
                .all(|(name, value)| matches(remote.and_then(|r| r.get(name)), value)),
            (None, wanted) => blank(wanted),
            (Some(remote), wanted) if blank(remote) && blank(wanted) => true,
            (Some(Value::String(remote)), Value::String(wanted)) => {
                remote == wanted || remote.eq_ignore_ascii_case(wanted) && wanted.contains('@')
            }
            (Some(remote), wanted) => remote == wanted,
        }
    }
    matches(Some(remote), body)
}
