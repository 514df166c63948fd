//! The property that rebuilt projections equal live ones (and the in-memory reference fold), for
//! random sequences of every kind of event, appended in batches of any size.

use proptest::prelude::*;

use super::*;

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
    /// A push parked as a duplicate, with the conflict found (`holder`: the record found).
    ParkDuplicate {
        intent: u8,
        holder: Option<u8>,
    },
    Dismiss {
        intent: u8,
    },
    Link {
        intent: u8,
        twenty: u8,
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
        2 => (any::<u8>(), proptest::option::of(0..3u8)).prop_map(|(intent, holder)| Op::ParkDuplicate { intent, holder }),
        1 => any::<u8>().prop_map(|intent| Op::Dismiss { intent }),
        1 => (any::<u8>(), 0..3u8).prop_map(|(intent, twenty)| Op::Link { intent, twenty }),
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
        if let Op::ParkDuplicate { intent, holder } = op {
            if let Some(i) = pick(*intent) {
                events.push(Event::PushFailed {
                    intent_id: i.id,
                    key: i.key(),
                    code: FailureCode::Duplicate,
                    message: "duplicate".into(),
                    attempt: 1,
                    retryable: false,
                });
                events.push(Event::ConflictFound {
                    intent_id: i.id,
                    key: i.key(),
                    conflict: crate::domain::Conflict {
                        field: "emails.primaryEmail".into(),
                        value: "a@example.com".into(),
                        holder: holder.map(|h| crate::domain::ConflictHolder {
                            twenty_id: format!("t-{h}"),
                            name: Some("A".into()),
                            external_id: (h == 2).then(|| "other".into()),
                            in_trash: h == 1,
                        }),
                    },
                });
            }
            continue;
        }
        let event = match op.clone() {
            Op::Intent { key, person, name } => {
                let key = key_of(key, person);
                let mut recorded = intent(key.kind, &key.external_id, &format!("name-{name}"));
                if name > 0 {
                    // Other fields too (schema 2), some shared between intents.
                    recorded.values.set(
                        crate::domain::fields::FieldTarget::new(
                            "address",
                            Some(crate::domain::fields::Part::AddressCity),
                        ),
                        crate::domain::fields::CellValue::Text(format!("city-{}", name % 2)),
                    );
                }
                intents.push(recorded.clone());
                Some(Event::IntentRecorded(recorded))
            }
            Op::Succeed { intent, twenty } => pick(intent).map(|i| Event::PushSucceeded {
                field_hashes: crate::domain::fields::record_values(i.kind, &i.fields, &i.values)
                    .hashes()
                    .iter()
                    .filter(|_| twenty > 0)
                    .map(|(field, hash)| (field, *hash))
                    .collect(),
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
            Op::ParkDuplicate { .. } => None,
            Op::Dismiss { intent } => pick(intent).map(|i| Event::FailureDismissed {
                intent_id: i.id,
                key: i.key(),
                by: "cli".into(),
            }),
            Op::Link { intent, twenty } => pick(intent).map(|i| Event::RecordLinked {
                intent_id: i.id,
                key: i.key(),
                twenty_id: format!("t-{twenty}"),
                by: "ui".into(),
            }),
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
