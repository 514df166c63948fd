//! `failures`, `dismiss` and `link` through the real binary against the fake Twenty: a duplicate
//! names the record it collides with, a link adopts that record, a dismissal keeps the record
//! out of the queue until a newer intent; with and without a running agent.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::{json, Value};

use super::support::*;
use crate::support::wait_until;

/// Runs the binary off the async runtime (the fake serves on it) and hands the `Cli` back.
async fn run(cli: Cli, args: &[&str]) -> (Cli, Run) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = cli.run(&args);
        (cli, run)
    })
    .await
    .unwrap()
}

/// The CLI against `fake`, never adopting a Twenty record by its e-mail (these tests are about
/// the conflicts a person resolves; adoption is in `sync::adoption`).
fn cli_for(fake: &FakeTwenty) -> Cli {
    Cli::new()
        .env("TWENTY_CRM_BASE_URL", &fake.base_url())
        .env("TWENTY_CRM_API_KEY", &fake.api_key())
        .env("TWENTY_SYNC_MATCH_EXISTING", "external_id")
}

/// Someone Else holds `email` in Twenty, without an externalId; returns the record's id.
fn someone_else(fake: &FakeTwenty, email: &str) -> String {
    let record = fake.insert_record(
        "people",
        json!({"name": {"firstName": "Someone", "lastName": "Else"}, "emails": {"primaryEmail": email}}),
    );
    record["id"].as_str().unwrap().to_string()
}

