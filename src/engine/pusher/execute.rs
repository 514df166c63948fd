//! The executor of a round's record-level work: a stack of [`Task`]s, each one request (or a few)
//! to Twenty whose answer [`decide`] turns into follow-up tasks. Follow-ups run before the tasks
//! queued after their parent, so requests go out in the order a depth-first push takes: a refused
//! batch's halves, then its conflicts (`collisions`), then the next batch.

use std::collections::HashMap;

use serde_json::Value;

use super::{batch_key, success, Pusher};
use crate::domain::plan::WorkItem;
use crate::domain::{EntityKind, Event, PushOutcome};
use crate::engine::decide::{
    self, AfterLookup, AfterRefusedCreate, AfterRefusedUpdate, AfterUpdateLookup, KnownRecords,
    ProbeVerdict, CONFLICT_TRIES,
};
use crate::engine::EngineError;
use crate::twenty::{wire, RemoteRecord, TwentyError};

/// A record with the body it is sent with.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    pub item: WorkItem,
    pub body: Value,
}

impl Outgoing {
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
}

/// One piece of a round's work.
pub(super) enum Task {
    /// Learn whether upserts apply, with a known record that has to be sent anyway.
    ProbeUpsert(Outgoing),
    /// Known records: upserted in batches where upserts apply, else patched one by one.
    SendKnown(Vec<Outgoing>),
    /// Records not mapped yet: looked up by `externalId` in one request, then each one is
    /// skipped, patched or created.
    LookUp(Vec<Outgoing>),
    /// A looked-up record already holds these fields in Twenty: record it, send nothing.
    AlreadyThere { record: Outgoing, twenty_id: String },
    /// Create (or upsert) these records in one request.
    Create {
        records: Vec<Outgoing>,
        upsert: bool,
    },
    /// Patch one record at `twenty_id`; `tries` is the number of this update, from 0.
    Update {
        record: Outgoing,
        twenty_id: String,
        tries: u32,
    },
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
                Task::SendKnown(records) => self.send_known(records),
                Task::LookUp(records) => self.look_up(kind, records).await?,
                Task::AlreadyThere { record, twenty_id } => {
                    self.record(vec![success(
                        &record.item,
                        &twenty_id,
                        PushOutcome::Updated,
                    )])?;
                    Vec::new()
                }
                Task::Create { records, upsert } => self.create(kind, records, upsert).await?,
                Task::Update {
                    record,
                    twenty_id,
                    tries,
                } => self.update(kind, record, twenty_id, tries).await?,
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

    /// Upserts one known record to learn whether the server applies upserts: it either updates
    /// the record (they do) or fails as a duplicate of itself (they are ignored).
    async fn probe_upsert(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
    ) -> Result<Vec<Task>, EngineError> {
        let mapped_id = record.mapped_id();
        let answer = self
            .client
            .create_batch(
                kind,
                std::slice::from_ref(&record.body),
                &record.idempotency_key(),
                true,
            )
            .await;
        let answer =
            answer.map(|records| records.first().map(|r| r.id.clone()).unwrap_or_default());
        let verdict = decide::upsert_probe(answer.as_deref(), &mapped_id);
        match verdict {
            ProbeVerdict::Applies => tracing::info!(
                server = self.client.base_url(),
                "Twenty applies ?upsert=true: updates go in batches"
            ),
            ProbeVerdict::Ignored => tracing::info!(
                server = self.client.base_url(),
                "Twenty ignores ?upsert=true: updates go one by one"
            ),
            _ => {}
        }
        if let Some((support, remember)) = verdict.lesson() {
            self.learn_upsert(support, remember)?;
        }
        match (verdict, answer) {
            (ProbeVerdict::StopRound, Err(error)) => Err(decide::classify(error)),
            (ProbeVerdict::Applies | ProbeVerdict::CreatedAnother, Ok(returned_id)) => {
                let outcome = if verdict == ProbeVerdict::Applies {
                    PushOutcome::Updated
                } else {
                    PushOutcome::Created
                };
                self.record(vec![success(&record.item, &returned_id, outcome)])?;
                Ok(Vec::new())
            }
            // Ignored or avoided: the record still needs its update.
            _ => Ok(vec![Task::Update {
                record,
                twenty_id: mapped_id,
                tries: 0,
            }]),
        }
    }

