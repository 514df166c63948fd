//! Migration 0002 on a real sled database: a format-1 store whose `#servers` row has the old
//! shape (no workspace facts) opens, is backed up and migrated, and its server knowledge is the
//! fold of its `ServerLearned` events, so rebuilding corrects nothing.

use serde::Serialize;

use super::*;
use crate::domain::projection::ExternalIdFieldFact;

/// `ServerKnowledge` as format 1 stored it.
#[derive(Serialize)]
struct FormatOneKnowledge {
    company_external_id: Option<ExternalIdFieldFact>,
    person_external_id: Option<ExternalIdFieldFact>,
    metadata_route: Option<MetadataRoute>,
    upsert_applies: Option<bool>,
    max_batch: Option<u32>,
}

#[derive(Serialize)]
struct FormatOneServers {
    servers: std::collections::BTreeMap<String, FormatOneKnowledge>,
}

#[test]
fn a_format_1_store_gets_its_server_knowledge_folded_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = "https://crm.example.com";
    {
        let store = Store::open(dir.path(), clock()).unwrap();
        store
            .append(vec![
                Event::ServerLearned {
                    server: server.into(),
                    fact: ServerFact::UpsertApplies(true),
                },
                Event::ServerLearned {
                    server: server.into(),
                    fact: ServerFact::MetadataRoute(MetadataRoute::Graphql),
                },
            ])
            .unwrap();
    }
    {
        // What format 1 left on disk: the old row, and format version 1.
        let db = crate::store::open::open_sled(&dir.path().join(STORE_DIR_NAME)).unwrap();
        let tree = db.open_tree(keys::TREE).unwrap();
        let old = FormatOneServers {
            servers: [(
                server.to_string(),
                FormatOneKnowledge {
                    company_external_id: None,
                    person_external_id: None,
                    metadata_route: Some(MetadataRoute::Graphql),
                    upsert_applies: Some(true),
                    max_batch: None,
                },
            )]
            .into(),
        };
        tree.insert(keys::SERVERS, codec::encode(&old)).unwrap();
        tree.insert(keys::FORMAT_VERSION, &1u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert_eq!(report.migrated, vec![2, 3]);
    assert!(report.backup.is_some_and(|backup| backup.is_dir()));
    let known = store.server(server).unwrap();
    assert_eq!(known.upsert_applies, Some(true));
    assert_eq!(known.metadata_route, Some(MetadataRoute::Graphql));
    assert_eq!(known.populated(EntityKind::Company), None);
    assert_eq!(store.rebuild_projections().unwrap().corrected, 0);
    // The new facts are kept from now on.
    store
        .append(vec![Event::ServerLearned {
            server: server.into(),
            fact: ServerFact::WorkspacePopulated {
                kind: EntityKind::Company,
                populated: true,
            },
        }])
        .unwrap();
    drop(store);
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!(
        store.server(server).unwrap().populated(EntityKind::Company),
        Some(true)
    );
}

/// `Mapping` as format 2 stored it (before the hash of each field).
#[derive(Serialize)]
struct FormatTwoMapping {
    twenty_id: String,
    fields_hash: [u8; 16],
    last_synced_ms: i64,
}

/// A format-2 store: a pushed record whose mapping row has the old shape.
fn format_2_store_with_a_mapping(dir: &std::path::Path) -> RecordKey {
    let key = RecordKey::new(EntityKind::Company, "c-1");
    {
        let store = Store::open(dir, clock()).unwrap();
        store
            .append(vec![Event::IntentRecorded(intent(
                EntityKind::Company,
                "c-1",
                "Acme",
            ))])
            .unwrap();
    }
    let db = crate::store::open::open_sled(&dir.join(STORE_DIR_NAME)).unwrap();
    let tree = db.open_tree(keys::TREE).unwrap();
    let old = FormatTwoMapping {
        twenty_id: "t-1".into(),
        fields_hash: [7; 16],
        last_synced_ms: 5,
    };
    tree.insert(keys::mapping(&key), codec::encode(&old))
        .unwrap();
    tree.insert(keys::FORMAT_VERSION, &2u32.to_be_bytes())
        .unwrap();
    db.flush().unwrap();
    key
}

#[test]
fn a_format_2_store_gets_empty_field_hashes_in_its_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let key = format_2_store_with_a_mapping(dir.path());
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert_eq!(report.migrated, vec![3]);
    assert!(report.backup.is_some_and(|backup| backup.is_dir()));
    let mapping = store.mapping(&key).unwrap().expect("kept");
    assert_eq!(mapping.twenty_id, "t-1");
    assert_eq!(mapping.fields_hash, [7; 16]);
    assert_eq!(mapping.last_synced_ms, 5);
    assert!(
        mapping.field_hashes.is_empty(),
        "every field is sent next time"
    );
}

/// Killed after its batch but before the format version was raised, migration 0003 runs again
/// on rows already in the new shape and leaves them as they are.
#[test]
fn migration_3_run_twice_after_a_kill_leaves_the_store_readable() {
    let dir = tempfile::tempdir().unwrap();
    let key = format_2_store_with_a_mapping(dir.path());
    {
        let db = crate::store::open::open_sled(&dir.path().join(STORE_DIR_NAME)).unwrap();
        let third = crate::migrations::MIGRATIONS
            .iter()
            .find(|m| m.version == 3)
            .expect("migration 3");
        (third.apply)(&db).unwrap();
        // Killed here: the rows are new, the format still says 2.
    }
    let (store, report) = Store::open_with_report(dir.path(), clock()).unwrap();
    assert_eq!(report.migrated, vec![3]);
    let mapping = store.mapping(&key).unwrap().expect("kept");
    assert_eq!(mapping.twenty_id, "t-1");
    assert!(mapping.field_hashes.is_empty());
}

/// A mapping row that is neither shape stops the migration with advice, and the store stays at
/// format 2 (with its backup) instead of opening half-read.
#[test]
fn an_unreadable_mapping_stops_migration_3_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let key = format_2_store_with_a_mapping(dir.path());
    {
        let db = crate::store::open::open_sled(&dir.path().join(STORE_DIR_NAME)).unwrap();
        let tree = db.open_tree(keys::TREE).unwrap();
        tree.insert(keys::mapping(&key), &[0xff, 0xff][..]).unwrap();
        db.flush().unwrap();
    }
    let Err(error) = Store::open(dir.path(), clock()) else {
        panic!("an unreadable mapping must stop the migration");
    };
    let error = error.to_string();
    assert!(
        error.contains("c-1") && error.contains("restore the backup"),
        "{error}"
    );
}
