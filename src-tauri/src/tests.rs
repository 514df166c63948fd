//! Mock-runtime tests (no display): the IPC commands (`rpc` with every operation, `upload_file`,
//! `app_version`), invoked as the UI would, over an agent
//! running on a temporary data directory (sync mode disabled, so nothing leaves the machine).

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::Manager;

use crate::state::AgentSlot;

/// The origin the bundled UI is served from. `http://tauri.localhost` (the form in Tauri's
/// docs) is the Windows one; on Linux/macOS it counts as a remote origin and is refused.
const APP_ORIGIN: &str = if cfg!(windows) {
    "http://tauri.localhost"
} else {
    "tauri://localhost"
};

/// A mock app with the real config and capabilities, its main window, and (optionally) an
/// agent on a fresh data directory.
struct Harness {
    window: tauri::WebviewWindow<MockRuntime>,
    _app: tauri::App<MockRuntime>,
    _agent: Option<twenty_sync::app::agent::Agent>,
    data_dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn harness(with_agent: bool) -> Harness {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let app = super::app_builder(mock_builder())
        .build(tauri::generate_context!())
        .expect("mock app builds");
    let mut agent = None;
    if with_agent {
        let _guard = runtime.enter();
        let store = twenty_sync::store::Store::open(
            data_dir.path(),
            std::sync::Arc::new(twenty_sync::clock::SystemClock),
        )
        .expect("store opens");
        let started =
            twenty_sync::app::agent::Agent::start(store, twenty_sync::config::Settings::default());
        let live = twenty_sync::app::Live::new(started.handle()).called_by("desktop");
        app.manage(AgentSlot(Ok(live)));
        agent = Some(started);
    } else {
        app.manage(AgentSlot(Err(
            "The Twenty Sync agent could not start: test".into(),
        )));
    }
    // Config windows are only opened once the event loop runs, so open "main" by hand.
    let config = app.config().app.windows.first().cloned();
    let config = config.expect("tauri.conf.json declares a window");
    assert_eq!(config.label, super::MAIN_WINDOW);
    let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)
        .and_then(|builder| builder.build())
        .expect("main window opens on the mock runtime");
    Harness {
        window,
        _app: app,
        _agent: agent,
        data_dir,
        _runtime: runtime,
    }
}

impl Harness {
    fn invoke_from(
        &self,
        cmd: &str,
        body: InvokeBody,
        headers: tauri::http::HeaderMap,
        origin: &str,
    ) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: origin.parse().expect("valid origin URL"),
                body,
                headers,
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("a JSON reply"))
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke_from(cmd, InvokeBody::Json(args), Default::default(), APP_ORIGIN)
    }

    /// One operation through `rpc`, as `transport.js` sends it.
    fn op(&self, op: &str, mut args: Value) -> Result<Value, Value> {
        args["op"] = json!(op);
        self.invoke("rpc", json!({ "request": args }))
    }

    fn record(&self, external_id: &str) {
        let slot = self.window.state::<AgentSlot>();
        slot.live()
            .expect("agent")
            .handle()
            .record(
                twenty_sync::domain::EntityKind::Company,
                twenty_sync::domain::IntentDraft {
                    values: Default::default(),
                    external_id: Some(external_id.into()),
                    fields: twenty_sync::domain::IntentFields {
                        name: Some("Acme".into()),
                        ..Default::default()
                    },
                },
                twenty_sync::domain::IntentSource::Ui,
            )
            .expect("recorded");
    }
}

