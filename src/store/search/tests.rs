//! Store tests of the search index on a real sled database: exact right after an append (through
//! the tail) and once indexed, read page by page with each record listed once while part of it is
//! indexed and part in the tail, repaired by a rebuild, built for a store written before it (the
//! committed fixture), and honest when far behind.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use uuid::Uuid;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::domain::projection::search::{IndexTerm, MatchRank, SearchIndex, TermClass};
use crate::domain::{EntityKind, Event, Intent, IntentFields, IntentSource, PushOutcome};
use crate::store::{StoreOptions, CATCH_UP_BATCH};

fn clock() -> Arc<dyn Clock> {
    ManualClock::starting_at(1_764_000_000_000)
}

fn intent(kind: EntityKind, external_id: &str, name: &str, email: Option<&str>) -> Intent {
    Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind,
        external_id: external_id.into(),
        fields: IntentFields {
            name: Some(name.into()),
            email: email.map(str::to_string),
            ..IntentFields::default()
        },
        source: IntentSource::Cli,
        requested_at_ms: 0,
    }
}

/// A store whose index only moves when the test calls `catch_up_search_index`.
fn open_without_indexer(dir: &Path) -> Store {
    let options = StoreOptions {
        background_indexer: false,
    };
    Store::open_with_options(dir, clock(), options).unwrap().0
}

fn catch_up(store: &Store) {
    while !store
        .catch_up_search_index(CATCH_UP_BATCH)
        .unwrap()
        .caught_up()
    {}
}

fn company(id: &str, name: &str) -> Event {
    Event::IntentRecorded(intent(EntityKind::Company, id, name, None))
}

/// (external id, rank) of every hit.
fn ids(hits: &SearchHits) -> Vec<(&str, MatchRank)> {
    hits.hits
        .iter()
        .map(|hit| (hit.key.external_id.as_str(), hit.rank))
        .collect()
}

#[test]
fn an_append_is_found_at_once_and_an_exact_id_comes_first() {
    // Every search below runs twice: right after the append (the tail folded on the index),
    // then once the indexer has caught up (the index alone).
    let dir = tempfile::tempdir().unwrap();
    let store = open_without_indexer(dir.path());
    let mut events: Vec<Event> = (0..200)
        .map(|i| company(&format!("k-{i}"), &format!("Company {i}")))
        .collect();
    events.push(company("x-1", "K-5 Holdings"));
    events.push(company("x-2", "The k-5 Group"));
    let zoe = intent(
        EntityKind::Person,
        "p-1",
        "Zoë Ödön",
        Some("zoe@exämple.com"),
    );
    events.push(Event::IntentRecorded(zoe.clone()));
    store.append(events).unwrap();
    for indexed in [false, true] {
        if indexed {
            catch_up(&store);
        }
        assert_eq!(store.search_index_progress().caught_up(), indexed);
        first_searches(&store);
    }

    // Pushed: found by its Twenty id; renamed: found by the new name only.
    store
        .append(vec![
            Event::PushSucceeded {
                field_hashes: Default::default(),
                intent_id: zoe.id,
                key: zoe.key(),
                twenty_id: "5f0c-TW".into(),
                outcome: PushOutcome::Created,
                fields_hash: [0; 16],
            },
            Event::IntentRecorded(intent(EntityKind::Person, "p-1", "Ada", None)),
        ])
        .unwrap();
    for indexed in [false, true] {
        if indexed {
            catch_up(&store);
        }
        assert_eq!(
            ids(&store.search("5F0C-tw", None, 5, 100).unwrap()),
            vec![("p-1", MatchRank::Exact)]
        );
        assert!(store.search("zoe", None, 5, 100).unwrap().hits.is_empty());
        let hit = &store.search("ada", None, 5, 100).unwrap().hits[0];
        assert_eq!(
            hit.doc.as_ref().and_then(|d| d.name.as_deref()),
            Some("Ada")
        );
        assert_eq!(
            store.records_with_external_id("P-1", 10).unwrap(),
            vec![RecordKey::new(EntityKind::Person, "p-1")]
        );
        assert!(store.records_with_external_id("p-", 10).unwrap().is_empty());
    }
}

