//! Settings → Start at login, through the autostart plugin's own commands as the UI calls them
//! (mock runtime, no display), with `HOME` a temporary folder: off by default, `enable` writes
//! the XDG autostart entry (`~/.config/autostart/Twenty Sync.desktop`, starting this program
//! with `--hidden`), `disable` removes it. Its own test program, as it changes `HOME`.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;

const APP_ORIGIN: &str = if cfg!(windows) {
    "http://tauri.localhost"
} else {
    "tauri://localhost"
};

#[test]
fn start_at_login_is_off_by_default_and_its_entry_comes_and_goes() {
    let home = tempfile::tempdir().expect("temp home");
    // Set before the app (and its plugins) are built; this program has no other test.
    std::env::set_var("HOME", home.path());
    std::env::set_var("XDG_CONFIG_HOME", home.path().join(".config"));
    let app = twenty_sync_desktop::app_builder(mock_builder())
        .build(tauri::generate_context!())
        .expect("mock app builds");
    let config = app.config().app.windows.first().cloned().expect("a window");
    let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)
        .and_then(|builder| builder.build())
        .expect("main window");
    let invoke = |cmd: &str| -> Result<Value, Value> {
        get_ipc_response(
            &window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: APP_ORIGIN.parse().expect("origin"),
                body: InvokeBody::Json(json!({})),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("JSON"))
    };
    let entry = home.path().join(".config/autostart/Twenty Sync.desktop");

    assert_eq!(invoke("plugin:autostart|is_enabled"), Ok(json!(false)));
    assert!(!entry.exists());

    invoke("plugin:autostart|enable").expect("enable");
    let text = std::fs::read_to_string(&entry).expect("the autostart entry is written");
    let exe = std::env::current_exe().expect("exe");
    let exec = format!("Exec={} {}", exe.display(), twenty_sync_desktop::HIDDEN_ARG);
    assert!(text.lines().any(|line| line == exec), "{exec}\n{text}");
    assert_eq!(invoke("plugin:autostart|is_enabled"), Ok(json!(true)));

    invoke("plugin:autostart|disable").expect("disable");
    assert!(!entry.exists(), "the entry is removed");
    assert_eq!(invoke("plugin:autostart|is_enabled"), Ok(json!(false)));

    // A remote page may not change it.
    let refused = get_ipc_response(
        &window,
        InvokeRequest {
            cmd: "plugin:autostart|enable".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "https://example.com".parse().expect("origin"),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    assert!(refused.is_err());
    assert!(!entry.exists());
}
