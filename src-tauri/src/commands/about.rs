//! "About" commands: facts about the app itself (version), and opening the log folder in the
//! file manager (the About screen's button; the folder is `twenty_sync::paths::logs_dir`).

use tauri_plugin_opener::OpenerExt;
use twenty_sync::app::ops::{ErrorReply, OpError};

/// The desktop app's version (the `twenty-sync-desktop` crate version), e.g. `"0.1.0"`.
#[tauri::command]
pub fn app_version() -> String {
    crate::APP_VERSION.to_owned()
}

/// Opens the log folder (`<data dir>/logs`) in the file manager.
#[tauri::command]
pub fn open_log_folder<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Result<(), ErrorReply> {
    let dir = twenty_sync::paths::logs_dir(&crate::state::data_dir());
    app.opener()
        .open_path(dir.display().to_string(), None::<&str>)
        .map_err(|e| {
            OpError::Unavailable(format!(
                "cannot open {} in a file manager ({e}); open it by hand",
                dir.display()
            ))
            .reply()
        })
}