fn first_searches(store: &Store) {
    let found = store.search("K-5", None, 20, 1_000).unwrap();
    assert_eq!(
        ids(&found),
        vec![
            ("k-5", MatchRank::Exact),
            ("k-50", MatchRank::Prefix),
            ("k-51", MatchRank::Prefix),
            ("k-52", MatchRank::Prefix),
            ("k-53", MatchRank::Prefix),
            ("k-54", MatchRank::Prefix),
            ("k-55", MatchRank::Prefix),
            ("k-56", MatchRank::Prefix),
            ("k-57", MatchRank::Prefix),
            ("k-58", MatchRank::Prefix),
            ("k-59", MatchRank::Prefix),
            ("x-1", MatchRank::Prefix),
            ("x-2", MatchRank::Other),
        ]
    );
    assert_eq!(found.next, None);
    assert_eq!(
        ids(&store.search("zoe", None, 5, 100).unwrap()),
        vec![("p-1", MatchRank::Prefix)]
    );
    assert_eq!(
        ids(&store.search("odon", None, 5, 100).unwrap()),
        vec![("p-1", MatchRank::Other)]
    );
    assert_eq!(
        ids(&store.search("ZOE@exa", None, 5, 100).unwrap()),
        vec![("p-1", MatchRank::Prefix)]
    );
    assert!(store
        .search("nobody", None, 5, 100)
        .unwrap()
        .hits
        .is_empty());
}

#[test]
fn pages_list_every_match_once_and_stay_bounded() {
    // Each record matches "acme" by its id, its name and a later word of its name; part of them
    // is indexed, the rest only in the tail.
    for indexed in [0, 40, 75, 150] {
        let dir = tempfile::tempdir().unwrap();
        let store = open_without_indexer(dir.path());
        let events: Vec<Event> = (0..150)
            .map(|i| company(&format!("acme-{i:03}"), &format!("Acme {i} the acme")))
            .collect();
        store.append(events).unwrap();
        if indexed > 0 {
            store.catch_up_search_index(indexed).unwrap();
        }
        let mut listed = Vec::new();
        let mut cursor: Option<SearchCursor> = None;
        let mut pages = 0;
        loop {
            let page = store.search("acme", cursor.as_ref(), 40, 60).unwrap();
            assert!(page.read <= 60, "a page reads at most its budget");
            assert!(page.hits.len() <= 40);
            listed.extend(page.hits.iter().map(|hit| hit.key.external_id.clone()));
            pages += 1;
            match page.next {
                // Through text, as the UI gets it.
                Some(next) => cursor = Some(SearchCursor::decode(&next.encode()).unwrap()),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = listed.iter().collect();
        assert_eq!(listed.len(), 150, "{indexed} indexed, {pages} pages");
        assert_eq!(unique.len(), 150, "no record twice ({indexed} indexed)");
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "id order");
    }
    assert_eq!(SearchCursor::decode("9.00"), None);
    assert_eq!(SearchCursor::decode("1.zz"), None);
    assert_eq!(SearchCursor::decode("nonsense"), None);
}

#[test]
fn a_damaged_index_is_repaired_by_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_without_indexer(dir.path());
    store
        .append(vec![company("c-1", "Acme"), company("c-2", "Zoë")])
        .unwrap();
    catch_up(&store);
    let expected = store.search_index().unwrap();
    let key = RecordKey::new(EntityKind::Company, "c-1");
    store.inner.tree.remove(keys::search_record(&key)).unwrap();
    let ghost = IndexTerm::new(TermClass::Field, "ghost", &key);
    store
        .inner
        .tree
        .insert(keys::search_term(&ghost), &[][..])
        .unwrap();
    assert!(store.search("c-1", None, 5, 100).unwrap().hits.is_empty());
    assert!(
        store.search("ghost", None, 5, 100).unwrap().hits.is_empty(),
        "a term without its entry is never listed"
    );
    let report = store.rebuild_projections().unwrap();
    assert_eq!(report.corrected, 0, "the other projections were right");
    assert_eq!(store.search_index_progress().watermark, 0, "indexed again");
    assert_eq!(store.search("c-1", None, 5, 100).unwrap().hits.len(), 1);
    catch_up(&store);
    assert_eq!(store.search_index().unwrap(), expected);
    assert_eq!(store.search("c-1", None, 5, 100).unwrap().hits.len(), 1);
    assert!(store.search("ghost", None, 5, 100).unwrap().hits.is_empty());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The stored index equals the one the whole log gives.
fn assert_index_matches_log(store: &Store) {
    let log = store.events_after(0, usize::MAX).unwrap();
    let mappings = store.mappings().unwrap().into_iter().collect();
    let expected = SearchIndex::of_log(&log, &mappings);
    assert_eq!(store.search_index().unwrap(), expected);
    assert_eq!(store.search_terms().unwrap(), expected.terms());
}

/// Waits for the background indexer to catch up.
fn wait_for_index(store: &Store) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !store.search_index_progress().caught_up() {
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer caught up"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_format_1_fixture_is_searchable_at_once_and_indexed_behind() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1");
    copy_dir(&fixture, dir.path());
    // The index needs no migration of its own (format 1 is migrated for the server knowledge
    // only): a store without it (or behind it) is indexed behind.
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert!(!report.rebuilt, "{report:?}");
    let searches = |store: &Store| {
        assert_eq!(
            ids(&store.search("lovelace", None, 5, 100).unwrap()),
            vec![("fixture-p1", MatchRank::Other)]
        );
        assert_eq!(
            ids(&store.search("Fixture-P2", None, 5, 100).unwrap())[0],
            ("fixture-p2", MatchRank::Exact)
        );
        assert_eq!(
            ids(&store.search("grace", None, 5, 100).unwrap()),
            vec![("fixture-p2", MatchRank::Prefix)]
        );
        assert_eq!(
            ids(&store.search("ada@FIXTURE", None, 5, 100).unwrap()),
            vec![("fixture-p1", MatchRank::Prefix)]
        );
    };
    searches(&store);
    wait_for_index(&store);
    assert_index_matches_log(&store);
    searches(&store);
}

