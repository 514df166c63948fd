//! The conflicts of a round: a create that collided with a unique value is looked up again (it
//! may be our own record, created meanwhile, or in Twenty's trash, where an upsert restores it);
//! a record refused for good is parked, a duplicate with the record it collides with
//! ([`crate::engine::conflict`]: one lookup of the value), one refused because of a field with
//! the field named and what to do, and the data model read again once after such a round.

use super::execute::{Outgoing, Task};
use super::{failure, failure_saying, success, Pusher};
use crate::domain::plan::WorkItem;
use crate::domain::{Conflict, EntityKind, Event, PushOutcome, ServerFact};
use crate::engine::conflict;
use crate::engine::decide::{self, AfterCollisionLookup, AfterRefusedRestore, Disposition};
use crate::engine::EngineError;
use crate::twenty::{wire, ErrorCode, RemoteRecord, TwentyError};

impl Pusher {
    /// The failure a record is parked with: a refusal naming one of its fields says which and
    /// what to do, and marks the data model for reading again at the end of the round.
    pub(super) fn parked_failure(&mut self, item: &WorkItem, error: &TwentyError) -> Event {
        match decide::refused_field(error) {
            Some(field) => {
                self.model_stale = true;
                let said = error.server_message().unwrap_or_default();
                let message = decide::field_refusal_message(item.key.kind, &field, said);
                failure_saying(item, error, message, false)
            }
            None => failure(item, error, false),
        }
    }

    /// Reads the workspace's data model again (once, after a round in which Twenty refused a
    /// field) and records it when it changed, so the next mapping and `fields` see Twenty's
    /// fields as they are now. A failure to read it is logged; the round's outcome stands.
    pub(super) async fn refresh_stale_model(&mut self) {
        if !std::mem::take(&mut self.model_stale) {
            return;
        }
        match self.client.read_data_model().await {
            Ok(model) => match self.learn(ServerFact::DataModelRead(model)) {
                Ok(()) => tracing::info!(
                    server = self.client.base_url(),
                    "Twenty refused a field: read its data model again"
                ),
                Err(error) => tracing::warn!("could not record the data model: {error}"),
            },
            Err(error) => tracing::warn!(
                "Twenty refused a field, and its data model could not be read again: {error}"
            ),
        }
    }

    /// A create hit a duplicate: if it is our own `externalId` (someone, or a crashed earlier
    /// run, created it meanwhile), update that record instead; if it is in Twenty's trash,
    /// restore it; otherwise another unique field (email, domain) collides and the record is
    /// parked with the record it collides with.
    pub(super) async fn find_collision(
        &mut self,
        kind: EntityKind,
        record: Outgoing,
        error: TwentyError,
        tries: u32,
    ) -> Result<Vec<Task>, EngineError> {
        let found = self.find_again(kind, &record.item, tries).await?;
        match decide::after_collision_lookup(found, tries) {
            AfterCollisionLookup::UpdateFound(twenty_id) => {
                return Ok(vec![Task::Update {
                    record,
                    twenty_id,
                    tries: 0,
                    lesson: None,
                }])
            }
            AfterCollisionLookup::LookAgain => {
                return Ok(vec![Task::FindCollision {
                    record,
                    error,
                    tries: tries + 1,
                }])
            }
            AfterCollisionLookup::CheckTrash => {}
        }
        let in_trash = self
            .client
            .find_in_trash(kind, &record.item.key.external_id)
            .await
            .map_err(decide::classify)?;
        match in_trash {
            Some(trashed) if decide::restores_from_trash(true, self.upsert) => {
                self.restore(kind, &record, &trashed).await?
            }
            trashed => {
                self.park_refused(kind, &record, &error, trashed.as_ref())
                    .await?
            }
        }
        Ok(Vec::new())
    }

