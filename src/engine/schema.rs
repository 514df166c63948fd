//! The `externalId` schema of a Twenty server as the engine needs it: checked (and created where
//! the key may) before pushing, what was learned recorded as `ServerLearned` events, and
//! forgotten when a push says the field is gone.

use super::EngineError;
use crate::domain::projection::ServerKnowledge;
use crate::domain::{EntityKind, Event, ServerFact};
use crate::store::Store;
use crate::twenty::{wire, FieldRefusal, SchemaReport, TwentyClient};

/// Makes sure Twenty has the `externalId` field on people and companies, creating it if
/// allowed. What an earlier run learned of this server answers without a request; what this
/// check learns is recorded (`ServerLearned`) for the next one.
pub async fn ensure_schema(store: &Store, client: &TwentyClient) -> Result<(), EngineError> {
    let server = client.base_url().to_string();
    let known = store.server(&server)?;
    client.set_metadata_route(known.metadata_route);
    if EntityKind::ALL
        .iter()
        .all(|kind| known.external_id(*kind).is_some())
    {
        return Ok(());
    }
    let report = client
        .ensure_external_id_fields(true)
        .await
        .map_err(|error| {
            if error.is_retryable() {
                EngineError::Unreachable(error)
            } else {
                EngineError::Refused(error)
            }
        })?;
    remember_schema(store, &server, &known, &report)?;
    if report.is_ready() {
        return Ok(());
    }
    Err(EngineError::SchemaMissing(schema_missing_message(&report)))
}

/// Records what a schema check learned of `server` that was not known yet.
pub fn remember_schema(
    store: &Store,
    server: &str,
    known: &ServerKnowledge,
    report: &SchemaReport,
) -> Result<(), EngineError> {
    let mut facts: Vec<ServerFact> = report
        .present
        .iter()
        .map(|(kind, field)| ServerFact::ExternalIdField {
            kind: *kind,
            field_id: field.field_id.clone(),
            field_type: field.field_type.clone(),
            is_unique: field.is_unique,
        })
        .collect();
    facts.extend(report.route.map(ServerFact::MetadataRoute));
    store.learn_server_facts(server, known, facts)?;
    Ok(())
}

/// Forgets the `externalId` fields of `server` (a push said one is gone): the next round reads
/// the data model again.
pub fn forget_schema(store: &Store, server: &str) -> Result<(), EngineError> {
    let events: Vec<Event> = EntityKind::ALL
        .into_iter()
        .map(|kind| Event::ServerLearned {
            server: server.to_string(),
            fact: ServerFact::ExternalIdFieldForgotten { kind },
        })
        .collect();
    store.append(events)?;
    Ok(())
}

fn schema_missing_message(report: &SchemaReport) -> String {
    let objects = report
        .missing
        .iter()
        .map(|kind| wire::plural(*kind))
        .collect::<Vec<_>>()
        .join(" and ");
    let what = match &report.refusal {
        Some(FieldRefusal::Forbidden(twenty)) => format!(
            "the externalId field is missing on {objects} and Twenty refused to create it for \
             this API key (\"{twenty}\"): use a key whose role may change the data model, or \
             create a unique Text field named externalId in Settings → Data model"
        ),
        Some(FieldRefusal::Refused(twenty)) => format!(
            "the externalId field is missing on {objects} and Twenty refused to create it \
             (\"{twenty}\"): create a unique Text field named externalId in Settings → Data model"
        ),
        None => format!(
            "the externalId field is missing on {objects}: create a unique Text field named \
             externalId in Settings → Data model"
        ),
    };
    format!("{what}. Nothing is pushed until then; nothing is lost")
}
