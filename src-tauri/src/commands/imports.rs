//! `upload_file`: copies a picked file into the drop folder (its bytes arrive as the raw IPC
//! body, its name in the `x-file-name` header, `encodeURIComponent`-encoded).

use tauri::State;
use twenty_sync::app::ops::{self, ErrorReply, OpError, Uploaded};

use crate::state::AgentSlot;

#[tauri::command]
pub async fn upload_file(
    agent: State<'_, AgentSlot>,
    request: tauri::ipc::Request<'_>,
) -> Result<Uploaded, ErrorReply> {
    let live = agent.live()?;
    let refuse = |message: &str| OpError::bad_request(message).reply();
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(refuse("send the file's bytes as the body"));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(decode_component)
        .ok_or_else(|| refuse("the file name is missing"))?;
    ops::files::upload(&live, &name, bytes)
        .await
        .map_err(|e| e.reply())
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
