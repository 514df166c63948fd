//! One round of the replay engine: take a window of the pending queue (companies first), plan it,
//! push it to Twenty in as few requests as possible, and record every outcome as an event.
//!
//! Request economy: unchanged records cost nothing; new records are created a batch at a time
//! (as large as the server takes, [`super::batching`]) without a lookup where the `externalId`
//! field is unique, else looked up a batch at a time first ([`super::strategy`]); a refused batch
//! is looked up in one request, its records mapped, adopted or created, and only what is still
//! refused is bisected; known records are patched one by one, or upserted a batch at a time where
//! the server applies `?upsert=true`. What is learned of the server (upserts, the largest batch,
//! whether the workspace held records) is remembered, so a new process sends no probe.
//!
//! # Layout
//! - this file: [`Pusher`], the round (window, plan, the tasks it starts with) and the recording
//!   of outcomes.
//! - `execute`: the tasks and their executor, a work stack: each request, then what
//!   [`super::decide`] and [`super::strategy`] say follows its answer.
//! - `matching`: lookups by `externalId`, e-mail or domain, and what follows them (already
//!   there, update, adopt, conflict, create), the upsert probes.
//! - `collisions`: a create that collided (our own record created meanwhile, one in the trash,
//!   another record's unique value) and parking.
//! - `companies`: the companies people refer to (memory → store → Twenty), created when a person
//!   names one that exists nowhere.

mod collisions;
mod companies;
mod execute;
mod matching;

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use self::companies::CompanyCache;
use self::execute::{Outgoing, Task};
use super::batching::BatchLimit;
use super::decide::{self, KnownRecords, UpsertSupport};
use super::strategy::{self, CreateMode, NewRecords};
use super::EngineError;
use crate::config::{BatchSize, MatchExisting, Settings};
use crate::domain::plan::{plan, PushPlan, RoundOutcome, WorkItem};
use crate::domain::projection::ServerKnowledge;
use crate::domain::{EntityKind, Event, PendingEntry, PushOutcome, RecordKey, ServerFact};
use crate::store::Store;
use crate::twenty::{wire, TwentyClient, TwentyError};

/// How many batches of pending records one round looks at.
const WINDOW_BATCHES: usize = 10;
/// The longest server message kept in an event.
const MAX_MESSAGE_CHARS: usize = 500;

/// Pushes the pending queue of one store to one Twenty server.
pub struct Pusher {
    store: Store,
    client: TwentyClient,
    batch: BatchLimit,
    upsert: UpsertSupport,
    match_existing: MatchExisting,
    /// What the store knows of the server, read again at the start of every round.
    known: ServerKnowledge,
    companies: CompanyCache,
    /// Records looked up in Twenty this round and not found there: no second lookup before
    /// creating them.
    known_absent: HashSet<RecordKey>,
    /// Objects whose new records this process looked up first because the workspace held
    /// records before: their first sync is done once none is pending.
    first_syncs: HashSet<EntityKind>,
    /// Twenty refused a record because of a field this round: read the data model again.
    model_stale: bool,
    settled: usize,
}

impl Pusher {
    /// A pusher with `batch_size` (`BatchSize::Auto`, or a number that forces the size) and the
    /// default matching of existing records (by e-mail and domain).
    pub fn new(store: Store, client: TwentyClient, batch_size: impl Into<BatchSize>) -> Pusher {
        let known = store.server(client.base_url()).unwrap_or_default();
        Pusher {
            batch: BatchLimit::new(batch_size.into(), known.max_batch),
            upsert: UpsertSupport::remembered(known.upsert_applies),
            match_existing: MatchExisting::default(),
            known,
            store,
            client,
            companies: CompanyCache::default(),
            known_absent: HashSet::new(),
            first_syncs: HashSet::new(),
            model_stale: false,
            settled: 0,
        }
    }

    /// A pusher as the settings say (batch size, matching of existing records).
    pub fn for_settings(store: Store, client: TwentyClient, settings: &Settings) -> Pusher {
        Pusher::new(store, client, settings.batch_size).matching(settings.match_existing)
    }

    /// How new records find the Twenty records they may already be.
    pub fn matching(mut self, match_existing: MatchExisting) -> Pusher {
        self.match_existing = match_existing;
        self
    }

