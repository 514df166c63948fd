//! Status commands: the live update (status, chart) and the status alone (= `status --json`).

use tauri::State;
use twenty_sync::app::{LiveUpdate, StatusReport};

use crate::dto::CommandResult;
use crate::state::AgentSlot;

#[tauri::command]
pub fn live(agent: State<'_, AgentSlot>) -> CommandResult<LiveUpdate> {
    Ok(agent.get()?.live.update()?)
}

#[tauri::command]
pub fn status(agent: State<'_, AgentSlot>) -> CommandResult<StatusReport> {
    Ok(agent.get()?.live.handle().status()?)
}
