//! `config show` / `config set` through the real binary: JSON shape, validation (exit 2, nothing
//! stored), secrets masked everywhere, the 0600 fallback file, the real Secret Service when one
//! can be started, and a running agent that holds the store.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::support::*;

const KEY: &str = "cli-secret-key-0123456789";

fn events(cli: &Cli) -> usize {
    let output = cli.run(&["events", "--json", "--tail", "1000"]);
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn config_show_json_has_every_key_with_value_and_source() {
    let cli = Cli::new();
    let output = cli
        .command(&["--batch-size", "10", "config", "show", "--json"])
        .env("TWENTY_SYNC_RATE_LIMIT", "50")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let keys = [
        "base_url",
        "api_key",
        "enabled",
        "sync_mode",
        "rate_limit",
        "batch_size",
        "match_existing",
        "drop_dir",
        "stability_delay_ms",
        "ui_port",
        "platform_url",
        "platform_token",
        "relay_port",
        "relay_token",
    ];
    assert_eq!(json.as_object().unwrap().len(), keys.len());
    for key in keys {
        let entry = json[key]
            .as_object()
            .unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(entry.len(), 2, "{key}: {entry:?}");
        assert!(["flag", "env", "stored", "default"].contains(&entry["source"].as_str().unwrap()));
    }
    assert_eq!(
        json["batch_size"],
        serde_json::json!({ "value": 10, "source": "flag" })
    );
    assert_eq!(
        json["rate_limit"],
        serde_json::json!({ "value": 50, "source": "env" })
    );
    assert_eq!(
        json["relay_port"],
        serde_json::json!({ "value": 7421, "source": "default" })
    );
}

#[test]
fn invalid_values_exit_2_and_store_nothing() {
    let cli = Cli::new();
    assert!(cli
        .run(&["config", "set", "rate_limit", "60"])
        .status
        .success());
    let before = events(&cli);
    let cases = [
        ("base_url", "ftp://x.example"),
        ("api_key", "short"),
        ("enabled", "maybe"),
        ("sync_mode", "turbo"),
        ("rate_limit", "0"),
        ("rate_limit", "many"),
        ("batch_size", "500"),
        ("stability_delay_ms", "999999999"),
        ("ui_port", "70000"),
        ("platform_url", "not a url"),
        ("platform_token", "short"),
        ("relay_port", "80"),
        ("ui_port", "443"),
        ("drop_dir", "/etc"),
        ("drop_dir", "/tmp"),
        ("relay_token", "short"),
        ("no_such_setting", "1"),
    ];
    for (key, value) in cases {
        let output = cli.run(&["config", "set", key, value]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{key}={value}: {}",
            text(&output)
        );
        let message = String::from_utf8_lossy(&output.stderr);
        let named = if key == "no_such_setting" {
            "is not a setting"
        } else {
            key
        };
        assert!(message.contains(named), "{key}: {message}");
    }
    assert_eq!(events(&cli), before, "nothing was stored");
    assert!(!cli.data_dir().join("secrets.json").exists());
}

#[test]
fn an_invalid_environment_variable_stops_start_up_naming_the_setting() {
    let cli = Cli::new();
    for (name, value, setting) in [
        ("TWENTY_CRM_SYNC_MODE", "turbo", "sync_mode"),
        ("TWENTY_SYNC_RELAY_PORT", "1000", "relay_port"),
        ("TWENTY_SYNC_DROP_DIR", "/usr", "drop_dir"),
        ("TWENTY_SYNC_PLATFORM_URL", "ftp://x", "platform_url"),
    ] {
        let output = cli.command(&["run"]).env(name, value).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains(setting) && message.contains(name),
            "{message}"
        );
    }
}

