//! Store tests on a real sled database in a temp dir: durability across reopen, the lock, refusal
//! of damaged and newer stores, and the property that rebuilt projections equal live ones.

use std::sync::Arc;

use proptest::prelude::*;
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
        let db = sled::open(dir.path().join(STORE_DIR_NAME)).unwrap();
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
        let db = sled::open(dir.path().join(STORE_DIR_NAME)).unwrap();
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

/// An operation of the random event sequences below; indexes are resolved against what exists.
#[derive(Debug, Clone)]
enum Op {
    Intent {
        key: u8,
        person: bool,
        name: u8,
    },
    Succeed {
        intent: u8,
        twenty: u8,
    },
    Skip {
        intent: u8,
    },
    Fail {
        intent: u8,
        retryable: bool,
    },
    Retry {
        key: u8,
        person: bool,
    },
    Invalidate {
        key: u8,
        person: bool,
        twenty: u8,
    },
    Import {
        hash: u8,
        duplicate: bool,
    },
    Noted {
        hash: u8,
    },
    Config {
        key: u8,
        clear: bool,
        secret: bool,
    },
    Forward {
        intent: u8,
        duplicate: bool,
    },
    /// An intent received as a relay; `reuse` picks an earlier relayed id (a re-send) or none.
    Relayed {
        key: u8,
        person: bool,
        reuse: Option<u8>,
    },
    /// Something learned of one of two servers (`fact` picks which).
    Learn {
        server: bool,
        fact: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..6u8, any::<bool>(), 0..3u8).prop_map(|(key, person, name)| Op::Intent { key, person, name }),
        2 => (any::<u8>(), 0..3u8).prop_map(|(intent, twenty)| Op::Succeed { intent, twenty }),
        1 => any::<u8>().prop_map(|intent| Op::Skip { intent }),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(intent, retryable)| Op::Fail { intent, retryable }),
        1 => (0..6u8, any::<bool>()).prop_map(|(key, person)| Op::Retry { key, person }),
        1 => (0..6u8, any::<bool>(), 0..3u8).prop_map(|(key, person, twenty)| Op::Invalidate { key, person, twenty }),
        1 => (0..3u8, any::<bool>()).prop_map(|(hash, duplicate)| Op::Import { hash, duplicate }),
        1 => (0..3u8).prop_map(|hash| Op::Noted { hash }),
        1 => (0..4u8, any::<bool>(), any::<bool>()).prop_map(|(key, clear, secret)| Op::Config { key, clear, secret }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(intent, duplicate)| Op::Forward { intent, duplicate }),
        1 => (0..6u8, any::<bool>(), proptest::option::of(any::<u8>())).prop_map(|(key, person, reuse)| Op::Relayed { key, person, reuse }),
        1 => (any::<bool>(), 0..6u8).prop_map(|(server, fact)| Op::Learn { server, fact }),
    ]
}

fn key_of(key: u8, person: bool) -> RecordKey {
    let kind = if person {
        EntityKind::Person
    } else {
        EntityKind::Company
    };
    RecordKey::new(kind, format!("ext-{key}"))
}

