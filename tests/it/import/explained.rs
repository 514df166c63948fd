//! Imports explain themselves, through the real binary and a running agent: each file's
//! warnings (ignored columns, a Windows-1252 guess, people whose company row was invalid) are
//! recorded and listed in the imports history and Activity; a resumed import shows its whole
//! duration, marked as resumed; and once pushed, each file's outcome in Twenty (created,
//! updated, unchanged, failed with the failed records' ids) against the fake Twenty.

use std::time::{Duration, Instant};

use fake_twenty::{FakeConfig, FakeTwenty};
use twenty_sync::app::ops;
use twenty_sync::app::queries::{EventCategory, ImportRow};

use super::running::{companies_csv, said, wait_for, Folder, RunningAgent};

/// The imports history row of `file_name` (the newest), once it is there.
fn history_row(agent: &RunningAgent, file_name: &str) -> Option<ImportRow> {
    agent
        .call(ops::Imports { limit: None })
        .rows
        .into_iter()
        .find(|row| row.file_name == file_name && row.seq.is_some())
}

fn import_events(agent: &RunningAgent) -> Vec<twenty_sync::app::EventRow> {
    agent
        .call(ops::Events {
            categories: vec![EventCategory::Imports],
            limit: Some(200),
            ..ops::Events::default()
        })
        .rows
}

/// Drops `text` into the agent's drop folder as `name` (written aside, then renamed in).
fn drop_file(folder: &Folder, name: &str, text: &[u8]) {
    let inbox = folder.data().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let staged = inbox.join(format!(".{name}.tmp"));
    std::fs::write(&staged, text).expect("write");
    std::fs::rename(&staged, inbox.join(name)).expect("rename");
}

#[test]
fn warnings_are_recorded_and_listed_in_the_history_and_activity() {
    let folder = Folder::new();
    // Windows-1252 (é, ü), a column twenty-sync does not use, and a company row without a name
    // that a person names as their company.
    folder.write(
        "contacts.csv",
        b"type,id,name,email,company_id,notes\ncompany,c-9,,,,\nperson,p1,Ada Caf\xe9,ada@x.io,c-9,vip\nperson,p2,B\xfcb,bob@x.io,,\n",
    );
    let run = folder.run(&["import", "contacts.csv"]);
    assert_eq!(run.code, 3, "{}", said(&run));
    let expected = [
        "column 'notes' matches no field and is ignored",
        "read as Windows-1252",
        "company c-9 (row 1) is invalid and 1 person names it as their company (row 2): they will be pushed without a company",
    ];
    for warning in expected {
        assert!(run.stdout.contains(warning), "{warning}: {}", said(&run));
    }

    let agent = folder.start_agent();
    // A file dropped into the drop folder: its warnings are recorded too.
    drop_file(
        &folder,
        "people.csv",
        b"id,name,email,shoe size\np7,Grace,grace@x.io,38\n",
    );
    let dropped = wait_for(
        "the dropped file in the history",
        Duration::from_secs(30),
        || history_row(&agent, "people.csv"),
    );
    assert!(
        dropped
            .warnings
            .iter()
            .any(|w| w.contains("column 'shoe size' matches no field and is ignored")),
        "{dropped:?}"
    );
    let row = history_row(&agent, "contacts.csv").expect("the command's import is listed");
    for warning in expected {
        assert!(
            row.warnings.iter().any(|w| w.contains(warning)),
            "{warning}: {:?}",
            row.warnings
        );
    }
    let noted: Vec<_> = import_events(&agent)
        .into_iter()
        .filter(|event| event.kind == "ImportNoted")
        .collect();
    assert_eq!(noted.len(), 2, "{noted:?}");
    let contacts = noted
        .iter()
        .find(|event| event.summary.starts_with("import of contacts.csv"))
        .expect("Activity shows the warnings of contacts.csv");
    assert!(
        contacts.summary.contains("3 warnings"),
        "{}",
        contacts.summary
    );
    drop(agent);

    // Durable: a new process reads them from the log.
    let events = folder.run(&["events", "--json", "--tail", "50"]).json();
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "ImportNoted").count(), 2);
}

