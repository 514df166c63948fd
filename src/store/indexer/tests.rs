//! The indexer's invariants on a real sled database, for random logs with catch-ups at random
//! points and "crashes" (the store closed with the index behind): once caught up the index is
//! the one built from scratch; before that, every record the tail does not name is indexed as it
//! is now; and at every point a search lists exactly what the finished index would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use uuid::Uuid;

use crate::clock::{Clock, ManualClock};
use crate::domain::projection::search::{
    first_listing, normalise, MatchRank, SearchIndex, SEARCH_RANGES,
};
use crate::domain::{
    EntityKind, Envelope, Event, FailureCode, Intent, IntentFields, IntentSource, PushOutcome,
    RecordKey,
};
use crate::store::{SearchCursor, Store, StoreOptions};

fn open(dir: &Path) -> Store {
    let clock: Arc<dyn Clock> = ManualClock::starting_at(1_764_000_000_000);
    let options = StoreOptions {
        background_indexer: false,
    };
    Store::open_with_options(dir, clock, options).unwrap().0
}

/// What happens next: events appended (indexes into the generated events), a catch-up of up to
/// so many events, or the store closed and opened again with the index wherever it was.
#[derive(Debug, Clone)]
enum Step {
    Append(usize),
    CatchUp(usize),
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1..6usize).prop_map(Step::Append),
        2 => (1..8usize).prop_map(Step::CatchUp),
        1 => Just(Step::Crash),
    ]
}

/// One event of a random log, resolved against the intents generated before it.
#[derive(Debug, Clone)]
enum Op {
    Intent { key: u8, name: u8 },
    Succeed { intent: u8, twenty: u8 },
    Fail { intent: u8 },
    Retry { key: u8 },
    Invalidate { key: u8, twenty: u8 },
    Unrelated,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..8u8, 0..4u8).prop_map(|(key, name)| Op::Intent { key, name }),
        2 => (any::<u8>(), 0..3u8).prop_map(|(intent, twenty)| Op::Succeed { intent, twenty }),
        1 => any::<u8>().prop_map(|intent| Op::Fail { intent }),
        1 => (0..10u8).prop_map(|key| Op::Retry { key }),
        1 => (0..8u8, 0..3u8).prop_map(|(key, twenty)| Op::Invalidate { key, twenty }),
        1 => Just(Op::Unrelated),
    ]
}

/// Records `Ext-0` … (companies) and `ext-0` … (people: the same ids once normalised).
fn key_of(key: u8) -> RecordKey {
    match key % 2 {
        0 => RecordKey::new(EntityKind::Company, format!("Ext-{}", key / 2)),
        _ => RecordKey::new(EntityKind::Person, format!("ext-{}", key / 2)),
    }
}

fn events_from(ops: &[Op]) -> Vec<Event> {
    let names = ["Zoë Müller", "Zoe Acme", "ACME  corp", "Åsa"];
    let mut intents: Vec<Intent> = Vec::new();
    let mut events = Vec::new();
    for op in ops {
        let pick = |index: u8| {
            intents
                .get(usize::from(index) % intents.len().max(1))
                .cloned()
        };
        match op.clone() {
            Op::Intent { key, name } => {
                let key = key_of(key);
                let intent = Intent {
                    values: Default::default(),
                    id: Uuid::now_v7(),
                    kind: key.kind,
                    external_id: key.external_id.clone(),
                    fields: IntentFields {
                        name: Some(names[usize::from(name)].into()),
                        email: (name % 2 == 1).then(|| format!("p{name}@Exämple.com")),
                        ..IntentFields::default()
                    },
                    source: IntentSource::Cli,
                    requested_at_ms: 0,
                };
                intents.push(intent.clone());
                events.push(Event::IntentRecorded(intent));
            }
            Op::Succeed { intent, twenty } => {
                events.extend(pick(intent).map(|i| Event::PushSucceeded {
                    field_hashes: Default::default(),
                    intent_id: i.id,
                    key: i.key(),
                    twenty_id: format!("T-{twenty}"),
                    outcome: PushOutcome::Created,
                    fields_hash: [twenty; 16],
                }))
            }
            Op::Fail { intent } => events.extend(pick(intent).map(|i| Event::PushFailed {
                intent_id: i.id,
                key: i.key(),
                code: FailureCode::Duplicate,
                message: "duplicate".into(),
                attempt: 1,
                retryable: false,
            })),
            Op::Retry { key } => events.push(Event::RetryRequested { key: key_of(key) }),
            Op::Invalidate { key, twenty } => events.push(Event::MappingInvalidated {
                key: key_of(key),
                twenty_id: format!("T-{twenty}"),
            }),
            Op::Unrelated => events.push(Event::DropEntryLeftAlone {
                name: "x".into(),
                reason: "y".into(),
            }),
        }
    }
    events
}

