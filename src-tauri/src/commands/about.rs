//! "About" commands: facts about the app itself (version).

/// The desktop app's version (the `twenty-sync-desktop` crate version), e.g. `"0.1.0"`.
#[tauri::command]
pub fn app_version() -> String {
    crate::APP_VERSION.to_owned()
}
