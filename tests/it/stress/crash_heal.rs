//! Crash points inside the request floor's strategy (issue 14): the real binary killed with
//! SIGKILL at seeded-random moments between a refused batch and its lookup (batch creates that
//! commit and answer 500 or lose their answer, on a slow server so kills land in the window),
//! and in the middle of adopting the records a populated workspace already holds. After each
//! kill the agent restarts and finishes; the crash suite's invariants hold, every record once,
//! and every record Twenty already held is adopted, never duplicated.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use serde_json::json;

use super::invariants::*;
use super::support::*;

fn fast_agent(fake: &Fake) -> Agent {
    let mut agent = Agent::new(Some(fake));
    agent.set_env("TWENTY_SYNC_RATE_LIMIT", "10000");
    agent
}

fn import(agent: &Agent, ledger: &mut Ledger, name: &str, csv: &str) {
    let path = agent.dir.path().join(name);
    std::fs::write(&path, csv).unwrap();
    agent.ok(&["import", path.to_str().unwrap()]);
    ledger
        .files
        .insert(name.to_string(), csv.lines().count() as u64 - 1);
}

/// Live records of `object` by `externalId`; panics on a record held twice.
fn by_external_id(fake: &Fake, object: &str) -> HashMap<String, serde_json::Value> {
    let mut records = HashMap::new();
    for record in fake.get().records(object) {
        let ext = record["externalId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !ext.is_empty() {
            assert!(records.insert(ext.clone(), record).is_none(), "{ext} twice");
        }
    }
    records
}

#[test]
fn kill_between_a_refused_batch_and_its_lookup() {
    if !crate::support::stress_enabled("kill_between_a_refused_batch_and_its_lookup") {
        return;
    }
    let seed = base_seed("crash/heal");
    for run in 0..runs(10) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        let rows = rng.random_range(300..900);
        import(
            &agent,
            &mut ledger,
            &format!("companies-{run}.csv"),
            &companies_csv("c", 0, rows, "v1"),
        );
        import(
            &agent,
            &mut ledger,
            &format!("people-{run}.csv"),
            &people_csv("p", 0, rows / 2, "v1"),
        );
        // Batches commit and answer 500, or lose their answer: each resend is refused and
        // looked up. Slow answers widen the window between the refusal and the lookup.
        fake.get()
            .faults()
            .error_after_commit_next(rng.random_range(1..4));
        fake.get()
            .faults()
            .drop_after_commit_next(rng.random_range(0..3));
        fake.get().faults().slow(rng.random_range(20..80));
        for round in 0..rng.random_range(1..4) {
            let kill_after = Duration::from_millis(rng.random_range(50..1_200));
            let out = agent.run_or_kill(&["sync", "--until-idle"], Some(kill_after));
            eprintln!(
                "[crash/heal] run {run} round {round}: {rows} rows, kill after {kill_after:?}, killed {}",
                out.killed
            );
            if rng.random_bool(0.5) {
                fake.get().faults().error_after_commit_next(1);
            }
        }
        fake.get().faults().slow(0);
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 0);
        assert_eq!(by_external_id(&fake, "companies").len(), rows);
    }
}

#[test]
fn kill_during_adoption_into_a_populated_workspace() {
    if !crate::support::stress_enabled("kill_during_adoption_into_a_populated_workspace") {
        return;
    }
    let seed = base_seed("crash/adopt");
    for run in 0..runs(10) {
        let mut rng = rng(seed, run);
        let fake = Fake::with_external_id();
        let rows = rng.random_range(200..600);
        // Twenty already holds a share of the directory, made by hand (no externalId).
        let mut held = Vec::new();
        for i in (0..rows).filter(|_| rng.random_bool(0.3)) {
            let company = fake.get().insert_record(
                "companies",
                json!({"name": "Hand-made", "domainName": {"primaryLinkUrl": format!("https://c{i}.example.com")}}),
            );
            let person = fake.get().insert_record(
                "people",
                json!({"name": {"firstName": "Hand"}, "emails": {"primaryEmail": format!("p{i}@example.com")}}),
            );
            held.push((
                format!("c{i}"),
                company["id"].clone(),
                format!("p{i}"),
                person["id"].clone(),
            ));
        }
        let agent = fast_agent(&fake);
        let mut ledger = Ledger::default();
        import(
            &agent,
            &mut ledger,
            &format!("companies-{run}.csv"),
            &companies_csv("c", 0, rows, "v1"),
        );
        import(
            &agent,
            &mut ledger,
            &format!("people-{run}.csv"),
            &people_csv("p", 0, rows, "v1"),
        );
        fake.get().faults().slow(rng.random_range(5..30));
        if rng.random_bool(0.4) {
            fake.get().faults().drop_after_commit_next(1);
        }
        for round in 0..rng.random_range(1..4) {
            let kill_after = Duration::from_millis(rng.random_range(100..2_500));
            let out = agent.run_or_kill(&["sync", "--until-idle"], Some(kill_after));
            eprintln!(
                "[crash/adopt] run {run} round {round}: {rows} rows, {} held, kill after {kill_after:?}, killed {}",
                held.len(),
                out.killed
            );
        }
        fake.get().faults().slow(0);
        let done = agent.sync_until_idle();
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        check_invariants(&agent, &fake, &ledger, 0);
        // Every record Twenty held is adopted: the same Twenty record, now with our id.
        let companies = by_external_id(&fake, "companies");
        let people = by_external_id(&fake, "people");
        for (company, company_id, person, person_id) in &held {
            assert_eq!(&companies[company]["id"], company_id, "{company} adopted");
            assert_eq!(&people[person]["id"], person_id, "{person} adopted");
        }
        assert_eq!(fake.get().records("companies").len(), rows, "no duplicates");
        assert_eq!(fake.get().records("people").len(), rows, "no duplicates");
    }
}
