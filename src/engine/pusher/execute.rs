//! The executor of a round's record-level work: a stack of [`Task`]s, each one request (or a few)
//! to Twenty whose answer [`decide`] and [`strategy`] turn into follow-up tasks. Follow-ups run
//! before the tasks queued after their parent, so requests go out in the order a depth-first push
//! takes: a refused batch's lookup (or halves), then its conflicts (`collisions`), then the next
//! batch.

use serde_json::Value;

use super::{batch_key, success, Pusher};
use crate::domain::plan::WorkItem;
use crate::domain::{EntityKind, Event, PushOutcome};
use crate::engine::batching;
use crate::engine::decide::{
    self, AfterRefusedUpdate, AfterUpdateLookup, KnownRecords, UpsertSupport, CONFLICT_TRIES,
};
use crate::engine::strategy::{self, Adoption, AfterRefusedBatch, CreateMode, MAX_HEALS};
use crate::engine::EngineError;
use crate::twenty::{wire, RemoteRecord, TwentyError};

/// A record with the body it is sent with, and what a lookup found for it.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    pub item: WorkItem,
    /// What is sent: every field, or for a mapped record only the fields that changed.
    pub body: Value,
    /// Every field, when `body` holds only the changed ones (see [`Outgoing::whole`]).
    pub whole_body: Option<Value>,
    pub matched: Option<Matched>,
}

/// What a lookup found in Twenty for a record that is not mapped yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Matched {
    /// The record holding our `externalId` (with other fields).
    Found(String),
    /// A record without an `externalId` holding our e-mail or domain, to adopt.
    Adopt(Adoption),
}

impl Outgoing {
    /// A record sent with `body`; `whole_body` when `body` holds only the fields that changed.
    pub(super) fn new(body: Value, whole_body: Option<Value>, item: WorkItem) -> Outgoing {
        Outgoing {
            item,
            body,
            whole_body,
            matched: None,
        }
    }

    /// The record sent with every field: for a record that is not (or no longer) the one our
    /// mapping's hashes describe — re-created after a deletion in Twenty, found at another id.
    pub(super) fn whole(mut self) -> Outgoing {
        if let Some(whole) = self.whole_body.take() {
            self.body = whole;
        }
        self
    }

    /// Whether only the changed fields are sent.
    pub(super) fn is_partial(&self) -> bool {
        self.whole_body.is_some()
    }

    /// The Twenty id our mapping holds (empty when not mapped).
    pub(super) fn mapped_id(&self) -> String {
        self.item
            .mapping
            .as_ref()
            .map(|m| m.twenty_id.clone())
            .unwrap_or_default()
    }

    pub(super) fn idempotency_key(&self) -> String {
        wire::idempotency_key(self.item.intent.id)
    }

    /// How a successful upsert or create of this record is recorded, given the id it came back
    /// with: an adoption (when it came back as the adopted record), an update, or a create.
    fn outcome(&self, upsert: bool, returned: &str) -> (PushOutcome, Option<&Adoption>) {
        match &self.matched {
            Some(Matched::Adopt(adoption)) if adoption.twenty_id == returned => {
                (PushOutcome::Updated, Some(adoption))
            }
            Some(Matched::Found(id)) if id == returned => (PushOutcome::Updated, None),
            Some(_) => (PushOutcome::Created, None),
            None => (
                decide::created_outcome(upsert, self.item.mapping.is_some()),
                None,
            ),
        }
    }
}

/// One piece of a round's work.
pub(super) enum Task {
    /// Learn whether upserts apply, with a known record that has to be sent anyway.
    ProbeUpsert(Outgoing),
    /// Learn whether upserts apply by sending again, as an upsert, a record just created at
    /// `twenty_id` (nothing is recorded of it).
    ProbeAfterCreate { record: Outgoing, twenty_id: String },
    /// Known records: upserted in batches where upserts apply, else patched one by one;
    /// `verified`: upserts were just seen to apply.
    SendKnown {
        records: Vec<Outgoing>,
        verified: bool,
    },
    /// Records not mapped yet: looked up in one request by `externalId` (and e-mail or domain
    /// when adopting), then each one is skipped, updated, adopted, parked or created; `heals`:
    /// lookups after refusals done already for these records.
    LookUp { records: Vec<Outgoing>, heals: u8 },
    /// Looked-up records with what was found for them: upserted together where upserts apply,
    /// else created, patched and adopted the plain way.
    SendMatched { records: Vec<Outgoing>, heals: u8 },
    /// Create (or upsert) these records in one request.
    Create {
        records: Vec<Outgoing>,
        mode: CreateMode,
    },
    /// Patch one record at `twenty_id`; `tries` is the number of this update, from 0; `lesson`:
    /// what to learn of upserts once it succeeds.
    Update {
        record: Outgoing,
        twenty_id: String,
        tries: u32,
        lesson: Option<UpsertSupport>,
    },
    /// Adopt the record's match: as an upsert of this one record when `probe` (which also
    /// teaches whether upserts apply), else by a patch that sets our `externalId` and fields.
    Adopt { record: Outgoing, probe: bool },
    /// A create collided with `error`: look the record up again; `tries` is the number of this
    /// lookup, from 0.
    FindCollision {
        record: Outgoing,
        error: TwentyError,
        tries: u32,
    },
}

