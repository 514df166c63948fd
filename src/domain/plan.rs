//! The push plan: for a window of pending records, decide what each one costs in requests, without
//! doing any of it. Unchanged records cost nothing; known records need an update; unknown records
//! must be resolved in Twenty (looked up, or upserted where the server supports it). Also what a
//! round of the queue settled ([`RoundOutcome`]), whichever upstream took it.

use super::fields::{record_values, FieldHashes, FieldValues};
use super::fields_hash;
use super::intent::{Intent, RecordKey};
use super::projection::{Mapping, PendingEntry};

/// One pending record with everything needed to decide about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub key: RecordKey,
    pub pending: PendingEntry,
    pub intent: Intent,
    pub mapping: Option<Mapping>,
    pub fields_hash: [u8; 16],
    /// Every field value the record is sent with (its fixed fields and its other values).
    pub values: FieldValues,
    /// The hash of each of those fields, recorded with a success.
    pub field_hashes: FieldHashes,
}

impl WorkItem {
    pub fn new(
        key: RecordKey,
        pending: PendingEntry,
        intent: Intent,
        mapping: Option<Mapping>,
    ) -> WorkItem {
        let fields_hash = fields_hash(intent.kind, &intent.fields, &intent.values);
        let values = record_values(intent.kind, &intent.fields, &intent.values);
        let field_hashes = values.hashes();
        WorkItem {
            key,
            pending,
            intent,
            mapping,
            fields_hash,
            values,
            field_hashes,
        }
    }
}

impl WorkItem {
    /// For a mapped record whose fields Twenty holds from us field by field: only the fields
    /// whose value changed since that push (an edit made in Twenty to another field survives).
    /// `None` when every field is to be sent (not mapped, or mapped before field hashes).
    pub fn changed_fields(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let mapping = self.mapping.as_ref()?;
        if mapping.field_hashes.is_empty() {
            return None;
        }
        Some(self.values.changed_body(&mapping.field_hashes))
    }
}

/// What to do with one window of records of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushPlan {
    /// Twenty already holds exactly these fields: record a skip, send nothing.
    pub unchanged: Vec<WorkItem>,
    /// Known in Twenty (mapped) with changed fields.
    pub changed: Vec<WorkItem>,
    /// Not mapped yet: look up by external id, then create what is missing.
    pub unknown: Vec<WorkItem>,
}

impl PushPlan {
    pub fn is_empty(&self) -> bool {
        self.unchanged.is_empty() && self.changed.is_empty() && self.unknown.is_empty()
    }
}

/// What a round of the queue did, pushed to Twenty or forwarded to a relay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    /// Records settled this round (pushed, skipped, forwarded or parked).
    pub settled: usize,
    /// Nothing was pending when the round started.
    pub idle: bool,
}

impl RoundOutcome {
    /// The round of an empty queue.
    pub const IDLE: RoundOutcome = RoundOutcome {
        settled: 0,
        idle: true,
    };

    /// A round that settled `settled` records.
    pub fn settled(settled: usize) -> RoundOutcome {
        RoundOutcome {
            settled,
            idle: false,
        }
    }
}

/// Sorts a window into unchanged, changed and unknown records, keeping log order in each.
pub fn plan(items: Vec<WorkItem>) -> PushPlan {
    let mut plan = PushPlan::default();
    for item in items {
        match &item.mapping {
            Some(mapping) if mapping.fields_hash == item.fields_hash => plan.unchanged.push(item),
            Some(_) => plan.changed.push(item),
            None => plan.unknown.push(item),
        }
    }
    plan
}

/// The distinct company external ids that the people of a window refer to, in first-seen order.
pub fn referenced_companies(people: &[WorkItem]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    people
        .iter()
        .filter_map(|item| item.intent.fields.company_external_id.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

#[cfg(test)]
mod tests;
