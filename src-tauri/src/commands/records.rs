//! Records: search, parked failures, retry one, retry all.

use serde_json::{json, Value};
use tauri::State;
use twenty_sync::app::queries::{self, RecordPage};
use twenty_sync::domain::{EntityKind, RecordKey};

use crate::dto::{CommandError, CommandResult, RecordsQuery};
use crate::state::AgentSlot;

#[tauri::command]
pub fn records(agent: State<'_, AgentSlot>, query: RecordsQuery) -> CommandResult<RecordPage> {
    let handle = agent.get()?.live.handle();
    let base_url = handle.settings().base_url;
    let text = query.q.unwrap_or_default();
    let limit = query.limit.unwrap_or(50);
    Ok(queries::search_records(
        handle.store(),
        &text,
        query.before,
        limit,
        base_url.as_deref(),
    )?)
}

#[tauri::command]
pub fn failed_records(agent: State<'_, AgentSlot>) -> CommandResult<Value> {
    let handle = agent.get()?.live.handle();
    let base_url = handle.settings().base_url;
    let rows = queries::failed_records(handle.store(), 200, base_url.as_deref())?;
    Ok(json!({ "rows": rows }))
}

#[tauri::command]
pub fn retry_record(
    agent: State<'_, AgentSlot>,
    kind: String,
    external_id: String,
) -> CommandResult<Value> {
    let kind = EntityKind::parse(&kind).ok_or_else(|| {
        CommandError::new(format!("unknown kind '{kind}'; use company or person"))
    })?;
    if !agent
        .get()?
        .live
        .handle()
        .retry_failed(RecordKey::new(kind, external_id))?
    {
        return Err(CommandError::new("that record is not parked as failed"));
    }
    Ok(json!({ "queued": 1 }))
}

#[tauri::command]
pub fn retry_all(agent: State<'_, AgentSlot>) -> CommandResult<Value> {
    Ok(json!({ "queued": agent.get()?.live.handle().retry_all_failed()? }))
}
