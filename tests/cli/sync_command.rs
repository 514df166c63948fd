//! `sync --until-idle` and `test-connection` against the fake Twenty, through the real binary.

use fake_twenty::{FakeConfig, FakeTwenty};

use crate::support::*;

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
        serde_json::json!({"emails": {"primaryEmail": "taken@example.com"}}),
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
    let (cli, run) = tokio::task::spawn_blocking(move || {
        let run = cli.run(&["sync", "--until-idle"]);
        (cli, run)
    })
    .await
    .unwrap();
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
    let run = tokio::task::spawn_blocking(move || cli.run(&["sync", "--until-idle"]))
        .await
        .unwrap();
    assert_eq!(run.code, 4, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_reports_each_check() {
    let fake = FakeTwenty::start(FakeConfig::current()).await;
    let cli = cli_for(&fake);
    let (cli, run) = tokio::task::spawn_blocking(move || {
        let run = cli.run(&["test-connection", "--json"]);
        (cli, run)
    })
    .await
    .unwrap();
    let report = run.json();
    assert_eq!(report["ok"], false, "externalId is not there yet: {report}");
    assert!(report["checks"].as_array().unwrap().len() >= 4);
    assert!(report["latency_ms"].is_u64());
    assert_eq!(run.code, 1);

    fake.create_external_id_fields();
    let run = tokio::task::spawn_blocking(move || cli.run(&["test-connection"]))
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

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