fn push_person(cli: &Cli, id: &str, name: &str, email: &str) {
    cli.ok(&[
        "push",
        "person",
        "--external-id",
        id,
        "--name",
        name,
        "--email",
        email,
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_names_its_twenty_record_and_link_adopts_it() {
    let fake = FakeTwenty::start(FakeConfig::current()).await;
    let holder = someone_else(&fake, "taken@example.com");
    let cli = cli_for(&fake);
    push_person(&cli, "p2", "Bo Diddley", "taken@example.com");
    let (cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 1, "{}", synced.stderr);

    let list = cli.ok(&["failures", "--json"]).json();
    assert_eq!(list["total"], 1);
    let row = &list["rows"][0];
    assert_eq!(
        (row["kind"].as_str(), row["external_id"].as_str()),
        (Some("person"), Some("p2"))
    );
    assert_eq!(row["state"], "failed");
    assert_eq!(row["error_code"], "DUPLICATE");
    assert_eq!(
        row["conflict"],
        json!({
            "field": "emails.primaryEmail",
            "value": "taken@example.com",
            "twenty_id": holder,
            "name": "Someone Else",
            "external_id": null,
            "in_trash": false,
            "twenty_url": format!("{}/object/person/{holder}", fake.base_url()),
            "linkable": true,
        })
    );
    let text = cli.ok(&["failures"]).stdout;
    assert!(text.contains("1 parked failure:"), "{text}");
    assert!(
        text.contains(
            "Duplicate emails.primaryEmail \"taken@example.com\": the person \"Someone Else\""
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("to adopt it: twenty-sync link person p2 {holder}")),
        "{text}"
    );

    // Only the record the failure names can be adopted; nothing is recorded otherwise.
    let wrong = cli.run(&[
        "link",
        "person",
        "p2",
        "00000000-0000-4000-8000-000000000000",
    ]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong
            .stderr
            .contains(&format!("collides with the Twenty record {holder}")),
        "{}",
        wrong.stderr
    );
    let not_parked = cli.run(&["link", "person", "nobody", &holder]);
    assert_eq!(not_parked.code, 1, "{}", not_parked.stderr);
    assert!(not_parked
        .stderr
        .contains("person nobody is not parked as failed"));
    let bad_kind = cli.run(&["link", "dog", "p2", &holder]);
    assert_eq!(bad_kind.code, 2, "{}", bad_kind.stderr);

    let linked = cli.ok(&["link", "person", "p2", &holder]);
    assert!(
        linked
            .stdout
            .contains(&format!("linked person p2 to the Twenty record {holder}")),
        "{}",
        linked.stdout
    );
    assert_eq!(cli.ok(&["failures", "--json"]).json()["total"], 0);
    let (cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    let adopted = fake.record("people", &holder).unwrap();
    assert_eq!(adopted["externalId"], "p2");
    assert_eq!(
        adopted["name"],
        json!({"firstName": "Bo", "lastName": "Diddley"})
    );
    assert_eq!(fake.records("people").len(), 1, "no second record");
    let mappings = cli.ok(&["mappings", "--json"]).json();
    assert_eq!(mappings[0]["twenty_id"], holder.as_str());
    assert_eq!(mappings[0]["state"], "synced");
    let events = cli.ok(&["events", "--json"]).json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "RecordLinked" && e["details"]["by"] == "cli"),
        "{events}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dismissed_failure_leaves_the_list_and_waits_for_a_newer_intent() {
    let fake = FakeTwenty::start(FakeConfig::legacy()).await;
    someone_else(&fake, "taken@example.com");
    let cli = cli_for(&fake);
    push_person(&cli, "p3", "Cy Twombly", "taken@example.com");
    let (cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 1, "{}", synced.stderr);
    let row = cli.ok(&["failures", "--json"]).json()["rows"][0].clone();
    assert_eq!(row["conflict"]["field"], "emails.primaryEmail");

    let dismissed = cli.ok(&["dismiss", "person", "p3"]);
    assert_eq!(
        dismissed.stdout.trim(),
        "dismissed person p3: it stays out of the queue until a newer intent for it arrives"
    );
    assert_eq!(cli.ok(&["failures"]).stdout.trim(), "no parked failures");
    let status = cli.ok(&["status", "--json"]).json();
    assert_eq!(
        (status["failed"].as_u64(), status["pending"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        cli.ok(&["retry-failed"]).stdout.trim(),
        "0 parked records are queued again"
    );
    let again = cli.run(&["dismiss", "person", "p3"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("person p3 is not parked as failed"),
        "{}",
        again.stderr
    );

    let before = fake.request_count();
    let (cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert_eq!(
        fake.request_count(),
        before,
        "a dismissed record is not pushed"
    );

    // A newer intent (with a fixed e-mail) is pushed as any other.
    push_person(&cli, "p3", "Cy Twombly", "cy@example.com");
    let (_cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    assert_eq!(fake.find_by_external_id("people", "p3").len(), 1);
}

/// `twenty-sync run` on the CLI's data directory, killed when dropped.
struct RunningAgent(std::process::Child);

impl RunningAgent {
    fn start(cli: &Cli) -> RunningAgent {
        let child = cli
            .command(&["--ui-port", "0", "run"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let agent = RunningAgent(child);
        let agent_file = cli.data_dir().join("agent.json");
        wait_until(
            "the agent announces its API",
            Duration::from_secs(30),
            || {
                std::fs::read_to_string(&agent_file)
                    .ok()
                    .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                    .is_some_and(|file| file["port"].is_u64())
            },
        );
        agent
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_commands_mean_the_same_beside_a_running_agent() {
    let fake = FakeTwenty::start(FakeConfig::current()).await;
    let holder = someone_else(&fake, "taken@example.com");
    someone_else(&fake, "also-taken@example.com");
    let cli = cli_for(&fake);
    push_person(&cli, "p4", "Di Fiore", "taken@example.com");
    push_person(&cli, "p5", "Ed Ruscha", "also-taken@example.com");
    let (cli, synced) = run(cli, &["sync", "--until-idle"]).await;
    assert_eq!(synced.code, 1, "{}", synced.stderr);
    let alone = cli.ok(&["failures", "--json"]).json();
    let alone_text = cli.ok(&["failures"]).stdout;
    assert_eq!(alone["total"], 2);

    let holder_id = holder.clone();
    let cli = tokio::task::spawn_blocking(move || {
        let holder = holder_id;
        let _agent = RunningAgent::start(&cli);
        let beside = cli.ok(&["failures", "--json"]);
        assert!(
            beside.stderr.contains("(asking the agent"),
            "{}",
            beside.stderr
        );
        assert_eq!(beside.json(), alone);
        assert_eq!(cli.ok(&["failures"]).stdout, alone_text);
        let wrong = cli.run(&["link", "person", "p4", "not-the-one"]);
        assert_eq!(wrong.code, 2, "{}", wrong.stderr);
        assert!(wrong
            .stderr
            .contains(&format!("collides with the Twenty record {holder}")));
        cli.ok(&["link", "person", "p4", &holder]);
        cli.ok(&["dismiss", "person", "p5"]);
        assert_eq!(cli.ok(&["failures"]).stdout.trim(), "no parked failures");
        wait_until(
            "the agent adopted the record",
            Duration::from_secs(30),
            || fake_record_external_id(&cli) == Some("p4".into()),
        );
        cli
    })
    .await
    .unwrap();
    assert_eq!(fake.record("people", &holder).unwrap()["externalId"], "p4");
    drop(cli);
}

/// The external id the CLI's mappings give the adopted record, once synced.
fn fake_record_external_id(cli: &Cli) -> Option<String> {
    let mappings = cli.run(&["mappings", "--json"]);
    let rows: Value = serde_json::from_str(&mappings.stdout).ok()?;
    rows.as_array()?
        .iter()
        .find(|row| row["state"] == "synced")
        .and_then(|row| row["external_id"].as_str())
        .map(str::to_string)
}