    /// Upserts a record that is in Twenty's trash (`trashed`), which restores and updates it.
    async fn restore(
        &mut self,
        kind: EntityKind,
        record: &Outgoing,
        trashed: &RemoteRecord,
    ) -> Result<(), EngineError> {
        let answer = self
            .client
            .create_batch(
                kind,
                std::slice::from_ref(&record.body),
                &record.idempotency_key(),
                true,
            )
            .await;
        match answer {
            Ok(records) => {
                let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
                self.record(vec![success(&record.item, &id, PushOutcome::Updated)])
            }
            Err(error) => match decide::after_refused_restore(&error) {
                AfterRefusedRestore::Park => {
                    self.park_refused(kind, record, &error, Some(trashed)).await
                }
                AfterRefusedRestore::StopRound => Err(decide::classify(error)),
            },
        }
    }

    /// Parks a record Twenty refused for good. A duplicate is parked with what it collides with
    /// (a `ConflictFound` after its `PushFailed`, whose message names it): the record holding
    /// the value is looked up once, unless it is known already (`trashed`: the record in the
    /// trash holding our `externalId`).
    pub(super) async fn park_refused(
        &mut self,
        kind: EntityKind,
        record: &Outgoing,
        error: &TwentyError,
        trashed: Option<&RemoteRecord>,
    ) -> Result<(), EngineError> {
        if error.code() != ErrorCode::Duplicate {
            return self.park(&record.item, error);
        }
        let Some(conflict) = self.find_conflict(kind, record, error, trashed).await? else {
            return self.park(&record.item, error);
        };
        let item = &record.item;
        let message = conflict::message(kind, &conflict, item.mapping.is_some());
        self.record(vec![
            failure_saying(item, error, message, false),
            Event::ConflictFound {
                intent_id: item.intent.id,
                key: item.key.clone(),
                conflict,
            },
        ])
    }

    /// What a duplicate collides with: the value Twenty names (else the record's own unique
    /// value) and the live record holding it. A lookup Twenty refuses leaves the holder unknown;
    /// one that cannot be sent stops the round (the record stays queued).
    async fn find_conflict(
        &mut self,
        kind: EntityKind,
        record: &Outgoing,
        error: &TwentyError,
        trashed: Option<&RemoteRecord>,
    ) -> Result<Option<Conflict>, EngineError> {
        let collision = conflict::collision(kind, error.server_message(), &record.body);
        if let Some(trashed) = trashed {
            if collision
                .as_ref()
                .is_none_or(|c| c.field == wire::EXTERNAL_ID_FIELD)
            {
                let external_id = &record.item.key.external_id;
                return Ok(Some(conflict::in_trash(external_id, trashed, kind)));
            }
        }
        let Some(collision) = collision else {
            return Ok(None);
        };
        let holder = match collision.lookup {
            None => None,
            Some(path) => match self
                .client
                .find_by_value(kind, path, &collision.value)
                .await
            {
                // Never our own record (an update colliding on another value).
                Ok(found) => found
                    .filter(|found| found.id != record.mapped_id())
                    .map(|found| conflict::holder(kind, &found)),
                Err(refused) if decide::disposition(&refused) == Disposition::Record => None,
                Err(other) => return Err(decide::classify(other)),
            },
        };
        Ok(Some(Conflict {
            field: collision.field,
            value: collision.value,
            holder,
        }))
    }

    /// Looks one record up by `externalId` after the conflict pause of try `tries`; its Twenty
    /// id if it is there.
    pub(super) async fn find_again(
        &mut self,
        kind: EntityKind,
        item: &WorkItem,
        tries: u32,
    ) -> Result<Option<String>, EngineError> {
        tokio::time::sleep(decide::conflict_pause(tries)).await;
        let found = self
            .client
            .find_by_external_ids(kind, std::slice::from_ref(&item.key.external_id))
            .await
            .map_err(decide::classify)?;
        Ok(found.into_iter().next().map(|remote| remote.id))
    }
}
