//! One round of the replay engine: take a window of the pending queue (companies first), plan it,
//! push it to Twenty in as few requests as possible, and record every outcome as an event.
//!
//! Request economy: unchanged records cost nothing; unknown records are looked up 60 at a time by
//! `externalId` and created 60 at a time; known records are patched one by one, or upserted 60 at a
//! time where the server supports `?upsert=true`. A batch refused for one bad record is bisected
//! so the others still go through and only the bad one is parked.
//!
//! # Layout
//! - this file: [`Pusher`], the round (window, plan, the tasks it starts with) and the recording
//!   of outcomes.
//! - `execute`: the tasks and their executor, a work stack: each request, then what
//!   [`super::decide`] says follows its answer; a duplicate is parked with the record it
//!   collides with ([`super::conflict`]: one lookup).
//! - `collisions`: a create that collided (our own record created meanwhile, one in the trash,
//!   another record's unique value) and parking.
//! - `companies`: the companies people refer to (memory → store → Twenty), created when a person
//!   names one that exists nowhere.

mod collisions;
mod companies;
mod execute;

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use uuid::Uuid;

use self::companies::CompanyCache;
use self::execute::{Outgoing, Task};
use super::decide::UpsertSupport;
use super::decide::{self, KnownRecords};
use super::EngineError;
use crate::domain::plan::{plan, PushPlan, RoundOutcome, WorkItem, MAX_RECORDS_PER_REQUEST};
use crate::domain::{EntityKind, Event, PendingEntry, PushOutcome, RecordKey, ServerFact};
use crate::store::Store;
use crate::twenty::{wire, TwentyClient, TwentyError};

/// How many pending records one round looks at.
const WINDOW_BATCHES: usize = 10;
/// The longest server message kept in an event.
const MAX_MESSAGE_CHARS: usize = 500;

/// Pushes the pending queue of one store to one Twenty server.
pub struct Pusher {
    store: Store,
    client: TwentyClient,
    batch_size: usize,
    upsert: UpsertSupport,
    companies: CompanyCache,
    /// Records looked up in Twenty this round and not found there: no second lookup before
    /// creating them.
    known_absent: HashSet<RecordKey>,
    settled: usize,
}

