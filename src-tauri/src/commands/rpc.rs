//! `rpc`: runs one operation of `twenty_sync::app::ops` (`{"op": "status"}`, `{"op": "events",
//! "limit": 20}` …) on the agent and answers its reply, or an [`ErrorReply`].

use serde_json::Value;
use tauri::State;
use twenty_sync::app::ops::{ErrorReply, Request};

use crate::state::AgentSlot;

#[tauri::command]
pub async fn rpc(agent: State<'_, AgentSlot>, request: Value) -> Result<Value, ErrorReply> {
    let live = agent.live()?;
    let request = Request::from_json(request).map_err(|e| e.reply())?;
    request.run(&live).await.map_err(|e| e.reply())
}
