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
    assert_eq!(report.migrated, vec![2]);
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