#[test]
fn a_resumed_import_shows_its_whole_duration_marked_as_resumed() {
    let folder = Folder::new();
    let rows = 40_000;
    let text = companies_csv(rows, "Company");
    let agent = folder.start_agent();
    let began = Instant::now();
    drop_file(&folder, "companies-big.csv", text.as_bytes());
    // Crash the agent once the first chunk is durable, before the file is complete.
    wait_for("the first checkpoint", Duration::from_secs(120), || {
        import_events(&agent)
            .iter()
            .any(|e| e.kind == "ImportProgress")
            .then_some(())
    });
    let completed_before_crash = import_events(&agent)
        .iter()
        .any(|e| e.kind == "ImportCompleted");
    agent.crash();
    assert!(
        !completed_before_crash,
        "the file was imported before the agent could be stopped; make it larger"
    );
    let downtime = Duration::from_millis(1_500);
    std::thread::sleep(downtime);

    let agent = folder.start_agent();
    let row = wait_for("the resumed import", Duration::from_secs(180), || {
        history_row(&agent, "companies-big.csv")
    });
    let whole = began.elapsed();
    assert!(row.resumed, "{row:?}");
    assert!(row.resumed_after_row.is_some_and(|r| r >= 1_000), "{row:?}");
    assert_eq!(row.recorded, rows, "every row recorded once: {row:?}");
    let completed = import_events(&agent)
        .into_iter()
        .find(|e| e.kind == "ImportCompleted")
        .expect("completed");
    let last_part_ms = completed.details["duration_ms"].as_u64().expect("duration");
    assert!(
        row.duration_ms >= last_part_ms + downtime.as_millis() as u64,
        "the whole import, not its last part ({last_part_ms} ms): {row:?}"
    );
    assert!(
        row.duration_ms <= whole.as_millis() as u64,
        "not longer than it took: {row:?}"
    );
    let status = agent.call(ops::Status {});
    assert_eq!(status.intents, rows, "each row exactly once");
}

#[test]
fn once_pushed_each_file_shows_its_outcome_in_twenty_with_the_failed_ids() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current()));
    fake.create_external_id_fields();
    fake.insert_record(
        "people",
        serde_json::json!({"externalId": "someone-else", "emails": {"primaryEmail": "taken@example.com"}}),
    );
    let folder = Folder::for_twenty(&fake.base_url(), &fake.api_key());
    folder.write(
        "people.csv",
        "id,name,email\np1,Ada Lovelace,ada@example.com\np2,Bob Marley,bob@example.com\np3,Taken,taken@example.com\n",
    );
    let run = folder.run(&["import", "people.csv"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let run = folder.run(&["sync", "--until-idle"]);
    assert_eq!(run.code, 1, "one record is refused: {}", said(&run));

    let agent = folder.start_agent();
    let first = history_row(&agent, "people.csv").expect("listed");
    let outcome = first.outcome.expect("an outcome in Twenty");
    assert_eq!(
        (outcome.created, outcome.updated, outcome.unchanged),
        (2, 0, 0),
        "{outcome:?}"
    );
    assert_eq!((outcome.failed, outcome.waiting), (1, 0), "{outcome:?}");
    assert!(outcome.pushed, "{outcome:?}");
    assert_eq!(outcome.failed_records.len(), 1);
    assert_eq!(outcome.failed_records[0].external_id, "p3");
    assert_eq!(outcome.failed_records[0].kind, "person");
    assert!(
        outcome.failed_records[0].error.starts_with("DUPLICATE"),
        "{outcome:?}"
    );

    // The next file, imported through the running agent: one record changed, one the same.
    folder.write(
        "people-next.csv",
        "id,name,email\np1,Ada Lovelace,ada@example.com\np2,Bob Dylan,bob@example.com\n",
    );
    let run = folder.run(&["import", "people-next.csv"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let outcome = wait_for("the next file pushed", Duration::from_secs(60), || {
        history_row(&agent, "people-next.csv")
            .and_then(|row| row.outcome)
            .filter(|outcome| outcome.pushed)
    });
    assert_eq!(
        (
            outcome.created,
            outcome.updated,
            outcome.unchanged,
            outcome.failed
        ),
        (0, 1, 1, 0),
        "{outcome:?}"
    );
    drop(agent);
    drop(fake);
}
