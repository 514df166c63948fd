//! Store tests on a real sled database in a temp dir: durability across reopen, the lock, refusal
//! of damaged and newer stores, and the property that rebuilt projections equal live ones.

use std::sync::Arc;

use uuid::Uuid;

use super::*;
use crate::clock::ManualClock;
use crate::domain::event::ImportSummary;
use crate::domain::{
    EntityKind, FailureCode, IntentFields, IntentSource, MetadataRoute, PushOutcome, ServerFact,
};

fn clock() -> Arc<dyn Clock> {
    ManualClock::starting_at(1_764_000_000_000)
}

fn intent(kind: EntityKind, external_id: &str, name: &str) -> Intent {
    Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind,
        external_id: external_id.into(),
        fields: IntentFields {
            name: Some(name.into()),
            ..IntentFields::default()
        },
        source: IntentSource::Cli,
        requested_at_ms: 0,
    }
}

#[test]
fn appended_events_survive_a_reopen_with_their_projections() {
    let dir = tempfile::tempdir().unwrap();
    let first = intent(EntityKind::Company, "c1", "Acme");
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        let stored = store
            .append(vec![
                Event::IntentRecorded(first.clone()),
                Event::IntentRecorded(intent(EntityKind::Person, "p1", "Ada")),
            ])
            .unwrap();
        assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(stored[0].recorded_at_ms, 1_764_000_000_000);
    }
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!(store.last_seq(), 2);
    assert_eq!(store.counters().unwrap().pending, 2);
    assert_eq!(store.intent_at(1).unwrap(), Some(first));
    let queue = store.pending_in_order(10).unwrap();
    assert_eq!(
        queue
            .iter()
            .map(|(k, _)| k.external_id.as_str())
            .collect::<Vec<_>>(),
        vec!["c1", "p1"]
    );
    let appended = store
        .append(vec![Event::RetryRequested {
            key: RecordKey::new(EntityKind::Company, "x"),
        }])
        .unwrap();
    assert_eq!(
        appended[0].seq, 3,
        "sequence numbers continue after a reopen"
    );
    assert_eq!(store.events_after(1, 10).unwrap().len(), 2);
    assert_eq!(
        store
            .events_before(u64::MAX, 2)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![3, 2]
    );
}

#[test]
fn a_second_opener_is_told_who_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let _held = Store::open(dir.path(), clock()).unwrap();
    let error = Store::open(dir.path(), clock()).unwrap_err();
    assert!(matches!(error, StoreError::InUse { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{error}"
    );
}

#[test]
fn the_lock_is_released_when_the_store_closes() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), clock()).unwrap());
    Store::open(dir.path(), clock()).unwrap();
}

#[test]
fn a_newer_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), clock()).unwrap());
    {
        let db = super::open::open_sled(&dir.path().join(STORE_DIR_NAME)).unwrap();
        db.open_tree(keys::TREE)
            .unwrap()
            .insert(keys::FORMAT_VERSION, &99u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let error = Store::open(dir.path(), clock()).unwrap_err();
    assert!(
        matches!(error, StoreError::TooNew { found: 99, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("install a newer twenty-sync"));
}

#[test]
fn a_damaged_store_is_refused_and_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        store
            .append(vec![Event::IntentRecorded(intent(
                EntityKind::Company,
                "c1",
                "A",
            ))])
            .unwrap();
    }
    let db_file = dir.path().join(STORE_DIR_NAME).join("db");
    let garbage = vec![0xA5u8; 64 * 1024];
    std::fs::write(&db_file, &garbage).unwrap();
    let error = Store::open(dir.path(), clock()).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("left untouched"), "{error}");
    assert!(
        std::fs::read(&db_file).unwrap() == garbage,
        "the damaged file must not be rewritten"
    );
}

#[test]
fn data_without_a_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = super::open::open_sled(&dir.path().join(STORE_DIR_NAME)).unwrap();
        db.open_tree(keys::TREE)
            .unwrap()
            .insert(b"something", b"else")
            .unwrap();
        db.flush().unwrap();
    }
    let error = Store::open(dir.path(), clock()).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
}

#[test]
fn damaged_projections_are_repaired_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let store = Store::open(dir.path(), clock()).unwrap();
        store
            .append(vec![
                Event::IntentRecorded(intent(EntityKind::Company, "c1", "A")),
                Event::IntentRecorded(intent(EntityKind::Company, "c2", "B")),
            ])
            .unwrap();
        let expected = store.snapshot().unwrap();
        assert_eq!(store.rebuild_projections().unwrap().corrected, 0);
        // Damage: a pending entry and its queue entry vanish, a bogus mapping appears.
        let key = RecordKey::new(EntityKind::Company, "c1");
        store.inner.tree.remove(keys::pending(&key)).unwrap();
        store.inner.tree.remove(keys::queue(1)).unwrap();
        store
            .inner
            .tree
            .insert(
                keys::mapping(&RecordKey::new(EntityKind::Person, "ghost")),
                codec::encode(&Mapping {
                    field_hashes: Default::default(),
                    twenty_id: "t".into(),
                    fields_hash: [0; 16],
                    last_synced_ms: 0,
                }),
            )
            .unwrap();
        let report = store.rebuild_projections().unwrap();
        assert_eq!((report.events, report.corrected), (2, 3));
        assert_eq!(store.snapshot().unwrap(), expected);
        // Counters out of step with the log are noticed when the store opens.
        store
            .inner
            .tree
            .insert(keys::COUNTERS, codec::encode(&Counters::default()))
            .unwrap();
        store.inner.db.flush().unwrap();
        expected
    };
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert!(report.rebuilt);
    assert_eq!(store.snapshot().unwrap(), expected);
}

mod migration;
mod rebuild_property;
