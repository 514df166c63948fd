//! Twenty Sync desktop shell (Tauri v2): builder wiring, main-window helpers and the entry point `run`.
//!
//! The window shows the static web UI in the repo's `ui/` folder. Commands the UI can
//! `invoke` live in [`commands`], one module per area; the tray icon lives in `tray`.
//! Everything Tauri-specific sits behind the default `gui` feature.

/// Version of the desktop app (this crate), as returned by the `app_version` command.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Label of the one main window (matches `app.windows[0].label` in tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

#[cfg(feature = "gui")]
pub mod commands;
#[cfg(feature = "gui")]
mod tray;

#[cfg(feature = "gui")]
use tauri::Manager;

/// Registers the IPC commands and window behaviour on `builder`.
///
/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`; the tray icon is
/// added by [`run`] only, so tests never touch the desktop's system tray.
#[cfg(feature = "gui")]
pub fn app_builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![commands::about::app_version])
        .on_window_event(|window, event| {
            // Closing the main window hides it to the tray, but only when there is a tray
            // to come back from; without one, closing quits as usual.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW
                    && window.app_handle().tray_by_id(tray::TRAY_ID).is_some()
                {
                    api.prevent_close();
                    if let Err(err) = window.hide() {
                        eprintln!("twenty-sync-desktop: could not hide the main window: {err}");
                    }
                }
            }
        })
}

/// Shows, unminimizes and focuses the main window (tray "Open").
#[cfg(feature = "gui")]
pub(crate) fn show_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        eprintln!("twenty-sync-desktop: the main window is gone");
        return;
    };
    let result = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(err) = result {
        eprintln!("twenty-sync-desktop: could not show the main window: {err}");
    }
}

/// Runs the desktop app until the user quits (tray "Quit", or closing the window when there is
/// no tray). Exits the process with status 1 if Tauri fails to start.
#[cfg(feature = "gui")]
pub fn run() {
    let result = app_builder(tauri::Builder::default())
        .setup(|app| {
            tray::create_or_warn(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("twenty-sync-desktop: {err}");
        std::process::exit(1);
    }
}

#[cfg(all(test, feature = "gui"))]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    /// The origin the bundled UI is served from. `http://tauri.localhost` (the form in Tauri's
    /// docs) is the Windows one; on Linux/macOS it counts as a remote origin and is refused.
    const APP_ORIGIN: &str = if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    };

    /// Invokes `cmd` (no arguments) in a mock app built from the real tauri.conf.json and
    /// capabilities, as if sent from `origin`; returns the JSON string reply or the error.
    fn invoke_for_string(cmd: &str, origin: &str) -> Result<String, String> {
        let app = super::app_builder(mock_builder())
            .build(tauri::generate_context!())
            .expect("mock app builds");
        // Config windows are only opened once the event loop runs, so open "main" by hand.
        let config = app.config().app.windows.first().cloned();
        let config = config.expect("tauri.conf.json declares a window");
        assert_eq!(config.label, super::MAIN_WINDOW);
        let window = tauri::WebviewWindowBuilder::from_config(&app, &config)
            .and_then(|builder| builder.build())
            .expect("main window opens on the mock runtime");
        get_ipc_response(
            &window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: origin.parse().expect("valid origin URL"),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<String>().expect("a JSON string reply"))
        .map_err(|err| err.to_string())
    }

    #[test]
    fn app_version_returns_crate_version() {
        let version = invoke_for_string("app_version", APP_ORIGIN).expect("app_version succeeds");
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert_eq!(version, super::APP_VERSION);
    }

    #[test]
    fn commands_are_refused_from_remote_origins() {
        let err = invoke_for_string("app_version", "https://example.com")
            .expect_err("a remote origin is refused");
        assert!(err.contains("not allowed"), "unexpected error: {err}");
    }
}
