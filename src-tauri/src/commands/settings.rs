//! Settings: the effective settings (masked), saving a change, the connection test and "Create
//! field".

use serde_json::{json, Value};
use tauri::State;
use twenty_sync::app::connection::{self, ConnectionRequest, ConnectionView};
use twenty_sync::app::inbox;
use twenty_sync::config::SettingsUpdate;

use crate::dto::CommandResult;
use crate::state::{AgentSlot, Desktop};

fn view(desktop: &Desktop) -> Value {
    let handle = desktop.live.handle();
    json!({
        "settings": handle.settings_view(),
        "drop_dir": inbox::drop_dir(&handle.settings(), &desktop.data_dir).display().to_string(),
        "data_dir": desktop.data_dir.display().to_string(),
    })
}

#[tauri::command]
pub fn settings(agent: State<'_, AgentSlot>) -> CommandResult<Value> {
    Ok(view(agent.get()?))
}

#[tauri::command]
pub fn save_settings(agent: State<'_, AgentSlot>, update: SettingsUpdate) -> CommandResult<Value> {
    let desktop = agent.get()?;
    desktop.live.handle().update_settings(&update, "desktop")?;
    Ok(view(desktop))
}

/// What choosing a folder as the drop folder would do, before it is saved.
#[tauri::command]
pub fn check_drop_dir(
    agent: State<'_, AgentSlot>,
    path: String,
) -> CommandResult<inbox::DropDirCheck> {
    let desktop = agent.get()?;
    Ok(inbox::check_drop_dir(&path, &desktop.data_dir))
}

#[tauri::command]
pub async fn test_connection(
    agent: State<'_, AgentSlot>,
    request: ConnectionRequest,
) -> CommandResult<ConnectionView> {
    let handle = agent.get()?.live.handle().clone();
    Ok(connection::test_connection(&handle.settings(), &request, handle.budget()).await?)
}

#[tauri::command]
pub async fn create_field(
    agent: State<'_, AgentSlot>,
    request: ConnectionRequest,
) -> CommandResult<ConnectionView> {
    let handle = agent.get()?.live.handle().clone();
    Ok(connection::create_external_id_field(&handle.settings(), &request, handle.budget()).await?)
}
