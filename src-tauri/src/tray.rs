//! System tray icon: shows the sync state (in sync / syncing / offline / needs attention /
//! paused) in its first menu line and tooltip, and offers Open, Pause/Resume sync, Sync now, Quit.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use twenty_sync::app::report::SyncState;
use twenty_sync::app::LiveUpdate;

use crate::state::AgentSlot;

/// Id of the app's one tray icon (look it up with `tray_by_id`).
pub const TRAY_ID: &str = "main";

const MENU_OPEN: &str = "open";
const MENU_PAUSE: &str = "pause";
const MENU_SYNC: &str = "sync-now";
const MENU_QUIT: &str = "quit";

/// The menu lines that change with the state.
struct TrayItems<R: Runtime> {
    state: MenuItem<R>,
    pause: MenuItem<R>,
}

/// The state in the tray's words.
pub fn state_label(state: SyncState) -> &'static str {
    match state {
        SyncState::Idle => "In sync",
        SyncState::Pending | SyncState::Syncing => "Syncing",
        SyncState::Offline => "Offline",
        SyncState::NeedsAttention => "Needs attention",
        SyncState::Paused | SyncState::Disabled => "Paused",
    }
}

/// Shows a live update in the tray (no-op without a tray).
pub fn show<R: Runtime>(app: &AppHandle<R>, update: &LiveUpdate) {
    let label = state_label(update.status.state);
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        let _ = items.state.set_text(format!("Twenty Sync: {label}"));
        let _ = items.pause.set_text(if update.enabled {
            "Pause sync"
        } else {
            "Resume sync"
        });
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(format!("Twenty Sync: {label}")));
    }
}

/// Creates the tray icon, or prints why it could not and carries on without one.
///
/// On Linux the tray needs `libayatana-appindicator3.so.1` (or `libappindicator3.so.1`) at run
/// time; the crate that loads it panics when it is missing, so that panic is caught here.
/// Without a tray, closing the main window quits the app (see `app_builder`).
pub fn create_or_warn<R: Runtime>(app: &AppHandle<R>) {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // reported below instead
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| create(app)));
    std::panic::set_hook(previous_hook);

    let problem = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => err.to_string(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown panic".to_owned()),
    };
    let problem = problem.lines().next().unwrap_or_default().to_owned();
    eprintln!(
        "twenty-sync-desktop: no tray icon ({problem}); closing the window will quit the app. \
         On Debian/Ubuntu install libayatana-appindicator3-1 to get the tray."
    );
}

fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let state = MenuItem::with_id(app, "state", "Twenty Sync: starting…", false, None::<&str>)?;
    let open = MenuItem::with_id(app, MENU_OPEN, "Open", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, MENU_PAUSE, "Pause sync", true, None::<&str>)?;
    let sync = MenuItem::with_id(app, MENU_SYNC, "Sync now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&state, &separator, &open, &pause, &sync, &quit])?;

    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Twenty Sync")
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => crate::show_main_window(app),
            MENU_PAUSE => toggle_pause(app),
            MENU_SYNC => {
                if let Some(Ok(live)) = app.try_state::<AgentSlot>().map(|s| s.live()) {
                    live.handle().sync_now();
                }
            }
            MENU_QUIT => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayItems { state, pause });
    Ok(())
}

fn toggle_pause<R: Runtime>(app: &AppHandle<R>) {
    let Some(slot) = app.try_state::<AgentSlot>() else {
        return;
    };
    if let Ok(live) = slot.live() {
        let handle = live.handle();
        handle.set_paused(handle.settings().enabled);
    }
}