impl Pusher {
    /// Runs `tasks` of records of `kind`, and everything they lead to, until done or until one
    /// stops the round.
    pub(super) async fn execute(
        &mut self,
        kind: EntityKind,
        tasks: Vec<Task>,
    ) -> Result<(), EngineError> {
        let mut stack: Vec<Task> = tasks.into_iter().rev().collect();
        while let Some(task) = stack.pop() {
            let follow_ups = match task {
                Task::ProbeUpsert(record) => self.probe_upsert(kind, record).await?,
                Task::ProbeAfterCreate { record, twenty_id } => {
                    self.probe_after_create(kind, record, twenty_id).await?
                }
                Task::SendKnown { records, verified } => self.send_known(kind, records, verified),
                Task::LookUp { records, heals } => self.look_up(kind, records, heals).await?,
                Task::SendMatched { records, heals } => self.send_matched(kind, records, heals),
                Task::Create { records, mode } => self.create(kind, records, mode).await?,
                Task::Update {
                    record,
                    twenty_id,
                    tries,
                    lesson,
                } => self.update(kind, record, twenty_id, tries, lesson).await?,
                Task::Adopt { record, probe } => self.adopt(kind, record, probe).await?,
                Task::FindCollision {
                    record,
                    error,
                    tries,
                } => self.find_collision(kind, record, error, tries).await?,
            };
            stack.extend(follow_ups.into_iter().rev());
        }
        Ok(())
    }

    /// Known records, as the server's upsert support says.
    fn send_known(&self, kind: EntityKind, records: Vec<Outgoing>, verified: bool) -> Vec<Task> {
        match decide::send_known(self.upsert, self.known.external_id_unique(kind)) {
            KnownRecords::InBatches => records
                .chunks(self.batch.size())
                .map(|chunk| Task::Create {
                    records: chunk.to_vec(),
                    mode: CreateMode::Upsert { verified },
                })
                .collect(),
            KnownRecords::ProbeWithFirst | KnownRecords::OneByOne => records
                .into_iter()
                .map(|record| Task::Update {
                    twenty_id: record.mapped_id(),
                    record,
                    tries: 0,
                    lesson: None,
                })
                .collect(),
        }
    }