    /// Known records, as the server's upsert support says.
    fn send_known(&self, records: Vec<Outgoing>) -> Vec<Task> {
        match decide::send_known(self.upsert) {
            KnownRecords::InBatches => records
                .chunks(self.batch_size)
                .map(|chunk| Task::Create {
                    records: chunk.to_vec(),
                    upsert: true,
                })
                .collect(),
            KnownRecords::ProbeWithFirst | KnownRecords::OneByOne => records
                .into_iter()
                .map(|record| Task::Update {
                    twenty_id: record.mapped_id(),
                    record,
                    tries: 0,
                })
                .collect(),
        }
    }

    /// Looks up a batch of unmapped records by `externalId`; what is missing is created in one
    /// request after the others.
    async fn look_up(
        &mut self,
        kind: EntityKind,
        records: Vec<Outgoing>,
    ) -> Result<Vec<Task>, EngineError> {
        let ids: Vec<String> = records
            .iter()
            .map(|r| r.item.key.external_id.clone())
            .collect();
        let found = self
            .client
            .find_by_external_ids(kind, &ids)
            .await
            .map_err(decide::classify)?;
        let found: HashMap<String, RemoteRecord> = found
            .into_iter()
            .filter_map(|remote| Some((remote.external_id.clone()?, remote)))
            .collect();
        let mut tasks = Vec::new();
        let mut missing = Vec::new();
        for record in records {
            let remote = found
                .get(&record.item.key.external_id)
                .map(|remote| (remote.id.as_str(), &remote.raw));
            match decide::after_lookup(remote, &record.body) {
                AfterLookup::AlreadyThere(id) => tasks.push(Task::AlreadyThere {
                    twenty_id: id.to_string(),
                    record,
                }),
                AfterLookup::Update(id) => tasks.push(Task::Update {
                    twenty_id: id.to_string(),
                    record,
                    tries: 0,
                }),
                AfterLookup::Create => missing.push(record),
            }
        }
        if !missing.is_empty() {
            tasks.push(Task::Create {
                records: missing,
                upsert: false,
            });
        }
        Ok(tasks)
    }

    /// Creates (or upserts) records in one request; a refusal is bisected, resolved or parked.
    async fn create(
        &mut self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        upsert: bool,
    ) -> Result<Vec<Task>, EngineError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let bodies: Vec<Value> = records.iter().map(|r| r.body.clone()).collect();
        let key = batch_key(records.iter().map(|r| r.item.intent.id));
        let error = match self.client.create_batch(kind, &bodies, &key, upsert).await {
            Ok(created) => {
                let events = records
                    .iter()
                    .zip(&created)
                    .map(|(record, remote)| {
                        let outcome =
                            decide::created_outcome(upsert, record.item.mapping.is_some());
                        success(&record.item, &remote.id, outcome)
                    })
                    .collect();
                self.record(events)?;
                if kind == EntityKind::Company {
                    for (record, remote) in records.iter().zip(&created) {
                        self.companies
                            .insert(record.item.key.external_id.clone(), remote.id.clone());
                    }
                }
                return Ok(Vec::new());
            }
            Err(error) => error,
        };
        match decide::after_refused_create(&error, records.len(), upsert) {
            AfterRefusedCreate::Bisect => {
                let (left, right) = decide::bisect(records);
                Ok(vec![
                    Task::Create {
                        records: left,
                        upsert,
                    },
                    Task::Create {
                        records: right,
                        upsert,
                    },
                ])
            }
            AfterRefusedCreate::ResolveDuplicate => Ok(records
                .into_iter()
                .map(|record| Task::FindCollision {
                    record,
                    error: error.clone(),
                    tries: 0,
                })
                .collect()),
            AfterRefusedCreate::Park => {
                for record in &records {
                    self.park_refused(kind, record, &error, None).await?;
                }
                Ok(Vec::new())
            }
            AfterRefusedCreate::StopRound { count_attempt } => {
                Err(self.stop_round(records.iter().map(|r| &r.item), error, count_attempt))
            }
        }
    }

    /// Patches one known record. A record gone from Twenty (deleted there) loses its mapping and
    /// is looked up again, then re-created if it is really gone.
    async fn update(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
        twenty_id: String,
        tries: u32,
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
                record,
                twenty_id,
                tries: tries + 1,
            }]),
            AfterUpdateLookup::Create => {
                let mut fresh = record;
                fresh.item.mapping = None;
                Ok(vec![Task::Create {
                    records: vec![fresh],
                    upsert: false,
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
