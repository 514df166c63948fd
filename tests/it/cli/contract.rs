//! The command-line contract other tools rely on: names, JSON shapes, exit codes.

use super::support::*;

#[test]
fn push_then_status_events_and_mappings() {
    let cli = Cli::new();
    let run = cli.ok(&[
        "push",
        "company",
        "--external-id",
        "c1",
        "--name",
        "Acme",
        "--website",
        "acme.com",
    ]);
    assert!(run.stdout.contains("recorded company c1"), "{}", run.stdout);
    cli.ok(&[
        "push",
        "person",
        "--external-id",
        "p1",
        "--name",
        "Ada Lovelace",
        "--email",
        "ADA@example.com",
        "--company-external-id",
        "c1",
        "--company-name",
        "Acme",
        "--phone",
        "+44 20 1234",
        "--job-title",
        "Countess",
        "--city",
        "London",
    ]);
    cli.ok(&[
        "push",
        "person",
        "--external-id",
        "p2",
        "--name",
        "x",
        "--email",
        "g@example.com",
        "--first-name",
        "Grace",
        "--last-name",
        "Hopper",
    ]);

    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(status["pending"], 3);
    assert_eq!(status["failed"], 0);
    assert_eq!(status["synced"], 0);
    assert_eq!(status["state"], "pending");
    assert_eq!(status["mappings"]["companies"], 0);
    assert_eq!(status["mappings"]["people"], 0);

    let events = cli.ok(&["events", "--tail", "2", "--json"]).json();
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["seq"], 2);
    assert_eq!(events[1]["kind"], "IntentRecorded");
    assert_eq!(events[0]["details"]["fields"]["email"], "ada@example.com");
    assert_eq!(events[0]["details"]["fields"]["job_title"], "Countess");

    let text = cli.ok(&["events"]).stdout;
    assert_eq!(text.lines().count(), 3);
    assert_eq!(
        cli.ok(&["mappings", "--json"]).json(),
        serde_json::json!([])
    );
    let rebuilt = cli.ok(&["rebuild-projections"]);
    assert!(rebuilt.stdout.contains("3 events"), "{}", rebuilt.stdout);
    assert_eq!(cli.ok(&["status", "--json"]).json(), status);
}

#[test]
fn a_second_process_is_told_who_holds_the_store() {
    let cli = Cli::new();
    cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    let mut agent = cli.command(&["run"]).spawn().unwrap();
    // Wait (bounded) until the agent holds the lock.
    let lock = cli.data_dir().join("store.lock");
    crate::support::wait_until(
        "the agent holds the lock",
        std::time::Duration::from_secs(5),
        || std::fs::read_to_string(&lock).unwrap_or_default().trim() == agent.id().to_string(),
    );
    let run = cli.run(&["status"]);
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("in use by pid {}", agent.id())),
        "{}",
        run.stderr
    );
    // Once the agent is gone, the store opens again and lost nothing.
    assert_eq!(cli.ok(&["status", "--json"]).json()["pending"], 1);
}

#[test]
fn help_names_every_command() {
    let help = Cli::new().ok(&["--help"]).stdout;
    for command in [
        "push",
        "status",
        "events",
        "mappings",
        "rebuild-projections",
        "run",
        "sync",
        "test-connection",
        "retry-failed",
    ] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}