/// Turns operations into concrete events, referring to intents recorded earlier in the sequence.
fn events_from(ops: &[Op]) -> Vec<Event> {
    let mut intents: Vec<Intent> = Vec::new();
    let mut relayed: Vec<Uuid> = Vec::new();
    let mut events = Vec::new();
    for op in ops {
        let pick = |index: u8| {
            intents
                .get(usize::from(index) % intents.len().max(1))
                .cloned()
        };
        let event = match op.clone() {
            Op::Intent { key, person, name } => {
                let key = key_of(key, person);
                let recorded = intent(key.kind, &key.external_id, &format!("name-{name}"));
                intents.push(recorded.clone());
                Some(Event::IntentRecorded(recorded))
            }
            Op::Succeed { intent, twenty } => pick(intent).map(|i| Event::PushSucceeded {
                intent_id: i.id,
                key: i.key(),
                twenty_id: format!("t-{twenty}"),
                outcome: if twenty % 2 == 0 {
                    PushOutcome::Created
                } else {
                    PushOutcome::Updated
                },
                fields_hash: [twenty; 16],
            }),
            Op::Skip { intent } => pick(intent).map(|i| Event::PushSkipped {
                intent_id: i.id,
                key: i.key(),
            }),
            Op::Fail { intent, retryable } => pick(intent).map(|i| Event::PushFailed {
                intent_id: i.id,
                key: i.key(),
                code: FailureCode::Duplicate,
                message: "duplicate".into(),
                attempt: 1,
                retryable,
            }),
            Op::Retry { key, person } => Some(Event::RetryRequested {
                key: key_of(key, person),
            }),
            Op::Invalidate {
                key,
                person,
                twenty,
            } => Some(Event::MappingInvalidated {
                key: key_of(key, person),
                twenty_id: format!("t-{twenty}"),
            }),
            Op::Config { key, clear, secret } => {
                let name = ["base_url", "rate_limit", "sync_mode", "drop_dir"][usize::from(key)];
                Some(Event::ConfigChanged(crate::domain::ConfigChange {
                    values: vec![(name.into(), (!clear).then(|| format!("v{key}")))],
                    secrets: if secret {
                        vec![("api_key".into(), !clear)]
                    } else {
                        Vec::new()
                    },
                    created_by: "a".into(),
                    updated_by: format!("u{key}"),
                    created_at_ms: 1,
                    updated_at_ms: i64::from(key),
                }))
            }
            Op::Forward { intent, duplicate } => pick(intent).map(|i| Event::ForwardedToRelay {
                intent_id: i.id,
                key: i.key(),
                already_accepted: duplicate,
            }),
            Op::Relayed { key, person, reuse } => {
                let key = key_of(key, person);
                let mut recorded = intent(key.kind, &key.external_id, "relayed");
                recorded.source = IntentSource::Relay { origin: "a".into() };
                if let Some(id) =
                    reuse.and_then(|r| relayed.get(usize::from(r) % relayed.len().max(1)))
                {
                    recorded.id = *id;
                }
                relayed.push(recorded.id);
                intents.push(recorded.clone());
                Some(Event::IntentRecorded(recorded))
            }
            Op::Learn { server, fact } => Some(Event::ServerLearned {
                server: if server {
                    "https://a.example"
                } else {
                    "https://b.example"
                }
                .into(),
                fact: match fact {
                    0 => ServerFact::ExternalIdField {
                        kind: EntityKind::Company,
                        field_id: "f-1".into(),
                        field_type: "TEXT".into(),
                        is_unique: true,
                    },
                    1 => ServerFact::ExternalIdFieldForgotten {
                        kind: EntityKind::Company,
                    },
                    2 => ServerFact::MetadataRoute(MetadataRoute::Graphql),
                    3 => ServerFact::UpsertApplies(true),
                    4 => ServerFact::UpsertApplies(false),
                    _ => ServerFact::MaxBatch(200),
                },
            }),
            Op::Noted { hash } => Some(Event::ImportNoted(crate::domain::event::ImportNotes {
                file_name: "f.csv".into(),
                content_hash: format!("h{hash}"),
                started_at_ms: 1,
                resumed_after_row: None,
                warnings: vec!["w".into()],
            })),
            Op::Import { hash, duplicate } => Some(Event::ImportCompleted(ImportSummary {
                file_name: "f.csv".into(),
                content_hash: format!("h{hash}"),
                rows_read: 1,
                recorded: 1,
                invalid: 0,
                duplicate_rows: 0,
                duplicate_of_earlier_import: duplicate,
                duration_ms: 1,
            })),
        };
        events.extend(event);
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Live projections (maintained append by append, in batches of any size) equal the
    /// projections rebuilt from the log, and equal the in-memory reference fold.
    #[test]
    fn rebuilt_projections_equal_live_ones(
        ops in proptest::collection::vec(op(), 0..60),
        batch_sizes in proptest::collection::vec(1..8usize, 1..20),
    ) {
        let events = events_from(&ops);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), clock()).unwrap();
        let mut reference = MemoryProjections::default();
        let mut remaining = events.as_slice();
        let mut sizes = batch_sizes.iter().cycle();
        while !remaining.is_empty() {
            let size = (*sizes.next().unwrap()).min(remaining.len());
            let (batch, rest) = remaining.split_at(size);
            for envelope in store.append(batch.to_vec()).unwrap() {
                reference.apply(&envelope);
            }
            remaining = rest;
        }
        let live = store.snapshot().unwrap();
        prop_assert_eq!(&live, &reference);
        store.rebuild_projections().unwrap();
        prop_assert_eq!(store.snapshot().unwrap(), live);
        let counters = store.counters().unwrap();
        prop_assert_eq!(counters.pending as usize, reference.pending.len());
        prop_assert_eq!(counters.failed as usize, reference.failed.len());
        prop_assert_eq!(reference.queue.len(), reference.pending.len());
    }
}
