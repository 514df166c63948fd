//! Crash suite: the real binary killed with SIGKILL at seeded-random moments during a drop-folder
//! import, batch pushes, a bisect, a config change and the creation / first open of a store;
//! after each kill the agent restarts and finishes, and the invariants are checked.

use std::time::Duration;

use rand::Rng;
use serde_json::json;
use twenty_sync::domain::EntityKind;

use super::invariants::*;
use super::support::*;
use crate::support::copy_dir;

fn fast_agent(fake: &Fake) -> Agent {
    let mut agent = Agent::new(Some(fake));
    agent.set_env("TWENTY_SYNC_RATE_LIMIT", "10000");
    agent
}

#[test]
fn kill_during_drop_folder_import() {
    if !crate::support::stress_enabled("kill_during_drop_folder_import") {
        return;
    }
    let seed = base_seed("crash/import");
    for run in 0..runs(12) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        let rows = rng.random_range(1_500..3_500);
        let child = agent.start_run();
        let companies = format!("companies-{run}.csv");
        agent.drop_file(&companies, &companies_csv("c", 0, rows, "v1"));
        ledger.files.insert(companies, rows as u64);
        if rng.random_bool(0.5) {
            let people = format!("people-{run}.csv");
            agent.drop_file(&people, &people_csv("p", 0, rows / 2, "v1"));
            ledger.files.insert(people, (rows / 2) as u64);
        }
        let kill_after = Duration::from_millis(rng.random_range(100..2_500));
        std::thread::sleep(kill_after);
        let mut child = child;
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!("[crash/import] run {run}: {rows} rows, killed after {kill_after:?}");
        let child = agent.start_run();
        agent.wait_in_sync_and_stop(child, Duration::from_secs(90));
        check_invariants(&agent, &fake, &ledger, 0);
    }
}

#[test]
fn kill_during_batch_pushes() {
    if !crate::support::stress_enabled("kill_during_batch_pushes") {
        return;
    }
    let seed = base_seed("crash/push");
    for run in 0..runs(12) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        let rows = rng.random_range(300..900);
        let file = agent.dir.path().join(format!("companies-{run}.csv"));
        std::fs::write(&file, companies_csv("c", 0, rows, "v1")).unwrap();
        agent.ok(&["import", file.to_str().unwrap()]);
        ledger
            .files
            .insert(format!("companies-{run}.csv"), rows as u64);
        fake.get().faults().slow(rng.random_range(2..20));
        if rng.random_bool(0.3) {
            fake.get().faults().drop_after_commit_next(1);
        }
        for round in 0..rng.random_range(1..4) {
            let kill_after = Duration::from_millis(rng.random_range(50..1_500));
            let out = agent.run_or_kill(&["sync", "--until-idle"], Some(kill_after));
            eprintln!(
                "[crash/push] run {run} round {round}: kill after {kill_after:?}, killed {}",
                out.killed
            );
            // An edit of some records between kills: the newest fields must win.
            let edited = format!("companies-edit-{run}-{round}.csv");
            let path = agent.dir.path().join(&edited);
            let from = rng.random_range(0..rows / 2);
            std::fs::write(
                &path,
                companies_csv("c", from, from + 50, &format!("v{round}e")),
            )
            .unwrap();
            agent.ok(&["import", path.to_str().unwrap()]);
            ledger.files.insert(edited, 50);
        }
        fake.get().faults().slow(0);
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 0);
    }
}

#[test]
fn kill_during_bisect_of_a_failing_batch() {
    if !crate::support::stress_enabled("kill_during_bisect_of_a_failing_batch") {
        return;
    }
    let seed = base_seed("crash/bisect");
    for run in 0..runs(10) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        fake.get().insert_record(
            "people",
            json!({"emails": {"primaryEmail": "taken@example.com"}}),
        );
        let mut agent = fast_agent(&fake);
        // Never adopting: the batch is created at once, refused, looked up, sent again and
        // bisected down to the one record (adoption has its own scenarios in `crash_heal`).
        agent.set_env("TWENTY_SYNC_MATCH_EXISTING", "external_id");
        let mut ledger = Ledger::default();
        let rows = rng.random_range(100..240);
        let bad = rng.random_range(0..rows);
        let mut csv = people_csv("p", 0, rows, "v1");
        csv = csv.replace(&format!(",p{bad}@example.com\n"), ",taken@example.com\n");
        let name = format!("people-{run}.csv");
        let file = agent.dir.path().join(&name);
        std::fs::write(&file, csv).unwrap();
        agent.ok(&["import", file.to_str().unwrap()]);
        ledger.files.insert(name, rows as u64);
        fake.get().faults().slow(rng.random_range(5..25));
        let kill_after = Duration::from_millis(rng.random_range(30..1_200));
        let out = agent.run_or_kill(&["sync", "--until-idle"], Some(kill_after));
        eprintln!(
            "[crash/bisect] run {run}: bad row {bad} of {rows}, kill after {kill_after:?}, killed {}",
            out.killed
        );
        fake.get().faults().slow(0);
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(1), "one record is parked: {}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 1);
    }
}

