//! Crash suite for migration 0003 (issue 15): a large format-2 store (its mappings without field
//! hashes) is opened by the real binary, which is killed with SIGKILL at seeded-random moments
//! while it backs the store up and migrates it; the next open finishes the migration, every
//! mapping is kept and readable, and the projections still equal the fold of the log.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use twenty_sync::clock::SystemClock;
use twenty_sync::domain::{EntityKind, Event, Intent, IntentFields, IntentSource, PushOutcome};
use twenty_sync::store::{codec, keys, Store};
use uuid::Uuid;

use super::support::*;
use crate::support::copy_dir;

/// Records in the prepared store (each recorded and pushed: two events, one mapping).
const RECORDS: u64 = 20_000;

/// A mapping as format 2 stored it.
#[derive(Serialize, serde::Deserialize)]
struct FormatTwoMapping {
    twenty_id: String,
    fields_hash: [u8; 16],
    last_synced_ms: i64,
}

/// Writes a format-2 store into `data_dir`: the log of a format-2 binary (intents without other
/// values, successes without field hashes) and mapping rows of the old shape.
fn format_2_store(data_dir: &Path) {
    {
        let store = Store::open(data_dir, Arc::new(SystemClock)).unwrap();
        for chunk in 0..RECORDS / 500 {
            let mut events = Vec::with_capacity(1_000);
            for i in chunk * 500..(chunk + 1) * 500 {
                let intent = Intent {
                    id: Uuid::now_v7(),
                    kind: EntityKind::Company,
                    external_id: format!("m-{i:06}"),
                    fields: IntentFields {
                        name: Some(format!("Company {i}")),
                        ..IntentFields::default()
                    },
                    source: IntentSource::Cli,
                    requested_at_ms: 1_764_000_000_000,
                    values: Default::default(),
                };
                events.push(Event::PushSucceeded {
                    intent_id: intent.id,
                    key: intent.key(),
                    twenty_id: format!("t-{i:06}"),
                    outcome: PushOutcome::Created,
                    fields_hash: [1; 16],
                    field_hashes: Default::default(),
                });
                events.insert(events.len() - 1, Event::IntentRecorded(intent));
            }
            store.append(events).unwrap();
        }
    }
    let db = sled::open(data_dir.join("store")).unwrap();
    let tree = db.open_tree(keys::TREE).unwrap();
    let mut batch = sled::Batch::default();
    for entry in tree.scan_prefix([keys::MAPPING]) {
        let (key, bytes) = entry.unwrap();
        let mapping: twenty_sync::domain::Mapping = codec::decode(&bytes, "mapping").unwrap();
        let old = FormatTwoMapping {
            twenty_id: mapping.twenty_id,
            fields_hash: mapping.fields_hash,
            last_synced_ms: mapping.last_synced_ms,
        };
        batch.insert(key, codec::encode(&old));
    }
    tree.apply_batch(batch).unwrap();
    tree.insert(keys::FORMAT_VERSION, &2u32.to_be_bytes())
        .unwrap();
    db.flush().unwrap();
}

#[test]
fn kill_during_migration_of_a_large_format_2_store() {
    if !crate::support::stress_enabled("kill_during_migration_of_a_large_format_2_store") {
        return;
    }
    let template = tempfile::tempdir().unwrap();
    format_2_store(template.path());
    // How long an uninterrupted first open (backup and migration) takes: the kills fall in it.
    let timing = Agent::new(None);
    copy_dir(template.path(), &timing.data_dir());
    let started = Instant::now();
    timing.ok(&["status", "--json"]);
    let whole = started.elapsed().as_millis().max(20) as u64;
    eprintln!("[crash/migration-3] an uninterrupted first open took {whole} ms");
    let seed = base_seed("crash/migration-3");
    for run in 0..runs(6) {
        let mut rng = rng(seed, run);
        let agent = Agent::new(None);
        copy_dir(template.path(), &agent.data_dir());
        let kills = rng.random_range(1..=3);
        for _ in 0..kills {
            let kill_after = Duration::from_millis(rng.random_range(0..whole));
            let out = agent.run_or_kill(&["status", "--json"], Some(kill_after));
            eprintln!(
                "[crash/migration-3] run {run}: killed after {kill_after:?}: {}",
                out.killed
            );
        }
        let status = agent.ok(&["status", "--json"]).json();
        assert_eq!(
            status["mappings"]["companies"], RECORDS,
            "run {run}: {status}"
        );
        let store = agent.open_store();
        let mappings = store.mappings().unwrap();
        assert_eq!(mappings.len() as u64, RECORDS, "run {run}");
        assert!(
            mappings.iter().all(|(_, m)| m.field_hashes.is_empty()),
            "run {run}: every mapping migrated"
        );
        assert_eq!(
            store.rebuild_projections().unwrap().corrected,
            0,
            "run {run}: the projections equal the fold of the log"
        );
        assert!(
            std::fs::read_dir(agent.data_dir().join("backups"))
                .map(|entries| entries.count() >= 1)
                .unwrap_or(false),
            "run {run}: a backup was taken before migrating"
        );
    }
}
