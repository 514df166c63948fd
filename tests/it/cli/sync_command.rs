//! `sync --until-idle` and `test-connection` against the fake Twenty, through the real binary.

use fake_twenty::{FakeConfig, FakeTwenty};

use super::support::*;

/// Runs the binary off the async runtime (the fake serves on it) and hands the `Cli` back.
async fn run_blocking(cli: Cli, args: &'static [&'static str]) -> (Cli, Run) {
    tokio::task::spawn_blocking(move || {
        let run = cli.run(args);
        (cli, run)
    })
    .await
    .unwrap()
}

fn cli_for(fake: &FakeTwenty) -> Cli {
    Cli::new()
        .env("TWENTY_CRM_BASE_URL", &fake.base_url())
        .env("TWENTY_CRM_API_KEY", &fake.api_key())
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_until_idle_exit_codes() {
    let fake = FakeTwenty::start(FakeConfig::legacy()).await;
    let cli = cli_for(&fake);
    cli.ok(&[
        "push",
        "company",
        "--external-id",
        "c1",
        "--name",
        "Acme",
        "--website",
        "acme.com",
    ]);
    cli.ok(&[
        "push",
        "person",
        "--external-id",
        "p1",
        "--name",
        "Ada Lovelace",
        "--email",
        "ada@example.com",
        "--company-external-id",
        "c1",
    ]);
    let run = tokio::task::spawn_blocking(move || {
        let run = cli.run(&["sync", "--until-idle"]);
        (cli, run)
    })
    .await
    .unwrap();
    let (cli, run) = run;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(
        (status["pending"].as_u64(), status["synced"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(status["mappings"]["people"], 1);
    let mappings = cli.ok(&["mappings", "--json"]).json();
    assert_eq!(mappings.as_array().unwrap().len(), 2);
    assert_eq!(fake.records("people").len(), 1);

    // A record Twenty refuses: exit 1, and it is listed with the server's message.
    fake.insert_record(
        "people",
        serde_json::json!({"externalId": "someone-else", "emails": {"primaryEmail": "taken@example.com"}}),
    );
    cli.ok(&[
        "push",
        "person",
        "--external-id",
        "p2",
        "--name",
        "Bo",
        "--email",
        "taken@example.com",
    ]);
    let (cli, run) = run_blocking(cli, &["sync", "--until-idle"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("retry-failed"), "{}", run.stderr);
    let mappings = cli.ok(&["mappings", "--json"]).json();
    let failed: Vec<_> = mappings
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"].as_str().unwrap().contains("Duplicate"),
        "{failed:?}"
    );
    assert_eq!(
        cli.ok(&["retry-failed"]).stdout.trim(),
        "1 parked records are queued again"
    );

    // Unreachable: exit 4, nothing lost.
    drop(fake);
    let run = run_blocking(cli, &["sync", "--until-idle"]).await.1;
    assert_eq!(run.code, 4, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_reports_each_check() {
    let fake = FakeTwenty::start(FakeConfig::current()).await;
    let cli = cli_for(&fake);
    let (cli, run) = run_blocking(cli, &["test-connection", "--json", "--no-create"]).await;
    let report = run.json();
    assert_eq!(report["ok"], false, "externalId is not there yet: {report}");
    assert!(report["checks"].as_array().unwrap().len() >= 4);
    assert!(report["latency_ms"].is_u64());
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("the first sync creates it"),
        "{report}"
    );
    assert_eq!(run.code, 1);
    assert!(!fake.has_field("people", "externalId"), "--no-create");
    assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 0);

    // Without --no-create the test finishes the job, as the first sync would.
    let (cli, run) = run_blocking(cli, &["test-connection"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(fake.has_field("people", "externalId"));
    assert!(fake.has_field("companies", "externalId"));
    let run = run_blocking(cli, &["test-connection"]).await.1;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 2);

    let wrong_key = Cli::new()
        .env("TWENTY_CRM_BASE_URL", &fake.base_url())
        .env("TWENTY_CRM_API_KEY", "wrong-key-0123456789");
    let run = tokio::task::spawn_blocking(move || wrong_key.run(&["test-connection", "--json"]))
        .await
        .unwrap();
    assert_eq!(run.code, 1);
    assert!(
        run.json()["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("key"),
        "{}",
        run.stdout
    );
}

/// A workspace like the real seeded ones, only bigger: 1,000+ fields, a custom object, and the
/// new `externalId` sorting after every other field (the case that made the agent push nothing).
async fn crowded_workspace(config: FakeConfig) -> FakeTwenty {
    let fake = FakeTwenty::start(config).await;
    fake.add_padding_fields("companies", 500);
    fake.add_padding_fields("people", 400);
    fake.add_custom_object_with_fields(460);
    fake.set_new_field_ids_sort_last(true);
    assert!(fake.total_field_count() > 1_000);
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_crowded_workspace_passes_the_connection_test_and_syncs() {
    for config in [FakeConfig::legacy(), FakeConfig::current()] {
        let profile = config.profile;
        let fake = crowded_workspace(config).await;
        let cli = cli_for(&fake);
        let (cli, run) = run_blocking(cli, &["test-connection", "--json"]).await;
        assert_eq!(run.code, 0, "{profile:?}: {}{}", run.stdout, run.stderr);
        let report = run.json();
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 2);

        // The first sync knows the field from the test: no metadata request, no create.
        fake.clear_requests();
        cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
        let (cli, run) = run_blocking(cli, &["sync", "--until-idle"]).await;
        assert_eq!(run.code, 0, "{profile:?}: {}", run.stderr);
        assert_eq!(fake.find_by_external_id("companies", "c1").len(), 1);
        let metadata = fake
            .requests()
            .iter()
            .filter(|r| r.path.contains("metadata"))
            .count();
        assert_eq!(metadata, 0, "{profile:?}: {:?}", fake.requests());
        drop(cli);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_sync_finds_a_hand_made_field_in_a_crowded_workspace() {
    for config in [FakeConfig::legacy(), FakeConfig::current()] {
        let profile = config.profile;
        let fake = crowded_workspace(config).await;
        fake.create_external_id_fields();
        let cli = cli_for(&fake);
        cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
        let run = run_blocking(cli, &["sync", "--until-idle"]).await.1;
        assert_eq!(run.code, 0, "{profile:?}: {}", run.stderr);
        assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 0);
        assert_eq!(fake.find_by_external_id("companies", "c1").len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_sync_sends_no_request() {
    let fake = FakeTwenty::start(FakeConfig::legacy()).await;
    let cli = cli_for(&fake);
    // Nothing recorded at all: nothing to ask Twenty.
    let (cli, run) = run_blocking(cli, &["sync", "--until-idle"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fake.request_count(), 0, "{:?}", fake.requests());

    // After a real sync, new processes with nothing new to push send nothing either.
    cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    let (cli, run) = run_blocking(cli, &["sync", "--until-idle"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    fake.clear_requests();
    let (cli, run) = run_blocking(cli, &["sync", "--until-idle"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fake.request_count(), 0, "{:?}", fake.requests());

    // A change in a new process: no metadata request, the field is remembered.
    cli.ok(&["push", "company", "--external-id", "c2", "--name", "Beta"]);
    let run = run_blocking(cli, &["sync", "--until-idle"]).await.1;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        fake.requests().iter().all(|r| !r.path.contains("metadata")),
        "{:?}",
        fake.requests()
    );
}

/// The field made by another client between our read and our create: Twenty answers the create
/// with its literal "not available" (or 2.4.0's "Multiple validation errors"), which means the
/// field exists. Never exit 4, never "the key may not change the data model".
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_field_name_is_not_an_outage() {
    for config in [FakeConfig::legacy(), FakeConfig::current()] {
        let profile = config.profile;
        let fake = FakeTwenty::start(config).await;
        fake.create_external_id_fields();
        fake.set_hide_external_id_from_first_read(true);
        let cli = cli_for(&fake);
        cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
        let run = run_blocking(cli, &["sync", "--until-idle"]).await.1;
        assert_eq!(run.code, 0, "{profile:?}: {}", run.stderr);
        let refused = fake
            .requests()
            .iter()
            .filter(|r| r.path == "/rest/metadata/fields" && r.status == 400)
            .count();
        assert!(refused >= 1, "{profile:?}");
        assert!(refused <= 2, "{profile:?}: never loops on creating it");
        assert_eq!(fake.find_by_external_id("companies", "c1").len(), 1);
    }
}