/// The index the whole log gives now.
fn truth(store: &Store) -> (SearchIndex, Vec<Envelope>) {
    let log = store.events_after(0, usize::MAX).unwrap();
    let mappings = store.mappings().unwrap().into_iter().collect();
    (SearchIndex::of_log(&log, &mappings), log)
}

/// What a search must list: every record of the finished index that matches, in listing order.
fn expected_hits(truth: &SearchIndex, query: &str) -> Vec<(RecordKey, MatchRank)> {
    let query = normalise(query);
    let mut listed: Vec<(usize, Vec<u8>, RecordKey)> = truth
        .records
        .iter()
        .filter_map(|(key, record)| {
            let (range, term) = first_listing(&query, &record.values(key))?;
            Some((range, term.to_bytes(), key.clone()))
        })
        .collect();
    listed.sort();
    listed
        .into_iter()
        .map(|(range, _, key)| (key, SEARCH_RANGES[range].rank()))
        .collect()
}

/// Every hit of a search, page after page of 3.
fn all_hits(store: &Store, query: &str) -> Vec<(RecordKey, MatchRank)> {
    let mut hits = Vec::new();
    let mut cursor: Option<SearchCursor> = None;
    loop {
        let page = store.search(query, cursor.as_ref(), 3, 1_000).unwrap();
        assert_eq!(page.behind, None);
        hits.extend(page.hits.into_iter().map(|hit| (hit.key, hit.rank)));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return hits,
        }
    }
}

const QUERIES: [&str; 9] = [
    "ext-1", "EXT", "zoe", "zoë m", "acme", "t-1", "p1@exa", "asa", "müller",
];

fn check(store: &Store) -> Result<(), TestCaseError> {
    let (truth, log) = truth(store);
    let progress = store.search_index_progress();
    // Every record no event after the watermark names is indexed as it is now.
    let named_after: BTreeSet<RecordKey> = log
        .iter()
        .filter(|envelope| envelope.seq > progress.watermark)
        .filter_map(|envelope| envelope.event.record_key())
        .collect();
    let stored = store.search_index().unwrap();
    let settled = |index: &SearchIndex| -> BTreeMap<RecordKey, _> {
        index
            .records
            .iter()
            .filter(|(key, _)| !named_after.contains(key))
            .map(|(key, record)| (key.clone(), record.clone()))
            .collect()
    };
    prop_assert_eq!(settled(&stored), settled(&truth));
    // A search lists what the finished index would, however far the indexer got.
    for query in QUERIES {
        prop_assert_eq!(
            all_hits(store, query),
            expected_hits(&truth, query),
            "{}",
            query
        );
    }
    for key in truth.records.keys() {
        let found: BTreeSet<RecordKey> = store
            .records_with_external_id(&key.external_id.to_uppercase(), 16)
            .unwrap()
            .into_iter()
            .collect();
        let expected: BTreeSet<RecordKey> = truth
            .records
            .keys()
            .filter(|other| normalise(&other.external_id) == normalise(&key.external_id))
            .cloned()
            .collect();
        prop_assert_eq!(found, expected);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Appends, catch-ups and crashes in any order: the live index, once caught up, equals the
    /// index built from scratch (and catching up again changes nothing), and every search on the
    /// way is exact.
    #[test]
    fn the_live_index_equals_the_one_built_from_scratch(
        ops in proptest::collection::vec(op(), 0..50),
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let events = events_from(&ops);
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(dir.path());
        let mut remaining = events.as_slice();
        for step in steps.iter().cycle().take(steps.len().max(1) * 4) {
            match step {
                Step::Append(size) => {
                    let (batch, rest) = remaining.split_at((*size).min(remaining.len()));
                    if !batch.is_empty() {
                        store.append(batch.to_vec()).unwrap();
                    }
                    remaining = rest;
                }
                Step::CatchUp(size) => {
                    store.catch_up_search_index(*size).unwrap();
                }
                Step::Crash => {
                    drop(store);
                    store = open(dir.path());
                }
            }
            check(&store)?;
        }
        if !remaining.is_empty() {
            store.append(remaining.to_vec()).unwrap();
        }
        check(&store)?;
        while !store.catch_up_search_index(7).unwrap().caught_up() {}
        let (truth, _) = truth(&store);
        prop_assert_eq!(&store.search_index().unwrap(), &truth);
        prop_assert_eq!(store.search_terms().unwrap(), truth.terms());
        check(&store)?;
        // The whole log indexed again over the finished index changes nothing.
        store.rebuild_projections().unwrap();
        while !store.catch_up_search_index(5).unwrap().caught_up() {}
        prop_assert_eq!(store.search_index().unwrap(), truth);
    }
}
