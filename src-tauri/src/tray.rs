//! System tray icon with its menu (Open, Quit); Pause/Resume and "Sync now" come with the agent.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

/// Id of the app's one tray icon (look it up with `tray_by_id`).
pub const TRAY_ID: &str = "main";

const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";

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
    let open = MenuItem::with_id(app, MENU_OPEN, "Open", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;

    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Twenty Sync")
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => crate::show_main_window(app),
            MENU_QUIT => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}
