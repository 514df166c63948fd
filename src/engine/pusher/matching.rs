//! New records matched against Twenty: one lookup per batch by `externalId` (and by e-mail or
//! domain when adopting), each record then skipped, updated, adopted, parked as a conflict or
//! created ([`strategy::after_match`]); the matched records sent together as one upsert where
//! that is safe, else the plain way; adoptions; and the upsert probes (with a known record, with a
//! record just created, with an adoption).

use std::collections::HashMap;

use super::execute::{adopted_event, Matched, Outgoing, Task};
use super::{failure_saying, success, Pusher};
use crate::domain::{EntityKind, Event, PushOutcome, ServerFact};
use crate::engine::decide::{self, AfterRefusedUpdate, ProbeVerdict, UpsertSupport};
use crate::engine::strategy::{self, AfterMatch, CreateMode, MatchedRecords, MAX_HEALS};
use crate::engine::{batching, conflict, EngineError};
use crate::twenty::{wire, ErrorKind, RemoteRecord, TwentyError};

impl Pusher {
    /// `records` in lookup tasks: at most a batch each, and each lookup within one URL.
    pub(super) fn lookup_tasks(
        &self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        heals: u8,
    ) -> Vec<Task> {
        let adopts = self.adopts();
        let path = adopts.then(|| strategy::match_path(kind));
        let base = wire::lookup_base_len(kind, path);
        let cost = |record: &Outgoing| {
            let id = wire::listed_len(&record.item.key.external_id);
            let value = strategy::match_key(kind, &record.body)
                .filter(|_| adopts)
                .map_or(0, |(_, value)| wire::listed_len(&value));
            id + value
        };
        batching::within_url(records, self.batch.size(), base, cost)
            .into_iter()
            .map(|records| Task::LookUp { records, heals })
            .collect()
    }