#[test]
fn kill_during_config_changes() {
    if !crate::support::stress_enabled("kill_during_config_changes") {
        return;
    }
    let seed = base_seed("crash/config");
    for run in 0..runs(10) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        let mut attempted = vec!["60".to_string()];
        for step in 0..8 {
            let kill = rng.random_bool(0.5);
            let kill_after = kill.then(|| Duration::from_millis(rng.random_range(0..60)));
            if rng.random_bool(0.5) {
                let size = rng.random_range(1..200).to_string();
                attempted.push(size.clone());
                let out = agent.run_or_kill(&["config", "set", "batch_size", &size], kill_after);
                assert!(out.killed || out.code == Some(0), "{}", out.stderr);
            } else {
                let name = format!("Config Co {step}");
                let id = format!("cfg-{}", rng.random_range(0..4));
                let out = agent.run_or_kill(
                    &["push", "company", "--external-id", &id, "--name", &name],
                    kill_after,
                );
                if out.code == Some(0) {
                    ledger.recorded.push((EntityKind::Company, id, name));
                } else {
                    assert!(out.killed, "{}", out.stderr);
                }
            }
        }
        // Settings through a running agent's API, killed around the change.
        let child = agent.start_run();
        std::thread::sleep(Duration::from_millis(rng.random_range(100..1_000)));
        let size = rng.random_range(1..200).to_string();
        attempted.push(size.clone());
        let _ = agent.run(&["config", "set", "batch_size", &size]);
        let mut child = child;
        child.kill().unwrap();
        child.wait().unwrap();
        let shown = agent.ok(&["config", "show", "--json"]).json();
        let value = shown["batch_size"]["value"].to_string().replace('"', "");
        assert!(attempted.contains(&value), "batch_size {value} never set");
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 0);
    }
}

/// The store format is 1 and the only migration is 0001 (the initial layout), so "migration"
/// means the creation of a fresh store (0001 applied) and the first open of a format-1 store
/// (the committed fixture): both are killed at random moments.
#[test]
fn kill_during_store_creation_and_first_open() {
    if !crate::support::stress_enabled("kill_during_store_creation_and_first_open") {
        return;
    }
    let seed = base_seed("crash/migration");
    let fake = Fake::with_external_id();
    for run in 0..runs(10) {
        let mut rng = rng(seed, run);
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        if run % 2 == 0 {
            let kill_after = Duration::from_millis(rng.random_range(0..40));
            let id = format!("mig-{run}");
            let out = agent.run_or_kill(
                &["push", "company", "--external-id", &id, "--name", "First"],
                Some(kill_after),
            );
            if out.code == Some(0) {
                ledger
                    .recorded
                    .push((EntityKind::Company, id.clone(), "First".into()));
            }
            eprintln!(
                "[crash/migration] fresh store run {run}: killed {}",
                out.killed
            );
        } else {
            copy_dir(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1"),
                &agent.data_dir(),
            );
            let kill_after = Duration::from_millis(rng.random_range(0..60));
            let out = agent.run_or_kill(&["status", "--json"], Some(kill_after));
            eprintln!("[crash/migration] fixture run {run}: killed {}", out.killed);
            let store = agent.open_store();
            let ids: Vec<String> = intents(&store)
                .into_iter()
                .map(|(_, i)| i.external_id)
                .collect();
            for id in ["fixture-c1", "fixture-p1", "fixture-p2"] {
                assert!(ids.iter().any(|i| i == id), "{id} lost: {ids:?}");
            }
        }
        let id = format!("mig-after-{run}");
        agent.ok(&["push", "company", "--external-id", &id, "--name", "After"]);
        ledger
            .recorded
            .push((EntityKind::Company, id, "After".into()));
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 0);
    }
}
