//! The event log as people read it: one [`EventRow`] per event, with a sentence saying what
//! happened and its details as JSON (the Activity screen, `twenty-sync events`), and the count
//! wording every report shares.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::format_ms;
use crate::domain::{EntityKind, Envelope, Event, MetadataRoute, PushOutcome, ServerFact};
use crate::twenty::wire;

/// One event for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub seq: u64,
    pub id: String,
    pub recorded_at: String,
    pub kind: String,
    pub record_kind: Option<String>,
    pub external_id: Option<String>,
    pub summary: String,
    pub details: Value,
}

impl From<&Envelope> for EventRow {
    fn from(envelope: &Envelope) -> EventRow {
        let key = envelope.event.record_key();
        let (summary, details) = describe(&envelope.event);
        EventRow {
            seq: envelope.seq,
            id: envelope.id.to_string(),
            recorded_at: format_ms(envelope.recorded_at_ms),
            kind: envelope.event.kind_name().to_string(),
            record_kind: key.as_ref().map(|k| k.kind.as_str().to_string()),
            external_id: key.map(|k| k.external_id),
            summary,
            details,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe(event: &Event) -> (String, Value) {
    match event {
        Event::IntentRecorded(intent) => (
            format!(
                "upsert {} {} ({}) from {}",
                intent.kind,
                intent.external_id,
                intent.fields.name.as_deref().unwrap_or(""),
                intent.source.describe()
            ),
            json!({
                "intent_id": intent.id.to_string(),
                "fields": intent.fields,
                "values": intent.values.to_wire(),
                "source": intent.source.describe(),
            }),
        ),
        Event::PushSucceeded {
            intent_id,
            key,
            twenty_id,
            outcome,
            fields_hash,
            field_hashes,
        } => (
            format!("{} {key} in Twenty as {twenty_id}", outcome_name(*outcome)),
            json!({
                "intent_id": intent_id.to_string(),
                "twenty_id": twenty_id,
                "outcome": outcome_name(*outcome),
                "fields_hash": hex(fields_hash),
                "fields_pushed": field_hashes.keys().collect::<Vec<_>>(),
            }),
        ),
        Event::PushSkipped { intent_id, key } => (
            format!("skipped {key}: unchanged since the last push"),
            json!({ "intent_id": intent_id.to_string() }),
        ),
        Event::PushFailed {
            intent_id,
            key,
            code,
            message,
            attempt,
            retryable,
        } => (
            format!(
                "push of {key} failed ({}): {message}{}",
                code.as_str(),
                if *retryable {
                    " (will retry)"
                } else {
                    " (parked)"
                }
            ),
            json!({
                "intent_id": intent_id.to_string(),
                "code": code.as_str(),
                "message": message,
                "attempt": attempt,
                "retryable": retryable,
            }),
        ),
        Event::RetryRequested { key } => (format!("retry requested for {key}"), json!({})),
        Event::MappingInvalidated { key, twenty_id } => (
            format!("mapping of {key} to {twenty_id} dropped: the record is gone from Twenty"),
            json!({ "twenty_id": twenty_id }),
        ),
        Event::ImportCompleted(summary) => (
            if summary.duplicate_of_earlier_import {
                format!(
                    "import of {}: same content as an earlier import, nothing new",
                    summary.file_name
                )
            } else {
                format!(
                    "import of {}: {} read, {} recorded, {} invalid",
                    summary.file_name,
                    plural(summary.rows_read, "row"),
                    count(summary.recorded),
                    count(summary.invalid)
                )
            },
            serde_json::to_value(summary).unwrap_or(Value::Null),
        ),
        Event::ConfigChanged(change) => {
            let mut names: Vec<&str> = change.values.iter().map(|(k, _)| k.as_str()).collect();
            names.extend(change.secrets.iter().map(|(k, _)| k.as_str()));
            (
                format!(
                    "settings changed by {}: {}",
                    change.updated_by,
                    names.join(", ")
                ),
                // Values only: secrets are named, never carried.
                json!({
                    "values": change.values.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                    "secrets": change.secrets.iter().map(|(k, stored)| (k.clone(), if *stored { "stored" } else { "removed" })).collect::<std::collections::BTreeMap<_, _>>(),
                    "created_by": change.created_by,
                    "updated_by": change.updated_by,
                    "created_at": format_ms(change.created_at_ms),
                    "updated_at": format_ms(change.updated_at_ms),
                }),
            )
        }
        Event::ForwardedToRelay {
            intent_id,
            key,
            already_accepted,
        } => (
            if *already_accepted {
                format!("{key} was already accepted by the relay")
            } else {
                format!("{key} accepted by the relay")
            },
            json!({ "intent_id": intent_id.to_string(), "already_accepted": already_accepted }),
        ),
        Event::ImportProgress(checkpoint) => (
            format!(
                "import of {}: {} recorded so far (through row {})",
                checkpoint.file_name,
                count(checkpoint.recorded),
                count(checkpoint.through_row)
            ),
            serde_json::to_value(checkpoint).unwrap_or(Value::Null),
        ),
        Event::DropEntryLeftAlone { name, reason } => (
            crate::import::drop::left_alone_message(name, reason),
            json!({ "name": name, "reason": reason }),
        ),
        Event::ImportNoted(notes) => (
            describe_notes(notes),
            serde_json::to_value(notes).unwrap_or(Value::Null),
        ),
        Event::ServerLearned { server, fact } => (
            format!(
                "learned about the Twenty server at {server}: {}",
                describe_fact(fact)
            ),
            json!({ "server": server, "fact": fact }),
        ),
        Event::ConflictFound {
            intent_id,
            key,
            conflict,
        } => (
            format!(
                "{key} collides in Twenty on {} \"{}\" with {}",
                conflict.field,
                conflict.value,
                describe_holder(key.kind, conflict.holder.as_ref())
            ),
            json!({ "intent_id": intent_id.to_string(), "conflict": conflict }),
        ),
        Event::FailureDismissed { intent_id, key, by } => (
            format!("failure of {key} dismissed by {by}: it waits for a newer intent"),
            json!({ "intent_id": intent_id.to_string(), "by": by }),
        ),
        Event::RecordLinked {
            intent_id,
            key,
            twenty_id,
            by,
        } => (
            format!(
                "{key} linked by {by} to Twenty record {twenty_id}: pushed again to set its externalId"
            ),
            json!({ "intent_id": intent_id.to_string(), "twenty_id": twenty_id, "by": by }),
        ),
        Event::RecordAdopted {
            intent_id,
            key,
            twenty_id,
            field,
            value,
        } => (
            format!(
                "{key} adopted the Twenty record {twenty_id}, which had {field} \"{value}\" and \
                 no externalId"
            ),
            json!({ "intent_id": intent_id.to_string(), "twenty_id": twenty_id, "field": field, "value": value }),
        ),
    }
}

fn describe_holder(
    kind: crate::domain::EntityKind,
    holder: Option<&crate::domain::ConflictHolder>,
) -> String {
    let Some(holder) = holder else {
        return format!("a {kind} that was not found among Twenty's records");
    };
    let name = holder
        .name
        .as_deref()
        .map(|name| format!(" \"{name}\""))
        .unwrap_or_default();
    let external_id = match &holder.external_id {
        Some(id) => format!(", externalId {id}"),
        None => ", no externalId".to_string(),
    };
    let trash = if holder.in_trash {
        ", in the trash"
    } else {
        ""
    };
    format!("{kind}{name} ({}{external_id}{trash})", holder.twenty_id)
}

/// A count as a person reads it: `100,000`.
pub fn count(n: impl thousands::Separable) -> String {
    n.separate_with_commas()
}

/// A count and its noun: `1 row`, `100,000 rows`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

fn describe_notes(notes: &crate::domain::event::ImportNotes) -> String {
    let mut text = format!("import of {}", notes.file_name);
    if let Some(row) = notes.resumed_after_row {
        text.push_str(&format!(": resumed after row {}", count(row)));
    }
    match notes.warnings.as_slice() {
        [] if notes.resumed_after_row.is_none() => text.push_str(": started"),
        [] => {}
        [only] => text.push_str(&format!(": warning: {only}")),
        [first, rest @ ..] => text.push_str(&format!(": {} warnings: {first}; …", rest.len() + 1)),
    }
    text
}

fn describe_fact(fact: &ServerFact) -> String {
    match fact {
        ServerFact::ExternalIdField {
            kind,
            field_type,
            is_unique,
            ..
        } => format!(
            "{} have the externalId field ({field_type}{})",
            wire::plural(*kind),
            if *is_unique {
                ", unique"
            } else {
                ", not unique"
            }
        ),
        ServerFact::ExternalIdFieldForgotten { kind } => {
            format!(
                "the externalId field of {} is checked again",
                wire::plural(*kind)
            )
        }
        ServerFact::MetadataRoute(MetadataRoute::Graphql) => {
            "its data model is read through GraphQL".into()
        }
        ServerFact::MetadataRoute(MetadataRoute::Rest) => {
            "its data model is read through REST".into()
        }
        ServerFact::UpsertApplies(true) => "it applies upserts".into(),
        ServerFact::UpsertApplies(false) => "it ignores upserts".into(),
        ServerFact::MaxBatch(size) => format!("it takes {size} records per batch"),
        ServerFact::WorkspacePopulated {
            kind,
            populated: true,
        } => format!(
            "the workspace already holds {}: new ones are looked up before they are created",
            wire::plural(*kind)
        ),
        ServerFact::WorkspacePopulated {
            kind,
            populated: false,
        } => format!(
            "new {} are created at once (the workspace held none, or the first sync is done)",
            wire::plural(*kind)
        ),
        ServerFact::DataModelRead(model) => format!(
            "its data model was read: {} of companies, {} of people",
            plural(model.object(EntityKind::Company).len() as u64, "field"),
            plural(model.object(EntityKind::Person).len() as u64, "field"),
        ),
    }
}

fn outcome_name(outcome: PushOutcome) -> &'static str {
    match outcome {
        PushOutcome::Created => "created",
        PushOutcome::Updated => "updated",
    }
}