impl Pusher {
    pub fn new(store: Store, client: TwentyClient, batch_size: usize) -> Pusher {
        let remembered = store
            .server(client.base_url())
            .ok()
            .and_then(|known| known.upsert_applies);
        Pusher {
            store,
            client,
            batch_size: batch_size.clamp(1, MAX_RECORDS_PER_REQUEST),
            upsert: UpsertSupport::remembered(remembered),
            companies: CompanyCache::default(),
            known_absent: HashSet::new(),
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
        match kind {
            EntityKind::Company => self.push_companies(items).await?,
            EntityKind::Person => self.push_people(items).await?,
        }
        Ok(RoundOutcome::settled(self.settled))
    }

    /// Loads the intent and mapping of a pending record.
    fn work_item(
        &self,
        key: RecordKey,
        pending: PendingEntry,
    ) -> Result<Option<WorkItem>, EngineError> {
        let Some(intent) = self.store.intent_at(pending.seq)? else {
            tracing::error!(%key, seq = pending.seq, "a pending record points at no intent; run rebuild-projections");
            return Ok(None);
        };
        let mapping = self.store.mapping(&key)?;
        Ok(Some(WorkItem::new(key, pending, intent, mapping)))
    }

    /// Pushes company records (a window, or the companies a window of people needs).
    async fn push_companies(&mut self, items: Vec<WorkItem>) -> Result<(), EngineError> {
        let plan = self.plan_and_skip(items)?;
        let tasks = self.first_tasks(plan, &HashMap::new());
        self.execute(EntityKind::Company, tasks).await
    }

    /// Pushes people, once the companies they refer to are known in Twenty.
    async fn push_people(&mut self, items: Vec<WorkItem>) -> Result<(), EngineError> {
        let plan = self.plan_and_skip(items)?;
        let people: Vec<WorkItem> = plan.changed.iter().chain(&plan.unknown).cloned().collect();
        let company_ids = self.resolve_companies(&people).await?;
        let tasks = self.first_tasks(plan, &company_ids);
        self.execute(EntityKind::Person, tasks).await
    }

    /// Plans a window and records the skips of its unchanged records.
    fn plan_and_skip(&mut self, items: Vec<WorkItem>) -> Result<PushPlan, EngineError> {
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
        Ok(plan)
    }

    /// The work a plan starts with, in order: the known records (the first one probing upserts
    /// when that is not known yet), the records known to be absent (created at once), then the
    /// unknown ones (looked up a batch at a time).
    ///
    /// Unknown records are never upserted: Twenty's upsert also matches on email and domain, and
    /// would adopt someone else's record instead of reporting the clash.
    fn first_tasks(&self, plan: PushPlan, company_ids: &HashMap<String, String>) -> Vec<Task> {
        let outgoing = |item: WorkItem| Outgoing {
            body: body_for(&item, company_ids),
            item,
        };
        let mut tasks = Vec::new();
        let mut changed: Vec<Outgoing> = plan.changed.into_iter().map(outgoing).collect();
        if decide::send_known(self.upsert) == KnownRecords::ProbeWithFirst && !changed.is_empty() {
            tasks.push(Task::ProbeUpsert(changed.remove(0)));
        }
        if !changed.is_empty() {
            tasks.push(Task::SendKnown(changed));
        }
        let (absent, unknown): (Vec<WorkItem>, Vec<WorkItem>) = plan
            .unknown
            .into_iter()
            .partition(|item| self.known_absent.contains(&item.key));
        let batch = |items: Vec<WorkItem>| -> Vec<Vec<Outgoing>> {
            items
                .chunks(self.batch_size)
                .map(|chunk| chunk.iter().cloned().map(outgoing).collect())
                .collect()
        };
        tasks.extend(batch(absent).into_iter().map(|records| Task::Create {
            records,
            upsert: false,
        }));
        tasks.extend(batch(unknown).into_iter().map(Task::LookUp));
        tasks
    }

    /// Uses from now on what the upsert probe taught, and remembers it for every later process
    /// when it is about the server.
    fn learn_upsert(&mut self, support: UpsertSupport, remember: bool) -> Result<(), EngineError> {
        self.upsert = support;
        if remember {
            self.store.append(vec![Event::ServerLearned {
                server: self.client.base_url().to_string(),
                fact: ServerFact::UpsertApplies(support == UpsertSupport::Supported),
            }])?;
        }
        Ok(())
    }

    /// Parks a record whose push failed for a reason retrying will not fix.
    fn park(&mut self, item: &WorkItem, error: &TwentyError) -> Result<(), EngineError> {
        self.record(vec![failure(item, error, false)])
    }

    /// The error that stops the round so the engine can back off, after counting a failed
    /// attempt on each record when `count_attempt` (a record that keeps failing is parked).
    fn stop_round<'i>(
        &mut self,
        items: impl Iterator<Item = &'i WorkItem>,
        error: TwentyError,
        count_attempt: bool,
    ) -> EngineError {
        if count_attempt {
            let events: Vec<Event> = items
                .map(|item| {
                    let park = decide::parks_at_this_attempt(item.pending.attempts);
                    failure(item, &error, !park)
                })
                .collect();
            if let Err(error) = self.record(events) {
                return error;
            }
        }
        decide::classify(error)
    }

    fn record(&mut self, events: Vec<Event>) -> Result<(), EngineError> {
        if events.is_empty() {
            return Ok(());
        }
        self.settled += events.iter().filter(|e| settles(e)).count();
        self.store.append(events)?;
        Ok(())
    }
}

/// Whether an event settles its record for this round (a retryable failure leaves it pending).
fn settles(event: &Event) -> bool {
    !matches!(
        event,
        Event::MappingInvalidated { .. }
            | Event::IntentRecorded(_)
            | Event::ConflictFound { .. }
            | Event::PushFailed {
                retryable: true,
                ..
            }
    )
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
    let message = error
        .server_message()
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string());
    failure_saying(item, error, message, retryable)
}

/// The failure of `item` with `error`, told with `message` (at most [`MAX_MESSAGE_CHARS`]).
fn failure_saying(item: &WorkItem, error: &TwentyError, message: String, retryable: bool) -> Event {
    Event::PushFailed {
        intent_id: item.intent.id,
        key: item.key.clone(),
        code: error.code(),
        message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
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