    /// Looks a batch of records up in one request and decides for each one what follows.
    pub(super) async fn look_up(
        &mut self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        heals: u8,
    ) -> Result<Vec<Task>, EngineError> {
        let adopts = self.adopts();
        let keys: Vec<Option<(&'static str, String)>> = records
            .iter()
            .map(|record| strategy::match_key(kind, &record.body).filter(|_| adopts))
            .collect();
        let ids: Vec<String> = records
            .iter()
            .map(|r| r.item.key.external_id.clone())
            .collect();
        let values: Vec<String> = keys.iter().flatten().map(|(_, v)| v.clone()).collect();
        let by_value = adopts.then(|| (strategy::match_path(kind), values.as_slice()));
        let found = self
            .client
            .find_matching(kind, &ids, by_value)
            .await
            .map_err(decide::classify)?;
        let mut by_id: HashMap<String, RemoteRecord> = HashMap::new();
        let mut holders: HashMap<String, RemoteRecord> = HashMap::new();
        for remote in found {
            if let Some(value) = wire::text_at(&remote.raw, strategy::match_path(kind)) {
                holders
                    .entry(comparable(value))
                    .or_insert_with(|| remote.clone());
            }
            if let Some(id) = remote.external_id.clone() {
                by_id.entry(id).or_insert(remote);
            }
        }

        let mut events = Vec::new();
        let mut matched = Vec::new();
        // Twenty records adopted by an earlier record of this batch, by the adopting external id.
        let mut claimed: HashMap<String, String> = HashMap::new();
        let mut adopted_any = false;
        for (mut record, key) in records.into_iter().zip(keys) {
            let holder = key.as_ref().and_then(|(_, value)| holders.get(value));
            let ours = by_id.get(&record.item.key.external_id);
            let mut decision =
                strategy::after_match(kind, &record.body, ours, holder, key.as_ref());
            if let (AfterMatch::Adopt(adoption), Some(holder)) = (&decision, holder) {
                let ours = record.item.key.external_id.clone();
                if let Some(first) = claimed.insert(adoption.twenty_id.clone(), ours) {
                    // An earlier record of this batch adopts it: it holds that one's id now.
                    let taken = RemoteRecord {
                        external_id: Some(first),
                        ..holder.clone()
                    };
                    decision =
                        strategy::after_match(kind, &record.body, None, Some(&taken), key.as_ref());
                }
            }
            match decision {
                AfterMatch::AlreadyThere(id) => {
                    events.push(success(&record.item, &id, PushOutcome::Updated))
                }
                AfterMatch::Update(id) => {
                    record.matched = Some(Matched::Found(id));
                    matched.push(record);
                }
                AfterMatch::Adopt(adoption) => {
                    adopted_any = true;
                    record.matched = Some(Matched::Adopt(adoption));
                    matched.push(record);
                }
                AfterMatch::Conflict {
                    conflict,
                    ours_exists,
                } => {
                    let message = conflict::message(kind, &conflict, ours_exists);
                    let error = TwentyError::new(ErrorKind::Duplicate, None, message.clone());
                    events.push(failure_saying(&record.item, &error, message, false));
                    events.push(Event::ConflictFound {
                        intent_id: record.item.intent.id,
                        key: record.item.key.clone(),
                        conflict,
                    });
                }
                AfterMatch::Create => matched.push(record),
            }
        }
        self.record(events)?;
        if heals > 0 && adopted_any {
            // A refused batch held records to adopt: the workspace holds records we did not
            // know of; look the next batches up first until they are synced.
            self.learn(ServerFact::WorkspacePopulated {
                kind,
                populated: true,
            })?;
            self.first_syncs.insert(kind);
        }
        if matched.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Task::SendMatched {
            records: matched,
            heals,
        }])
    }

    /// Sends looked-up records as [`strategy::send_matched`] says.
    pub(super) fn send_matched(
        &self,
        kind: EntityKind,
        records: Vec<Outgoing>,
        heals: u8,
    ) -> Vec<Task> {
        let adoptions = records
            .iter()
            .any(|r| matches!(r.matched, Some(Matched::Adopt(_))));
        let unique = self.known.external_id_unique(kind);
        match strategy::send_matched(self.upsert, unique, self.adopts(), adoptions) {
            MatchedRecords::UpsertAll => records
                .chunks(self.batch.size())
                .map(|chunk| Task::Create {
                    records: chunk.to_vec(),
                    mode: CreateMode::Matched,
                })
                .collect(),
            MatchedRecords::ProbeWithAdoption => {
                let mut records = records;
                let at = records
                    .iter()
                    .position(|r| matches!(r.matched, Some(Matched::Adopt(_))))
                    .unwrap_or(0);
                let first = records.remove(at);
                let mut tasks = vec![Task::Adopt {
                    record: first,
                    probe: true,
                }];
                if !records.is_empty() {
                    tasks.push(Task::SendMatched { records, heals });
                }
                tasks
            }
            MatchedRecords::Plainly => {
                let (new, known): (Vec<Outgoing>, Vec<Outgoing>) =
                    records.into_iter().partition(|r| r.matched.is_none());
                let mut tasks = self.create_tasks(kind, new, CreateMode::looked_up(heals));
                tasks.extend(known.into_iter().map(super::execute::plain_task));
                tasks
            }
        }
    }

    /// Adopts the Twenty record a new record matched: one upsert when `probe` (it also teaches
    /// whether upserts apply: the adopted record comes back, or a duplicate refusal says they
    /// are ignored), else a patch of that record with our `externalId` and fields.
    pub(super) async fn adopt(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
        probe: bool,
    ) -> Result<Vec<Task>, EngineError> {
        let Some(Matched::Adopt(adoption)) = record.matched.clone() else {
            return Ok(vec![super::execute::plain_task(record)]);
        };
        if probe {
            let answer = self.upsert_one(kind, &record).await;
            let verdict = decide::upsert_probe(answer.as_deref(), &adoption.twenty_id);
            if let Some((support, remember)) = verdict.lesson() {
                self.learn_upsert(support, remember)?;
            }
            return match (verdict, answer) {
                (ProbeVerdict::StopRound, Err(error)) => Err(decide::classify(error)),
                (ProbeVerdict::Applies, Ok(id)) => {
                    self.record(vec![
                        adopted_event(&record.item, &adoption),
                        success(&record.item, &id, PushOutcome::Updated),
                    ])?;
                    Ok(Vec::new())
                }
                (ProbeVerdict::CreatedAnother, Ok(id)) => {
                    self.record(vec![success(&record.item, &id, PushOutcome::Created)])?;
                    Ok(Vec::new())
                }
                _ => Ok(vec![Task::Adopt {
                    record,
                    probe: false,
                }]),
            };
        }
        let key = record.idempotency_key();
        let error = match self
            .client
            .update(kind, &adoption.twenty_id, &record.body, &key)
            .await
        {
            Ok(remote) => {
                if kind == EntityKind::Company {
                    self.companies
                        .insert(record.item.key.external_id.clone(), remote.id.clone());
                }
                self.record(vec![
                    adopted_event(&record.item, &adoption),
                    success(&record.item, &remote.id, PushOutcome::Updated),
                ])?;
                return Ok(Vec::new());
            }
            Err(error) => error,
        };
        match decide::after_refused_update(&error) {
            // Gone meanwhile: nothing holds our value any more; create the record.
            AfterRefusedUpdate::LookUpAgain => {
                let mut fresh = record;
                fresh.matched = None;
                Ok(vec![Task::Create {
                    records: vec![fresh],
                    mode: CreateMode::looked_up(MAX_HEALS),
                }])
            }
            AfterRefusedUpdate::Park => {
                self.park_refused(kind, &record, &error, None).await?;
                Ok(Vec::new())
            }
            AfterRefusedUpdate::StopRound { count_attempt } => {
                Err(self.stop_round(std::iter::once(&record.item), error, count_attempt))
            }
        }
    }

    /// Upserts one known record to learn whether the server applies upserts: it either updates
    /// the record (they do) or fails as a duplicate of itself (they are ignored, which the patch
    /// that follows confirms before it is remembered).
    pub(super) async fn probe_upsert(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
    ) -> Result<Vec<Task>, EngineError> {
        let mapped_id = record.mapped_id();
        let answer = self.upsert_one(kind, &record).await;
        let verdict = decide::upsert_probe(answer.as_deref(), &mapped_id);
        let mut lesson = None;
        match verdict.lesson() {
            Some((UpsertSupport::Unsupported, true)) => lesson = Some(UpsertSupport::Unsupported),
            Some((support, remember)) => self.learn_upsert(support, remember)?,
            None => {}
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
            // Ignored or avoided: the record still needs its update (which, when the upsert was
            // refused as a duplicate of itself, confirms that upserts are ignored here).
            _ => {
                if lesson.is_some() {
                    // Not before the patch confirms it: patch the rest one by one meanwhile.
                    self.upsert = UpsertSupport::Unsupported;
                }
                Ok(vec![Task::Update {
                    record,
                    twenty_id: mapped_id,
                    tries: 0,
                    lesson,
                }])
            }
        }
    }

    /// Sends again, as an upsert, a record just created at `twenty_id`: it comes back as the same
    /// record where upserts apply, and is refused as a duplicate of itself where they are
    /// ignored. Nothing is recorded of the record; a failure teaches nothing and stops nothing.
    pub(super) async fn probe_after_create(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
        twenty_id: String,
    ) -> Result<Vec<Task>, EngineError> {
        if self.upsert != UpsertSupport::Unknown {
            return Ok(Vec::new());
        }
        let answer = self.upsert_one(kind, &record).await;
        match decide::upsert_probe(answer.as_deref(), &twenty_id) {
            ProbeVerdict::Applies => self.learn_upsert(UpsertSupport::Supported, true)?,
            ProbeVerdict::Ignored => self.learn_upsert(UpsertSupport::Unsupported, true)?,
            verdict => tracing::debug!(?verdict, "the upsert probe taught nothing"),
        }
        Ok(Vec::new())
    }

    /// `POST /rest/batch/{plural}?upsert=true` of one record: the id it came back with.
    async fn upsert_one(&self, kind: EntityKind, record: &Outgoing) -> Result<String, TwentyError> {
        self.client
            .create_batch(
                kind,
                std::slice::from_ref(&record.body),
                &record.idempotency_key(),
                true,
            )
            .await
            .map(|records| records.first().map(|r| r.id.clone()).unwrap_or_default())
    }
}

/// A unique value as lookups compare it: e-mail addresses in any case, anything else exactly.
fn comparable(value: &str) -> String {
    if value.contains('@') {
        value.to_lowercase()
    } else {
        value.to_string()
    }
}
