//! What every stress run must leave true, whatever was killed when: every intent in Twenty
//! exactly once with its last values, nothing pending, the expected records parked; and the
//! import files the suites drop.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use twenty_sync::domain::{EntityKind, Event, Intent, IntentSource};
use twenty_sync::store::Store;

use super::support::{Agent, Fake};

/// A companies CSV (`external_id,name,website`) of rows `from..to`, names tagged with `tag`.
pub fn companies_csv(prefix: &str, from: usize, to: usize, tag: &str) -> String {
    let mut text = String::from("external_id,name,website\n");
    for i in from..to {
        text.push_str(&format!(
            "{prefix}{i},Company {i} {tag},{prefix}{i}.example.com\n"
        ));
    }
    text
}

/// A people CSV (`external_id,name,email`) of rows `from..to`.
pub fn people_csv(prefix: &str, from: usize, to: usize, tag: &str) -> String {
    let mut text = String::from("external_id,name,email\n");
    for i in from..to {
        text.push_str(&format!(
            "{prefix}{i},Person{tag} Number{i},{prefix}{i}@example.com\n"
        ));
    }
    text
}

// ----- invariants ---------------------------------------------------------------------------

/// What the CLI reported as recorded (kind, external id, name), in order.
#[derive(Default)]
pub struct Ledger {
    pub recorded: Vec<(EntityKind, String, String)>,
    /// Files dropped or imported: name → data rows.
    pub files: BTreeMap<String, u64>,
}

/// Every intent in the log, in order.
pub fn intents(store: &Store) -> Vec<(u64, Intent)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 5_000).unwrap();
        let Some(last) = page.last() else {
            return out;
        };
        after = last.seq;
        for envelope in page {
            if let Event::IntentRecorded(intent) = envelope.event {
                out.push((envelope.seq, intent));
            }
        }
    }
}

fn object(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "companies",
        EntityKind::Person => "people",
    }
}

fn twenty_name(kind: EntityKind, record: &Value) -> String {
    match kind {
        EntityKind::Company => record["name"].as_str().unwrap_or_default().to_string(),
        EntityKind::Person => format!(
            "{} {}",
            record["name"]["firstName"].as_str().unwrap_or_default(),
            record["name"]["lastName"].as_str().unwrap_or_default()
        ),
    }
}

/// The invariants, checked with the agent stopped:
/// 1. every intent the CLI reported recorded is in the log;
/// 2. every row of every dropped file is recorded exactly once;
/// 3. Twenty holds exactly one record per external id, with the newest fields (records parked
///    as failed aside, which must be `expected_failed`);
/// 4. `rebuild_projections` corrects nothing and leaves the projections unchanged.
pub fn check_invariants(agent: &Agent, fake: &Fake, ledger: &Ledger, expected_failed: usize) {
    let store = agent.open_store();
    let all = intents(&store);
    let present: HashSet<(EntityKind, String, String)> = all
        .iter()
        .map(|(_, i)| {
            (
                i.kind,
                i.external_id.clone(),
                i.fields.name.clone().unwrap_or_default(),
            )
        })
        .collect();
    for entry in &ledger.recorded {
        assert!(present.contains(entry), "recorded intent lost: {entry:?}");
    }
    let mut per_row: HashMap<(String, u64), usize> = HashMap::new();
    for (_, intent) in &all {
        if let IntentSource::Import { file, row } = &intent.source {
            *per_row.entry((file.clone(), *row)).or_default() += 1;
        }
    }
    for (file, rows) in &ledger.files {
        for row in 1..=*rows {
            let n = per_row.get(&(file.clone(), row)).copied().unwrap_or(0);
            assert_eq!(n, 1, "{file} row {row} recorded {n} times");
        }
    }
    assert!(
        per_row.values().all(|&n| n == 1),
        "a row was recorded twice"
    );

    // Twenty: one record per external id, the newest fields.
    let mut newest: HashMap<(EntityKind, String), &Intent> = HashMap::new();
    for (_, intent) in &all {
        newest.insert((intent.kind, intent.external_id.clone()), intent);
    }
    let failed: HashSet<(EntityKind, String)> = store
        .failures()
        .unwrap()
        .into_iter()
        .map(|(k, _)| (k.kind, k.external_id))
        .collect();
    assert_eq!(failed.len(), expected_failed, "parked: {failed:?}");
    for kind in [EntityKind::Company, EntityKind::Person] {
        let mut by_ext: HashMap<String, Vec<Value>> = HashMap::new();
        for record in fake.get().records(object(kind)) {
            if let Some(ext) = record["externalId"].as_str().filter(|e| !e.is_empty()) {
                by_ext.entry(ext.to_string()).or_default().push(record);
            }
        }
        for ((k, ext), intent) in &newest {
            if *k != kind || failed.contains(&(*k, ext.clone())) {
                continue;
            }
            let records = by_ext.get(ext).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(
                records.len(),
                1,
                "{kind:?} {ext}: {} records",
                records.len()
            );
            let name = intent.fields.name.clone().unwrap_or_default();
            assert_eq!(twenty_name(kind, &records[0]), name, "{kind:?} {ext}");
        }
        for (ext, records) in &by_ext {
            assert_eq!(records.len(), 1, "{kind:?} {ext} duplicated in Twenty");
        }
    }

    let before = store.snapshot().unwrap();
    let report = store.rebuild_projections().unwrap();
    assert_eq!(
        report.corrected, 0,
        "rebuild corrected projections: {report:?}"
    );
    assert_eq!(
        store.snapshot().unwrap(),
        before,
        "rebuild changed projections"
    );
    assert_eq!(store.counters().unwrap().pending, 0);
}
