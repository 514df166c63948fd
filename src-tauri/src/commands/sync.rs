//! Steering the engine: "Sync now" and Pause/Resume (also in the tray menu).

use serde_json::{json, Value};
use tauri::State;

use crate::dto::CommandResult;
use crate::state::AgentSlot;

#[tauri::command]
pub fn sync_now(agent: State<'_, AgentSlot>) -> CommandResult<Value> {
    agent.get()?.live.handle().sync_now();
    Ok(json!({ "ok": true }))
}

#[tauri::command]
pub fn set_paused(agent: State<'_, AgentSlot>, paused: bool) -> CommandResult<Value> {
    agent.get()?.live.handle().set_paused(paused);
    Ok(json!({ "enabled": !paused }))
}
