//! Store tests of the search index on a real sled database: kept by appends, read page by page
//! with each record listed once, repaired by a rebuild, and built when a format-1 store (the
//! committed fixture, or one written before the index) opens.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use uuid::Uuid;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::domain::projection::search::MatchRank;
use crate::domain::{EntityKind, Event, Intent, IntentFields, IntentSource, PushOutcome};
use crate::store::BACKUPS_DIR_NAME;

fn clock() -> Arc<dyn Clock> {
    ManualClock::starting_at(1_764_000_000_000)
}

fn intent(kind: EntityKind, external_id: &str, name: &str, email: Option<&str>) -> Intent {
    Intent {
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
fn appends_keep_the_index_and_an_exact_id_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), clock()).unwrap();
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

    // Pushed: found by its Twenty id; renamed: found by the new name only.
    store
        .append(vec![
            Event::PushSucceeded {
                intent_id: zoe.id,
                key: zoe.key(),
                twenty_id: "5f0c-TW".into(),
                outcome: PushOutcome::Created,
                fields_hash: [0; 16],
            },
            Event::IntentRecorded(intent(EntityKind::Person, "p-1", "Ada", None)),
        ])
        .unwrap();
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

#[test]
fn pages_list_every_match_once_and_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), clock()).unwrap();
    // Each record matches "acme" by its id, its name and a later word of its name.
    let events: Vec<Event> = (0..150)
        .map(|i| company(&format!("acme-{i:03}"), &format!("Acme {i} the acme")))
        .collect();
    store.append(events).unwrap();
    let mut listed = Vec::new();
    let mut cursor: Option<SearchCursor> = None;
    let mut pages = 0;
    loop {
        let page = store.search("acme", cursor.as_ref(), 40, 60).unwrap();
        assert!(page.read <= 60, "a page reads at most its budget");
        listed.extend(page.hits.iter().map(|hit| hit.key.external_id.clone()));
        pages += 1;
        match page.next {
            // Through text, as the UI gets it.
            Some(next) => cursor = Some(SearchCursor::decode(&next.encode()).unwrap()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(listed.len(), 150, "{pages} pages");
    assert_eq!(unique.len(), 150, "no record twice");
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "id order");
    assert_eq!(SearchCursor::decode("9.00"), None);
    assert_eq!(SearchCursor::decode("1.zz"), None);
    assert_eq!(SearchCursor::decode("nonsense"), None);
}

#[test]
fn a_damaged_index_is_repaired_by_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), clock()).unwrap();
    store
        .append(vec![company("c-1", "Acme"), company("c-2", "Zoë")])
        .unwrap();
    let expected = store.snapshot().unwrap();
    let key = RecordKey::new(EntityKind::Company, "c-1");
    store.inner.tree.remove(keys::search_doc(&key)).unwrap();
    let ghost = crate::domain::projection::search::IndexTerm::new(
        crate::domain::projection::search::TermClass::Field,
        "ghost",
        &key,
    );
    store
        .inner
        .tree
        .insert(keys::search_term(&ghost), &[][..])
        .unwrap();
    assert!(store.search("c-1", None, 5, 100).unwrap().hits.is_empty());
    let report = store.rebuild_projections().unwrap();
    assert_eq!(report.corrected, 2);
    assert_eq!(store.snapshot().unwrap(), expected);
    assert_eq!(store.search("c-1", None, 5, 100).unwrap().hits.len(), 1);
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

/// Opens `dir` as a store written before the index: migrated to format 2, backed up, the index
/// built; a second open does nothing more.
fn assert_migrates_and_finds(dir: &Path, query: &str, expected: &str) {
    let (store, report) = Store::open_with_report(dir, clock()).unwrap();
    assert_eq!(report.migrated, vec![2]);
    assert!(report.rebuilt, "the index was built");
    assert!(report.backup.as_deref().is_some_and(Path::is_dir));
    assert!(dir.join(BACKUPS_DIR_NAME).is_dir());
    let hits = store.search(query, None, 10, 100).unwrap();
    assert_eq!(
        hits.hits.first().map(|h| h.key.external_id.as_str()),
        Some(expected)
    );
    let live = store.snapshot().unwrap();
    assert!(!live.search.docs.is_empty());
    assert_eq!(store.rebuild_projections().unwrap().corrected, 0);
    drop(store);
    let (store, report) = Store::open_with_report(dir, clock()).unwrap();
    assert_eq!(
        (report.migrated, report.rebuilt),
        (Vec::<u32>::new(), false)
    );
    assert_eq!(store.snapshot().unwrap(), live);
}

#[test]
fn the_format_1_fixture_gets_its_index_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1");
    copy_dir(&fixture, dir.path());
    assert_migrates_and_finds(dir.path(), "lovelace", "fixture-p1");
    let store = Store::open(dir.path(), clock()).unwrap();
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
}

#[test]
fn an_older_store_with_pushes_gets_its_index_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        let first = intent(EntityKind::Company, "k-5", "Zoë & Co", None);
        let mut events = vec![Event::IntentRecorded(first.clone())];
        events.extend((0..50).map(|i| company(&format!("k-5{i}"), "Other")));
        events.push(Event::PushSucceeded {
            intent_id: first.id,
            key: first.key(),
            twenty_id: "tw-k5".into(),
            outcome: PushOutcome::Created,
            fields_hash: [0; 16],
        });
        store.append(events).unwrap();
        // What the binaries before the index left: format 1, no `s` key.
        let stale: Vec<_> = store
            .inner
            .tree
            .scan_prefix([keys::SEARCH])
            .keys()
            .map(Result::unwrap)
            .collect();
        assert!(!stale.is_empty());
        for key in stale {
            store.inner.tree.remove(key).unwrap();
        }
        store
            .inner
            .tree
            .insert(keys::FORMAT_VERSION, &1u32.to_be_bytes())
            .unwrap();
        store.inner.db.flush().unwrap();
    }
    assert_migrates_and_finds(dir.path(), "zoe", "k-5");
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!(
        ids(&store.search("TW-K5", None, 5, 100).unwrap()),
        vec![("k-5", MatchRank::Exact)]
    );
    assert_eq!(
        store.search("k-5", None, 100, 1_000).unwrap().hits.len(),
        51
    );
}

#[test]
fn an_interrupted_index_build_is_done_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        store.append(vec![company("c-1", "Acme")]).unwrap();
        // As if the process died after the migration, before its rebuild's batch.
        let key = RecordKey::new(EntityKind::Company, "c-1");
        store.inner.tree.remove(keys::search_doc(&key)).unwrap();
        store
            .inner
            .tree
            .insert(keys::REBUILD_PROJECTIONS, &[][..])
            .unwrap();
        store.inner.db.flush().unwrap();
    }
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert!(report.rebuilt && report.migrated.is_empty());
    assert!(!store.rebuild_requested().unwrap());
    assert_eq!(store.search("acme", None, 5, 100).unwrap().hits.len(), 1);
}