#[test]
fn app_version_returns_crate_version() {
    let h = harness(false);
    let version = h
        .invoke("app_version", json!({}))
        .expect("app_version succeeds");
    assert_eq!(version, json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(version, json!(super::APP_VERSION));
}

#[test]
fn commands_are_refused_from_remote_origins() {
    let h = harness(false);
    let err = h
        .invoke_from(
            "app_version",
            InvokeBody::default(),
            Default::default(),
            "https://example.com",
        )
        .expect_err("a remote origin is refused");
    assert!(
        err.to_string().contains("not allowed"),
        "unexpected error: {err}"
    );
}

#[test]
fn without_an_agent_commands_say_why() {
    let h = harness(false);
    let err = h.op("status", json!({})).expect_err("no agent");
    assert!(
        err["error"]
            .as_str()
            .unwrap_or_default()
            .contains("could not start"),
        "{err}"
    );
}

#[test]
fn live_and_status_report_the_agent() {
    let h = harness(true);
    let live = h.op("live_status", json!({})).expect("live");
    assert_eq!(live["status"]["state"], json!("disabled"));
    assert_eq!(live["chart"]["points"].as_array().map(Vec::len), Some(60));
    let status = h.op("status", json!({})).expect("status");
    assert_eq!(status["pending"], json!(0));
}

#[test]
fn events_and_records_show_what_was_recorded() {
    let h = harness(true);
    h.record("acme-1");
    let page = h
        .op("events", json!({ "limit": 10, "category": "intents" }))
        .expect("events");
    assert_eq!(page["rows"][0]["external_id"], json!("acme-1"));
    let bad = h
        .op("events", json!({ "category": "nope" }))
        .expect_err("bad category");
    assert!(bad["error"].as_str().unwrap_or_default().contains("nope"));
    let records = h.op("records", json!({ "q": "acme" })).expect("records");
    assert_eq!(records["rows"][0]["state"], json!("pending"));
    assert_eq!(records["rows"][0]["name"], json!("Acme"));
}

#[test]
fn failed_records_and_retries() {
    let h = harness(true);
    h.record("acme-2");
    let failed = h.op("failed_records", json!({})).expect("failed");
    assert_eq!(failed["rows"], json!([]));
    let err = h
        .op(
            "retry_record",
            json!({ "kind": "company", "external_id": "acme-2" }),
        )
        .expect_err("not parked");
    assert!(err["error"]
        .as_str()
        .unwrap_or_default()
        .contains("not parked"));
    let all = h.op("retry_all", json!({})).expect("retry_all");
    assert_eq!(all["queued"], json!(0));
}

#[test]
fn imports_history_report_and_upload() {
    let h = harness(true);
    let history = h.op("imports", json!({})).expect("imports");
    assert_eq!(history["rows"], json!([]));
    let err = h
        .op("import_report", json!({ "path": "../agent.json" }))
        .expect_err("refused");
    assert!(err["error"]
        .as_str()
        .unwrap_or_default()
        .contains("no such"));
    let mut headers = tauri::http::HeaderMap::new();
    headers.insert("x-file-name", "people%20list.csv".parse().expect("header"));
    let reply = h
        .invoke_from(
            "upload_file",
            InvokeBody::Raw(b"type,external_id,name\n".to_vec()),
            headers,
            APP_ORIGIN,
        )
        .expect("upload");
    assert_eq!(reply["file_name"], json!("people list.csv"));
    assert!(h.data_dir.path().join("inbox/people list.csv").is_file());
}

#[test]
fn settings_are_shown_masked_and_validated() {
    let h = harness(true);
    let view = h.op("show_settings", json!({})).expect("settings");
    assert!(view["settings"]["rate_limit"].is_object());
    let err = h
        .op("save_settings", json!({ "rate_limit": 0 }))
        .expect_err("invalid");
    assert!(err["fields"]["rate_limit"].is_string(), "{err}");
    let saved = h
        .op("save_settings", json!({ "batch_size": 20 }))
        .expect("saved");
    assert_eq!(saved["settings"]["batch_size"]["value"], json!(20));
    // A drop folder is checked before it is saved.
    let check = h
        .op("check_drop_dir", json!({ "path": "/etc" }))
        .expect("checked");
    assert!(
        check["refused"]
            .as_str()
            .is_some_and(|m| m.contains("system folder")),
        "{check}"
    );
    let err = h
        .op("save_settings", json!({ "drop_dir": "/" }))
        .expect_err("refused");
    assert!(err["fields"]["drop_dir"].is_string(), "{err}");
}

#[test]
fn connection_test_needs_an_address_first() {
    let h = harness(true);
    for cmd in ["test_connection", "create_field"] {
        let err = h.op(cmd, json!({})).expect_err("no address");
        assert!(err["fields"]["base_url"].is_string(), "{cmd}: {err}");
    }
}

#[test]
fn sync_now_and_pause() {
    let h = harness(true);
    let sync_now = h.op("sync_now", json!({})).expect("sync_now");
    assert_eq!(sync_now["ok"], json!(true));
    assert_eq!(sync_now["done"], json!(false), "sync is off: {sync_now}");
    assert!(sync_now["message"].is_string(), "{sync_now}");
    let paused = h
        .op("set_paused", json!({ "paused": true }))
        .expect("pause");
    assert_eq!(paused["enabled"], json!(false));
    let live = h.op("live_status", json!({})).expect("live");
    assert_eq!(live["enabled"], json!(false));
}

#[test]
fn malformed_requests_are_refused_with_a_sentence() {
    let h = harness(true);
    let err = h.op("nosuch", json!({})).expect_err("unknown op");
    let message = err["error"].as_str().unwrap_or_default();
    assert!(message.starts_with("the request is malformed"), "{err}");
    let err = h
        .invoke("rpc", json!({ "request": "status" }))
        .expect_err("not an object");
    assert!(err["error"].is_string(), "{err}");
}

#[test]
fn settings_saved_from_the_desktop_are_stamped_desktop() {
    let h = harness(true);
    h.op("save_settings", json!({ "batch_size": 10 }))
        .expect("saved");
    let page = h
        .op("events", json!({ "category": "config", "limit": 1 }))
        .expect("events");
    assert!(
        page["rows"][0]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("desktop"),
        "{page}"
    );
}
