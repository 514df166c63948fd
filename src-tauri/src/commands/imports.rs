//! Imports: the history, an error report's text, and copying a picked file into the drop
//! folder (the file's bytes arrive as the raw IPC body, its name in the `x-file-name` header).

use serde_json::{json, Value};
use tauri::State;
use twenty_sync::app::{inbox, queries};

use crate::dto::{CommandError, CommandResult};
use crate::state::AgentSlot;

#[tauri::command]
pub fn imports(agent: State<'_, AgentSlot>) -> CommandResult<Value> {
    let desktop = agent.get()?;
    let drop_dir = inbox::drop_dir(&desktop.live.handle().settings(), &desktop.data_dir);
    let rows = queries::imports_history(desktop.live.handle().store(), &drop_dir, 50)?;
    Ok(json!({ "rows": rows, "drop_dir": drop_dir.display().to_string() }))
}

#[tauri::command]
pub fn import_report(agent: State<'_, AgentSlot>, path: String) -> CommandResult<String> {
    let desktop = agent.get()?;
    let drop_dir = inbox::drop_dir(&desktop.live.handle().settings(), &desktop.data_dir);
    // Only a report the agent wrote, never through a link.
    let bytes = queries::read_report(desktop.live.handle().store(), &drop_dir, &path)
        .ok_or_else(|| CommandError::new("no such error report"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[tauri::command]
pub fn upload_file(
    agent: State<'_, AgentSlot>,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<Value> {
    let desktop = agent.get()?;
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new("send the file's bytes as the body"));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(decode_component)
        .ok_or_else(|| CommandError::new("the file name is missing"))?;
    let drop_dir = inbox::drop_dir(&desktop.live.handle().settings(), &desktop.data_dir);
    let path = inbox::save_to_inbox(&drop_dir, &name, bytes)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_string());
    Ok(json!({ "file_name": file_name, "drop_dir": drop_dir.display().to_string() }))
}

/// Undoes `encodeURIComponent` (header values are ASCII).
fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
