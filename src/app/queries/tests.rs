//! Tests of the read models: pages and cursors over a real store, links, report names.

use std::sync::Arc;

use super::imports::strip_stamp;
use super::*;
use crate::app::record_intents;
use crate::clock::SystemClock;
use crate::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use crate::store::Store;

fn store_with_companies(n: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), Arc::new(SystemClock)).expect("store opens");
    let drafts: Vec<_> = (0..n)
        .map(|i| {
            (
                EntityKind::Company,
                IntentDraft {
                    values: Default::default(),
                    external_id: Some(format!("c-{i:04}")),
                    fields: IntentFields {
                        name: Some(format!("Company {i}")),
                        ..IntentFields::default()
                    },
                },
            )
        })
        .collect();
    record_intents(&store, &drafts, IntentSource::Cli).expect("recorded");
    (dir, store)
}

#[test]
fn pages_walk_the_whole_log_newest_first() {
    let (_dir, store) = store_with_companies(25);
    let mut before = None;
    let mut seen = Vec::new();
    loop {
        let page = events_page(
            &store,
            &EventQuery {
                before,
                limit: 10,
                ..EventQuery::default()
            },
        )
        .expect("page");
        seen.extend(page.rows.iter().map(|r| r.seq));
        match page.next_before {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, (1..=25).rev().collect::<Vec<u64>>());
}

#[test]
fn filters_keep_only_their_category_and_record() {
    let (_dir, store) = store_with_companies(5);
    let page = events_page(
        &store,
        &EventQuery {
            limit: 50,
            categories: vec![EventCategory::Imports],
            ..EventQuery::default()
        },
    )
    .expect("page");
    assert!(page.rows.is_empty());
    assert_eq!(page.next_before, None);
    let page = events_page(
        &store,
        &EventQuery {
            limit: 50,
            record: Some("C-0003".into()),
            ..EventQuery::default()
        },
    )
    .expect("page");
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].external_id.as_deref(), Some("c-0003"));
}

#[test]
fn records_are_found_by_name_and_id() {
    let (_dir, store) = store_with_companies(30);
    let page = search_records(&store, "company 7", None, 10, None).expect("search");
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].external_id, "c-0007");
    assert_eq!(page.rows[0].state, "pending");
    let all = search_records(&store, "", None, 10, None).expect("list");
    assert_eq!(all.rows.len(), 10);
    assert_eq!(all.rows[0].external_id, "c-0029");
    let rest = search_records(&store, "", all.next_before, 50, None).expect("list");
    assert_eq!(rest.rows.len(), 20);
    assert_eq!(rest.next_before, None);
}

#[test]
fn record_links_need_an_app_address() {
    assert_eq!(
        record_url(Some("https://crm.example.com/"), EntityKind::Person, "abc").as_deref(),
        Some("https://crm.example.com/object/person/abc")
    );
    assert_eq!(
        record_url(Some("https://api.twenty.com"), EntityKind::Company, "abc"),
        None
    );
    assert_eq!(record_url(None, EntityKind::Company, "abc"), None);
}

#[test]
fn timestamps_added_by_the_mover_are_stripped() {
    assert_eq!(strip_stamp("people.csv"), "people.csv");
    assert_eq!(strip_stamp("people-20250101T120000000Z.csv"), "people.csv");
    assert_eq!(
        strip_stamp("people-20250101T120000000Z-2.csv"),
        "people.csv"
    );
    assert_eq!(strip_stamp("my-list.csv"), "my-list.csv");
}

#[test]
fn report_paths_stay_inside_the_report_folders() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("processed")).expect("mkdir");
    std::fs::write(dir.path().join("processed/a.csv.errors.csv"), "x").expect("write");
    assert!(report_path(dir.path(), "processed/a.csv.errors.csv").is_some());
    assert!(report_path(dir.path(), "processed/../a.csv.errors.csv").is_none());
    assert!(report_path(dir.path(), "inbox/a.csv.errors.csv").is_none());
    assert!(report_path(dir.path(), "processed/a.csv").is_none());
}

#[test]
fn a_search_far_behind_the_index_says_it_is_still_indexing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = crate::store::StoreOptions {
        background_indexer: false,
    };
    let (store, _) =
        Store::open_with_options(dir.path(), Arc::new(SystemClock), options).expect("store opens");
    let drafts: Vec<_> = (0..=crate::store::MAX_TAIL_EVENTS)
        .map(|i| {
            (
                EntityKind::Company,
                IntentDraft {
                    values: Default::default(),
                    external_id: Some(format!("c-{i}")),
                    fields: IntentFields {
                        name: Some("Acme".into()),
                        ..IntentFields::default()
                    },
                },
            )
        })
        .collect();
    record_intents(&store, &drafts, IntentSource::Cli).expect("recorded");
    let search = |text| {
        let search = records::RecordSearch {
            text,
            limit: 10,
            ..records::RecordSearch::default()
        };
        records::find_records(&store, &search, None).expect("page")
    };
    let message = search("c-5").message.expect("a message");
    assert_eq!(
        message,
        "Search is still indexing the records (0 % done), so some may be missing here; search again in a moment."
    );
    store
        .catch_up_search_index(crate::store::CATCH_UP_BATCH)
        .expect("indexed");
    let page = search("c-5");
    assert_eq!(page.message, None, "the rest is a tail a search folds");
    assert_eq!(page.rows[0].external_id, "c-5");
    assert!(search("nobody")
        .message
        .is_some_and(|m| m.starts_with("No record matches")));
}
