//! The record writes of [`TwentyClient`]: batch create (and upsert), update. The lookups live in
//! `lookup`.

use std::collections::{HashMap, VecDeque};

use reqwest::Method;
use serde_json::Value;

use super::client::{Call, TwentyClient};
use super::error::TwentyError;
use super::wire;
use super::RemoteRecord;
use crate::domain::EntityKind;

impl TwentyClient {
    /// `POST /rest/batch/{plural}` (with `?upsert=true` when `upsert`): creates the records in
    /// one all-or-nothing request and returns them in input order. Callers keep batches within what
    /// the server takes and without repeated external ids. The Aug-2025 build ignores `upsert`.
    pub async fn create_batch(
        &self,
        kind: EntityKind,
        records: &[Value],
        idempotency_key: &str,
        upsert: bool,
    ) -> Result<Vec<RemoteRecord>, TwentyError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut path = format!("/rest/batch/{}", wire::plural(kind));
        if upsert {
            path.push_str("?upsert=true");
        }
        let body = Value::Array(records.to_vec());
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::POST, path, &body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        let created = wire::parse_batch(kind, &response).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                &format!(
                    "the answer has neither data.{} nor data.{}",
                    wire::batch_create_key(kind),
                    wire::plural(kind)
                ),
                &self.redactor,
            )
        })?;
        if created.len() != records.len() {
            return Err(TwentyError::unexpected(
                status,
                &format!(
                    "{} records came back for {} sent",
                    created.len(),
                    records.len()
                ),
                &self.redactor,
            ));
        }
        let created = created
            .into_iter()
            .map(RemoteRecord::from_value)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                TwentyError::unexpected(status, "a created record has no id", &self.redactor)
            })?;
        in_input_order(records, created).ok_or_else(|| {
            TwentyError::unexpected(
                status,
                "the created records do not match the external ids sent",
                &self.redactor,
            )
        })
    }

    /// `PATCH /rest/{plural}/{id}` with `body`; returns the updated record.
    pub async fn update(
        &self,
        kind: EntityKind,
        twenty_id: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> Result<RemoteRecord, TwentyError> {
        let twenty_id = twenty_id.trim();
        if twenty_id.is_empty() {
            return Err(TwentyError::invalid(
                "cannot update a Twenty record without its id",
            ));
        }
        let path = format!(
            "/rest/{}/{}",
            wire::plural(kind),
            wire::encode_query_value(twenty_id)
        );
        let call = Call {
            idempotency_key: Some(idempotency_key),
            ..Call::with_body(Method::PATCH, path, body, self.retry)
        };
        let (status, response) = self.execute(call).await?;
        wire::parse_update(kind, &response)
            .and_then(RemoteRecord::from_value)
            .ok_or_else(|| {
                TwentyError::unexpected(
                    status,
                    &format!(
                        "the answer has no data.{} with an id",
                        wire::update_key(kind)
                    ),
                    &self.redactor,
                )
            })
    }
}

/// Puts the created records in the order of the records sent. Twenty answers in input order;
/// when every record sent and received carries an external id, that order is checked (and
/// restored if needed) by external id.
fn in_input_order(sent: &[Value], created: Vec<RemoteRecord>) -> Option<Vec<RemoteRecord>> {
    let sent_ids: Option<Vec<&str>> = sent.iter().map(wire::record_external_id).collect();
    let Some(sent_ids) = sent_ids else {
        return Some(created);
    };
    if created.iter().any(|r| r.external_id.is_none()) {
        return Some(created);
    }
    if sent_ids
        .iter()
        .zip(&created)
        .all(|(sent, got)| got.external_id.as_deref() == Some(*sent))
    {
        return Some(created);
    }
    let mut by_id: HashMap<String, VecDeque<RemoteRecord>> = HashMap::new();
    for record in created {
        let key = record.external_id.clone().unwrap_or_default();
        by_id.entry(key).or_default().push_back(record);
    }
    sent_ids
        .iter()
        .map(|id| by_id.get_mut(*id).and_then(VecDeque::pop_front))
        .collect()
}