    /// Creates (or upserts) records in one request; a refusal is looked up, shrunk, bisected,
    /// resolved or parked as [`strategy::after_refused_batch`] says.
    async fn create(
        &mut self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        mode: CreateMode,
    ) -> Result<Vec<Task>, EngineError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let upsert = matches!(mode, CreateMode::Upsert { .. } | CreateMode::Matched);
        let bodies: Vec<Value> = records.iter().map(|r| r.body.clone()).collect();
        let key = batch_key(records.iter().map(|r| r.item.intent.id));
        let error = match self.client.create_batch(kind, &bodies, &key, upsert).await {
            Ok(created) => return self.created(kind, &records, &created, mode),
            Err(error) => error,
        };
        let accepted = batching::accepted_size(&error, records.len());
        match strategy::after_refused_batch(&error, records.len(), mode, accepted) {
            AfterRefusedBatch::Shrink(size) => {
                self.learn_batch(size)?;
                Ok(records
                    .chunks(self.batch.size())
                    .map(|chunk| Task::Create {
                        records: chunk.to_vec(),
                        mode,
                    })
                    .collect())
            }
            AfterRefusedBatch::LookUp => {
                let heals = mode.heals() + 1;
                Ok(self.lookup_tasks(kind, records, heals))
            }
            AfterRefusedBatch::Bisect => {
                let (left, right) = decide::bisect(records);
                Ok(vec![
                    Task::Create {
                        records: left,
                        mode,
                    },
                    Task::Create {
                        records: right,
                        mode,
                    },
                ])
            }
            AfterRefusedBatch::FindCollision => Ok(records
                .into_iter()
                .map(|record| Task::FindCollision {
                    record,
                    error: error.clone(),
                    tries: CONFLICT_TRIES - 1,
                })
                .collect()),
            AfterRefusedBatch::FallBack => Ok(records.into_iter().map(plain_task).collect()),
            AfterRefusedBatch::Reprobe => {
                let mut records = records;
                let first = records.remove(0);
                let mut tasks = vec![Task::ProbeUpsert(first)];
                if !records.is_empty() {
                    tasks.push(Task::SendKnown {
                        records,
                        verified: true,
                    });
                }
                Ok(tasks)
            }
            AfterRefusedBatch::Park => {
                for record in &records {
                    self.park_refused(kind, record, &error, None).await?;
                }
                Ok(Vec::new())
            }
            AfterRefusedBatch::StopRound { count_attempt } => {
                Err(self.stop_round(records.iter().map(|r| &r.item), error, count_attempt))
            }
        }
    }

    /// Records a successful batch: each record created, updated or adopted as it came back;
    /// then, the first time new records are created on a server whose upserts are not known,
    /// one of them is sent again as an upsert to learn it.
    fn created(
        &mut self,
        kind: EntityKind,
        records: &[Outgoing],
        created: &[RemoteRecord],
        mode: CreateMode,
    ) -> Result<Vec<Task>, EngineError> {
        let upsert = matches!(mode, CreateMode::Upsert { .. } | CreateMode::Matched);
        let mut events = Vec::new();
        let mut follow_up = Vec::new();
        for (record, remote) in records.iter().zip(created) {
            let (outcome, adopted) = record.outcome(upsert, &remote.id);
            if record.is_partial() && remote.id != record.mapped_id() {
                // An upsert of only the changed fields came back as another record than ours
                // (ours was deleted in Twenty, so one was created): it is patched with every
                // field before it counts as pushed.
                follow_up.push(Task::Update {
                    record: record.clone().whole(),
                    twenty_id: remote.id.clone(),
                    tries: 0,
                    lesson: None,
                });
                continue;
            }
            if let Some(adoption) = adopted {
                events.push(adopted_event(&record.item, adoption));
            }
            events.push(success(&record.item, &remote.id, outcome));
        }
        self.record(events)?;
        if kind == EntityKind::Company {
            for (record, remote) in records.iter().zip(created) {
                self.companies
                    .insert(record.item.key.external_id.clone(), remote.id.clone());
            }
        }
        let probe = matches!(mode, CreateMode::New { .. })
            && self.upsert == UpsertSupport::Unknown
            && self.known.external_id_unique(kind);
        if let (true, Some(record), Some(remote)) = (probe, records.first(), created.first()) {
            follow_up.push(Task::ProbeAfterCreate {
                record: record.clone(),
                twenty_id: remote.id.clone(),
            });
        }
        Ok(follow_up)
    }

    /// Patches one record. A record gone from Twenty (deleted there) loses its mapping and is
    /// looked up again, then re-created if it is really gone.
    async fn update(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
        twenty_id: String,
        tries: u32,
        lesson: Option<UpsertSupport>,
    ) -> Result<Vec<Task>, EngineError> {
        let key = record.idempotency_key();
        let error = match self
            .client
            .update(kind, &twenty_id, &record.body, &key)
            .await
        {
            Ok(remote) => {
                self.record(vec![success(
                    &record.item,
                    &remote.id,
                    PushOutcome::Updated,
                )])?;
                if let Some(support) = lesson {
                    self.learn_upsert(support, true)?;
                }
                return Ok(Vec::new());
            }
            Err(error) => error,
        };
        match decide::after_refused_update(&error) {
            AfterRefusedUpdate::LookUpAgain => {}
            AfterRefusedUpdate::Park => {
                self.park_refused(kind, &record, &error, None).await?;
                return Ok(Vec::new());
            }
            AfterRefusedUpdate::StopRound { count_attempt } => {
                return Err(self.stop_round(std::iter::once(&record.item), error, count_attempt));
            }
        }
        let item = &record.item;
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
        let found = self.find_again(kind, item, tries).await?;
        match decide::after_update_lookup(found, tries) {
            AfterUpdateLookup::UpdateAt(twenty_id) => Ok(vec![Task::Update {
                record: record.whole(),
                twenty_id,
                tries: tries + 1,
                lesson,
            }]),
            AfterUpdateLookup::Create => {
                let mut fresh = record.whole();
                fresh.item.mapping = None;
                fresh.matched = None;
                Ok(vec![Task::Create {
                    records: vec![fresh],
                    mode: CreateMode::looked_up(MAX_HEALS),
                }])
            }
            AfterUpdateLookup::GiveUp => {
                let error = TwentyError::invalid(format!(
                    "the record kept moving in Twenty after {CONFLICT_TRIES} tries; retry it later"
                ));
                self.park(&record.item, &error)?;
                Ok(Vec::new())
            }
        }
    }
}

/// One record of a refused upsert of matched records, sent the plain way: an update of the
/// record holding our `externalId`, an adopting patch, or a create.
pub(super) fn plain_task(record: Outgoing) -> Task {
    match record.matched.clone() {
        Some(Matched::Found(twenty_id)) => Task::Update {
            record,
            twenty_id,
            tries: 0,
            lesson: None,
        },
        Some(Matched::Adopt(_)) => Task::Adopt {
            record,
            probe: false,
        },
        None => Task::Create {
            records: vec![record],
            mode: CreateMode::looked_up(MAX_HEALS),
        },
    }
}

/// The event that says `item` adopted the Twenty record of `adoption`.
pub(super) fn adopted_event(item: &WorkItem, adoption: &Adoption) -> Event {
    Event::RecordAdopted {
        intent_id: item.intent.id,
        key: item.key.clone(),
        twenty_id: adoption.twenty_id.clone(),
        field: adoption.field.clone(),
        value: adoption.value.clone(),
    }
}