#[test]
fn a_store_closed_with_the_index_behind_catches_up_when_it_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let first = intent(EntityKind::Company, "k-5", "Zoë & Co", None);
    {
        let store = open_without_indexer(dir.path());
        let mut events = vec![Event::IntentRecorded(first.clone())];
        events.extend((0..50).map(|i| company(&format!("k-5{i}"), "Other")));
        store.append(events).unwrap();
        store.catch_up_search_index(20).unwrap();
        store
            .append(vec![Event::PushSucceeded {
                field_hashes: Default::default(),
                intent_id: first.id,
                key: first.key(),
                twenty_id: "tw-k5".into(),
                outcome: PushOutcome::Created,
                fields_hash: [0; 16],
            }])
            .unwrap();
        // Closed (as if the process died) with the watermark behind the log.
        assert_eq!(store.search_index_progress().watermark, 20);
    }
    let store = Store::open(dir.path(), clock()).unwrap();
    // Found at once, through the tail, whatever the indexer did meanwhile.
    assert_eq!(
        ids(&store.search("TW-K5", None, 5, 100).unwrap()),
        vec![("k-5", MatchRank::Exact)]
    );
    assert_eq!(
        store.search("k-5", None, 100, 1_000).unwrap().hits.len(),
        51
    );
    wait_for_index(&store);
    assert_eq!(store.search_index_progress().watermark, 52);
    assert_index_matches_log(&store);
    assert_eq!(
        ids(&store.search("zoe", None, 5, 100).unwrap()),
        vec![("k-5", MatchRank::Prefix)]
    );
}

#[test]
fn a_store_closing_stops_its_indexer_and_lets_go_of_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        let events: Vec<Event> = (0..3_000)
            .map(|i| company(&format!("c-{i}"), "Acme"))
            .collect();
        store.append(events).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(60));
    }
    // Opened again at once: the indexer thread is gone with the store that owned it.
    let store = open_without_indexer(dir.path());
    let progress = store.search_index_progress();
    assert!(progress.watermark <= progress.head && progress.head == 3_000);
    catch_up(&store);
    assert_index_matches_log(&store);
}

#[test]
fn far_behind_a_search_reads_the_index_alone_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_without_indexer(dir.path());
    store.append(vec![company("early", "Early Bird")]).unwrap();
    catch_up(&store);
    let events: Vec<Event> = (0..=MAX_TAIL_EVENTS)
        .map(|i| company(&format!("late-{i}"), "Late"))
        .collect();
    store.append(events).unwrap();
    let page = store.search("early", None, 5, 100).unwrap();
    assert_eq!(ids(&page), vec![("early", MatchRank::Exact)]);
    let behind = page.behind.expect("says the index is behind");
    assert_eq!((behind.watermark, behind.lag()), (1, MAX_TAIL_EVENTS + 1));
    store.catch_up_search_index(1).unwrap();
    let page = store.search("late-1", None, 5, 100).unwrap();
    assert_eq!(page.behind, None, "a tail it can fold");
    assert_eq!(ids(&page)[0], ("late-1", MatchRank::Exact));
}

#[test]
fn an_unreadable_watermark_means_indexing_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open_without_indexer(dir.path());
        store.append(vec![company("c-1", "Acme")]).unwrap();
        catch_up(&store);
        store
            .inner
            .tree
            .insert(keys::SEARCH_WATERMARK, &b"garbage"[..])
            .unwrap();
    }
    let store = open_without_indexer(dir.path());
    assert_eq!(store.search_index_progress().watermark, 0);
    assert_eq!(ids(&store.search("acme", None, 5, 100).unwrap()).len(), 1);
    catch_up(&store);
    assert_index_matches_log(&store);
}
