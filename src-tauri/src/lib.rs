//! Twenty Sync desktop shell (Tauri v2): builder wiring, main-window helpers and the entry point `run`.
//!
//! A thin shell over the core: it starts the agent (`twenty_sync::app::agent`) in the background,
//! shows the web UI of the repo's `ui/` folder, and exposes the agent to it through commands
//! ([`commands`]: one `rpc` command over `twenty_sync::app::ops`, plus the file upload) and
//! `live-update` events (at most one a second). The tray (`tray`) shows the sync state. No sled, reqwest or
//! notify here: every command is a few lines over `twenty_sync::app::ops`.
//!
//! Plugins: single-instance (registered first, in [`run`]: a second launch shows and focuses the
//! first window and exits 0), autostart (Settings → Start at login: the UI calls the plugin's own
//! `enable` / `disable` / `is_enabled`; the entry starts the app with [`HIDDEN_ARG`]) and opener
//! (About → Open the log folder).
//! Everything Tauri-specific sits behind the default `gui` feature.

/// Version of the desktop app (this crate), as returned by the `app_version` command.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Started with this argument (by the Start at login entry), the app starts with its window
/// minimised.
pub const HIDDEN_ARG: &str = "--hidden";

/// Label of the one main window (matches `app.windows[0].label` in tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

#[cfg(feature = "gui")]
pub mod commands;
pub mod state;
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
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg(HIDDEN_ARG)
                .build(),
        )
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![
            commands::about::app_version,
            commands::about::open_log_folder,
            commands::rpc::rpc,
            commands::imports::upload_file,
        ])
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

#[cfg(feature = "gui")]
/// Whether these launch arguments ask to start out of the way (the Start at login entry).
fn asks_hidden(args: &[String]) -> bool {
    args.iter().skip(1).any(|arg| arg == HIDDEN_ARG)
}

/// Started at login ([`HIDDEN_ARG`]): the window starts minimised, never hidden: a tray icon may
/// exist where no desktop shows one (GNOME without the AppIndicator extension), and a hidden
/// window would then be out of reach.
#[cfg(feature = "gui")]
fn start_minimised_if_asked<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if !asks_hidden(&std::env::args().collect::<Vec<_>>()) {
        return;
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        if let Err(err) = window.minimize() {
            eprintln!("twenty-sync-desktop: could not start minimised: {err}");
        }
    }
}

/// Sends the window a `live-update` (and shows it in the tray) at start and after every change,
/// at most once a second, until the agent stops.
#[cfg(feature = "gui")]
async fn forward_updates<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    live: twenty_sync::app::Live,
) {
    use tauri::Emitter;
    let mut changes = live.subscribe();
    loop {
        let reader = live.clone();
        match tauri::async_runtime::spawn_blocking(move || reader.update()).await {
            Ok(Ok(update)) => {
                tray::show(&app, &update);
                if let Err(err) = app.emit("live-update", &update) {
                    eprintln!("twenty-sync-desktop: cannot send an update to the window: {err}");
                }
            }
            Ok(Err(err)) => eprintln!("twenty-sync-desktop: cannot read the status: {err}"),
            Err(err) => eprintln!("twenty-sync-desktop: {err}"),
        }
        if !changes.next().await {
            return;
        }
        tokio::time::sleep(twenty_sync::app::live::MIN_UPDATE_INTERVAL).await;
    }
}

/// Runs the desktop app until the user quits (tray "Quit", or closing the window when there is
/// no tray). The agent starts before the window and stops when the app exits. Exits the process
/// with status 1 if Tauri fails to start.
#[cfg(feature = "gui")]
pub fn run() {
    // Everything this process writes is private (0600/0700), as with the CLI.
    twenty_sync::safe_fs::restrict_new_files();
    // Logs to stderr and to daily files in the data directory, like `twenty-sync run`.
    let _logging = twenty_sync::logging::init(Some(&state::data_dir()), "info");
    let running = state::RunningAgent::default();
    let keep = running.clone();
    // Single-instance first (its docs): a second launch hands over to this one and exits 0
    // before it opens anything.
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            // The login entry of an app already running changes nothing; a person's launch
            // brings the window forward.
            if !asks_hidden(&args) {
                show_main_window(app)
            }
        }));
    let result = app_builder(builder)
        .setup(move |app| {
            let data_dir = state::data_dir();
            let started = tauri::async_runtime::block_on(state::start_agent(data_dir));
            let slot = match started {
                Ok((agent, live)) => {
                    tauri::async_runtime::spawn(forward_updates(
                        app.handle().clone(),
                        live.clone(),
                    ));
                    *keep.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(agent);
                    state::AgentSlot(Ok(live))
                }
                Err(err) => {
                    eprintln!("twenty-sync-desktop: the agent could not start: {err}");
                    state::AgentSlot(Err(format!("The Twenty Sync agent could not start: {err}")))
                }
            };
            app.manage(slot);
            tray::create_or_warn(app.handle());
            start_minimised_if_asked(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(err) => {
            eprintln!("twenty-sync-desktop: {err}");
            std::process::exit(1);
        }
    };
    app.run(move |_app, event| {
        if let tauri::RunEvent::Exit = event {
            let agent = running.0.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(agent) = agent {
                tauri::async_runtime::block_on(agent.stop());
            }
        }
    });
}

#[cfg(all(test, feature = "gui"))]
mod tests;
