//! The store on disk: the committed fixture of format 1 still opens and reads, durability across
//! processes, and the API key never reaching any file or output.

use std::path::Path;

use super::support::*;
use crate::support::copy_dir;

/// `tests/fixtures/store-v1` was written by format 1 (see tests/fixtures/README.md). Opening it
/// must keep working for as long as format 1 is supported, through any migration.
#[test]
fn the_format_1_fixture_store_opens_and_reads() {
    let cli = Cli::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1");
    copy_dir(&fixture, &cli.data_dir());
    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(status["intents"], 3);
    assert_eq!(status["pending"], 3);
    let events = cli.ok(&["events", "--json"]).json();
    let ids: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["fixture-c1", "fixture-p1", "fixture-p2"]);
    assert_eq!(
        events[1]["details"]["fields"]["email"],
        "ada@fixture.example"
    );
    cli.ok(&["rebuild-projections"]);
    assert_eq!(cli.ok(&["status", "--json"]).json(), status);
}

/// `tests/fixtures/store-v2` was written by format 2 (see tests/fixtures/README.md): it is backed
/// up and migrated to format 3 (its mappings gain empty field hashes; its schema-1 events are
/// upcast when read), keeps its mappings and what it learned of the server, and a rebuild finds
/// nothing to correct.
#[test]
fn the_format_2_fixture_store_opens_and_reads() {
    let cli = Cli::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2");
    copy_dir(&fixture, &cli.data_dir());
    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(status["intents"], 4, "{status}");
    assert_eq!(status["pending"], 1, "{status}");
    assert_eq!(status["synced"], 3, "{status}");
    assert_eq!(status["mappings"]["companies"], 1, "{status}");
    assert_eq!(status["mappings"]["people"], 2, "{status}");
    let backups: Vec<String> = std::fs::read_dir(cli.data_dir().join("backups"))
        .expect("a format-2 store is backed up before migration 0003")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        backups.len() == 1 && backups[0].starts_with("store-v2-"),
        "{backups:?}"
    );
    let events = cli.ok(&["events", "--json", "--tail", "100"]).json();
    let learned = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "ServerLearned")
        .count();
    assert!(learned >= 3, "what the server taught is kept: {events}");
    cli.ok(&["rebuild-projections"]);
    assert_eq!(cli.ok(&["status", "--json"]).json(), status);
}

/// `tests/fixtures/store-v3` was written by format 3 (see tests/fixtures/README.md): it opens
/// without a migration; its intents carry their other fields, its successes the fields pushed,
/// what it learned of the server includes the data model, and a rebuild finds nothing to
/// correct.
#[test]
fn the_format_3_fixture_store_opens_and_reads() {
    let cli = Cli::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v3");
    copy_dir(&fixture, &cli.data_dir());
    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(status["intents"], 4, "{status}");
    assert_eq!(status["pending"], 1, "{status}");
    assert_eq!(status["synced"], 3, "{status}");
    assert!(
        !cli.data_dir().join("backups").exists(),
        "a format-3 store is not migrated"
    );
    let events = cli.ok(&["events", "--json", "--tail", "100"]).json();
    let events = events.as_array().unwrap();
    let values_of = |id: &str| {
        events
            .iter()
            .rev()
            .find(|e| e["kind"] == "IntentRecorded" && e["external_id"] == id)
            .map(|e| e["details"]["values"].clone())
            .unwrap_or_else(|| panic!("no intent of {id}"))
    };
    let company = values_of("fixture-c1");
    assert_eq!(company["category"], "FINTECH", "{company}");
    assert_eq!(company["employees"], 42, "{company}");
    assert_eq!(company["address"]["addressCity"], "Lyon", "{company}");
    assert_eq!(values_of("fixture-p3")["nickname"], "KJ");
    let pushed: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "PushSucceeded")
        .collect();
    assert_eq!(pushed.len(), 3);
    assert!(
        pushed.iter().all(|e| e["details"]["fields_pushed"]
            .as_array()
            .is_some_and(|fields| !fields.is_empty())),
        "{pushed:?}"
    );
    assert!(
        events.iter().any(|e| e["kind"] == "ServerLearned"
            && e["summary"]
                .as_str()
                .is_some_and(|s| s.contains("data model"))),
        "the data model was learned"
    );
    cli.ok(&["rebuild-projections"]);
    assert_eq!(cli.ok(&["status", "--json"]).json(), status);
}

#[test]
fn the_api_key_never_reaches_logs_files_or_output() {
    let secret = "sk-live.secret(KEY)+*value-9876";
    let cli = Cli::new()
        .env("TWENTY_CRM_BASE_URL", "http://127.0.0.1:9")
        .env("TWENTY_CRM_API_KEY", secret)
        .env("RUST_LOG", "trace");
    cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    let runs = [
        cli.run(&["sync", "--until-idle"]),
        cli.run(&["test-connection", "--json"]),
        cli.run(&["status", "--json"]),
        cli.run(&["events", "--json"]),
    ];
    assert_eq!(
        runs[0].code, 4,
        "nothing listens on port 9: {}",
        runs[0].stderr
    );
    for run in &runs {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{}{}",
            run.stdout,
            run.stderr
        );
    }
    let files = all_bytes_below(&cli.data_dir());
    assert!(
        files
            .iter()
            .any(|(path, _)| path.to_string_lossy().contains("logs")),
        "logs were written"
    );
    for (path, bytes) in files {
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "the key is in {}",
            path.display()
        );
    }
}