#[test]
fn secret_flags_take_files_not_values() {
    let cli = Cli::new();
    let output = cli.run(&["--api-key", KEY, "config", "show"]);
    assert_eq!(output.status.code(), Some(2));
    let key_file = cli.dir.path().join("key.txt");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let output = cli.run(&[
        "--api-key-file",
        key_file.to_str().unwrap(),
        "config",
        "show",
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["api_key"]["value"], "****6789");
    assert_eq!(json["api_key"]["source"], "flag");
    assert!(!text(&output).contains(KEY));
}

#[cfg(unix)]
#[test]
fn without_a_keyring_the_key_is_in_a_0600_file_only_and_never_shown() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let mut outputs = Vec::new();
    let set = cli.run(&["config", "set", "api_key", KEY]);
    assert!(set.status.success(), "{}", text(&set));
    outputs.push(text(&set));
    let show = cli.run(&["config", "show"]);
    assert!(
        String::from_utf8_lossy(&show.stderr).contains("readable only by you"),
        "{}",
        text(&show)
    );
    outputs.push(text(&show));
    for args in [
        &["config", "show", "--json"][..],
        &["events", "--json"],
        &["status", "--json"],
    ] {
        outputs.push(text(&cli.run(args)));
    }
    for output in &outputs {
        assert!(!output.contains(KEY), "the key was printed: {output}");
    }
    let file = cli.data_dir().join("secrets.json");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for (path, bytes) in all_files(&cli.data_dir()) {
        if path != file {
            assert!(
                !contains(&bytes, KEY.as_bytes()),
                "{} holds the key",
                path.display()
            );
        }
    }
}

/// The real Secret Service: gnome-keyring in its own `dbus-run-session`. Skipped (with the
/// reason printed) only when no session bus can be started on this machine.
#[test]
fn with_a_secret_service_the_key_goes_to_the_keyring() {
    let missing: Vec<_> = ["dbus-run-session", "gnome-keyring-daemon"]
        .into_iter()
        .filter(|tool| !on_path(tool))
        .collect();
    if !missing.is_empty() {
        let reason = format!("cannot start a session bus with a Secret Service: {} not installed (scripts/install-system-deps.sh keyring)", missing.join(", "));
        assert!(std::env::var("CI").is_err(), "{reason}");
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let script = format!(
        "printf ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
         \"{bin}\" --data-dir \"{data}\" config set api_key {KEY} && \
         \"{bin}\" --data-dir \"{data}\" config show --json",
        bin = BIN,
        data = data.display()
    );
    let output = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_RUNTIME_DIR", &home)
        .env_remove("TWENTY_SYNC_SECRET_STORE")
        .env_remove("TWENTY_CRM_API_KEY")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(!text(&output).contains(KEY));
    assert!(
        !text(&output).contains("readable only by you"),
        "{}",
        text(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_str(&stdout[stdout.find('{').unwrap()..]).unwrap();
    assert_eq!(
        json["api_key"],
        serde_json::json!({ "value": "****6789", "source": "stored" })
    );
    assert!(
        !data.join("secrets.json").exists(),
        "the keyring was used, not the file"
    );
    for (path, bytes) in all_files(&data) {
        assert!(
            !contains(&bytes, KEY.as_bytes()),
            "{} holds the key",
            path.display()
        );
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| Path::new(&dir).join(tool).is_file())
    })
}

#[test]
fn config_goes_through_the_running_agent_that_holds_the_store() {
    let cli = Cli::new();
    let mut agent = cli
        .command(&["--ui-port", "0", "run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let agent_file = cli.data_dir().join("agent.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let announced = loop {
        let ready = std::fs::read_to_string(&agent_file)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|v| v["port"].is_u64());
        if ready || std::time::Instant::now() > deadline {
            break ready;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let outcome = std::panic::catch_unwind(|| {
        assert!(announced, "the agent never announced its API in agent.json");
        let set = cli.run(&["config", "set", "rate_limit", "55"]);
        assert!(set.status.success(), "{}", text(&set));
        let bad = cli.run(&["config", "set", "rate_limit", "0"]);
        assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
        let show = cli.run(&["config", "show", "--json"]);
        assert!(show.status.success(), "{}", text(&show));
        let json: Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!(
            json["rate_limit"],
            serde_json::json!({ "value": 55, "source": "stored" })
        );
    });
    let _ = agent.kill();
    let _ = agent.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