    /// Takes the batch size and the matching of existing records of `settings` from now on
    /// (what was learned of the server stays).
    pub fn apply_settings(&mut self, settings: &Settings) {
        self.batch = BatchLimit::new(settings.batch_size, self.batch.learned());
        self.match_existing = settings.match_existing;
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

    /// Records per request now (the setting, within what the server takes).
    pub fn batch_size(&self) -> usize {
        self.batch.size()
    }

    /// Pushes one window of the queue. Record-level failures park records and do not stop the
    /// round; unreachable servers and refused keys do.
    pub async fn push_round(&mut self) -> Result<RoundOutcome, EngineError> {
        self.settled = 0;
        self.known_absent.clear();
        self.known = self.store.server(self.client.base_url())?;
        self.note_first_syncs_done()?;
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
            .pending_in_order_of(kind, self.batch.size() * WINDOW_BATCHES)?;
        let mut items = Vec::new();
        for (key, pending) in window {
            items.extend(self.work_item(key, pending)?);
        }
        let pushed = match kind {
            EntityKind::Company => self.push_companies(items).await,
            EntityKind::Person => self.push_people(items).await,
        };
        self.refresh_stale_model().await;
        pushed.map(|()| RoundOutcome::settled(self.settled))
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
        let new = self.new_records(EntityKind::Company, &plan).await?;
        let tasks = self.first_tasks(EntityKind::Company, plan, new, &HashMap::new());
        self.execute(EntityKind::Company, tasks).await
    }

    /// Pushes people, once the companies they refer to are known in Twenty.
    async fn push_people(&mut self, items: Vec<WorkItem>) -> Result<(), EngineError> {
        let plan = self.plan_and_skip(items)?;
        let people: Vec<WorkItem> = plan.changed.iter().chain(&plan.unknown).cloned().collect();
        let company_ids = self.resolve_companies(&people).await?;
        let new = self.new_records(EntityKind::Person, &plan).await?;
        let tasks = self.first_tasks(EntityKind::Person, plan, new, &company_ids);
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

    /// Whether records of `kind` found by e-mail or domain are adopted.
    fn adopts(&self) -> bool {
        self.match_existing == MatchExisting::EmailDomain
    }

    /// How the plan's new records are sent; learns first (one request, remembered) whether the
    /// workspace held records of `kind` when that decides it.
    async fn new_records(
        &mut self,
        kind: EntityKind,
        plan: &PushPlan,
    ) -> Result<NewRecords, EngineError> {
        let unique = self.known.external_id_unique(kind);
        let decided = strategy::new_records(unique, self.adopts(), self.known.populated(kind));
        if decided != NewRecords::LearnWorkspace || plan.unknown.is_empty() {
            return Ok(decided);
        }
        let populated = self
            .client
            .holds_records(kind)
            .await
            .map_err(decide::classify)?;
        tracing::info!(
            object = wire::plural(kind),
            populated,
            "learned whether the workspace already holds records"
        );
        self.learn(ServerFact::WorkspacePopulated { kind, populated })?;
        Ok(strategy::new_records(unique, true, Some(populated)))
    }

    /// The work a plan starts with, in order: the known records (the first one probing upserts
    /// when that is not known yet), the records known to be absent (created at once), then the
    /// new ones, created at once or looked up first as `new` says.
    ///
    /// New records are never upserted before a lookup: Twenty's upsert also matches on e-mail
    /// and domain, and would take over a record holding another `externalId`.
    fn first_tasks(
        &mut self,
        kind: EntityKind,
        plan: PushPlan,
        new: NewRecords,
        company_ids: &HashMap<String, String>,
    ) -> Vec<Task> {
        let outgoing = |item: WorkItem| outgoing(item, company_ids);
        let mut tasks = Vec::new();
        let mut changed: Vec<Outgoing> = plan.changed.into_iter().map(outgoing).collect();
        let unique = self.known.external_id_unique(kind);
        if decide::send_known(self.upsert, unique) == KnownRecords::ProbeWithFirst
            && !changed.is_empty()
        {
            tasks.push(Task::ProbeUpsert(changed.remove(0)));
        }
        if !changed.is_empty() {
            tasks.push(Task::SendKnown {
                records: changed,
                verified: false,
            });
        }
        let (absent, unknown): (Vec<WorkItem>, Vec<WorkItem>) = plan
            .unknown
            .into_iter()
            .partition(|item| self.known_absent.contains(&item.key));
        let absent = absent.into_iter().map(outgoing).collect();
        tasks.extend(self.create_tasks(kind, absent, CreateMode::looked_up(0)));
        let unknown: Vec<Outgoing> = unknown.into_iter().map(outgoing).collect();
        match new {
            NewRecords::CreateDirectly => tasks.extend(self.create_tasks(
                kind,
                unknown,
                CreateMode::New {
                    looked_up: false,
                    heals: 0,
                },
            )),
            NewRecords::LookUpFirst | NewRecords::LearnWorkspace => {
                if self.known.populated(kind) == Some(true) && !unknown.is_empty() {
                    self.first_syncs.insert(kind);
                }
                tasks.extend(self.lookup_tasks(kind, unknown, 0));
            }
        }
        tasks
    }

    /// `records` in create tasks of one batch each, no unique value twice in a batch.
    fn create_tasks(
        &self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        mode: CreateMode,
    ) -> Vec<Task> {
        strategy::batches_without_repeats(records, self.batch.size(), |record| {
            strategy::match_key(kind, &record.body).map(|(_, value)| value)
        })
        .into_iter()
        .map(|records| Task::Create { records, mode })
        .collect()
    }

    /// Marks the first sync of an object done (remembered) once none of its records is pending
    /// any more: later new records are created at once, only a refused batch is looked up.
    fn note_first_syncs_done(&mut self) -> Result<(), EngineError> {
        let mut done = Vec::new();
        for kind in self.first_syncs.iter().copied() {
            if !self.store.has_pending(kind)? {
                done.push(kind);
            }
        }
        for kind in done {
            self.first_syncs.remove(&kind);
            self.learn(ServerFact::WorkspacePopulated {
                kind,
                populated: false,
            })?;
        }
        Ok(())
    }

    /// Remembers `fact` of this server (when it is news) for every later round and process.
    fn learn(&mut self, fact: ServerFact) -> Result<(), EngineError> {
        let news =
            self.store
                .learn_server_facts(self.client.base_url(), &self.known, vec![fact])?;
        for fact in &news {
            self.known.learn(fact);
        }
        Ok(())
    }

    /// Uses from now on what an upsert probe taught, and remembers it for every later process
    /// when it is about the server.
    fn learn_upsert(&mut self, support: UpsertSupport, remember: bool) -> Result<(), EngineError> {
        let changed = self.upsert != support;
        self.upsert = support;
        if changed {
            tracing::info!(
                server = self.client.base_url(),
                applies = support == UpsertSupport::Supported,
                "learned whether Twenty applies ?upsert=true"
            );
        }
        if remember && support != UpsertSupport::Unknown {
            self.learn(ServerFact::UpsertApplies(
                support == UpsertSupport::Supported,
            ))?;
        }
        Ok(())
    }

    /// From now on batches of at most `largest` records (remembered for this server).
    fn learn_batch(&mut self, largest: usize) -> Result<(), EngineError> {
        self.batch.learn(largest);
        tracing::info!(
            server = self.client.base_url(),
            largest = self.batch.size(),
            "Twenty refused a batch as too large; sending smaller ones"
        );
        match self.batch.learned() {
            Some(size) => self.learn(ServerFact::MaxBatch(size)),
            None => Ok(()),
        }
    }

    /// Parks a record whose push failed for a reason retrying will not fix (one refused
    /// because of a field says which and what to do, see `collisions`).
    fn park(&mut self, item: &WorkItem, error: &TwentyError) -> Result<(), EngineError> {
        let event = self.parked_failure(item, error);
        self.record(vec![event])
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
            | Event::RecordAdopted { .. }
            | Event::PushFailed {
                retryable: true,
                ..
            }
    )
}

/// A work item with its wire body: every field for a record not mapped yet, only the fields
/// that changed since the last push for a mapped one (with every field kept aside); people get
/// their company's Twenty id when it is known.
fn outgoing(item: WorkItem, company_ids: &HashMap<String, String>) -> Outgoing {
    let company_id = match item.key.kind {
        EntityKind::Company => None,
        EntityKind::Person => item
            .intent
            .fields
            .company_external_id
            .as_ref()
            .and_then(|id| company_ids.get(id))
            .map(String::as_str),
    };
    let body = |fields| wire::record_body(&item.key.external_id, fields, company_id);
    let whole = body(item.values.body());
    match item.changed_fields() {
        Some(changed) => {
            let changed = body(changed);
            Outgoing::new(changed, Some(whole), item)
        }
        None => Outgoing::new(whole, None, item),
    }
}

fn success(item: &WorkItem, twenty_id: &str, outcome: PushOutcome) -> Event {
    Event::PushSucceeded {
        intent_id: item.intent.id,
        key: item.key.clone(),
        twenty_id: twenty_id.to_string(),
        outcome,
        fields_hash: item.fields_hash,
        field_hashes: item.field_hashes.clone(),
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
