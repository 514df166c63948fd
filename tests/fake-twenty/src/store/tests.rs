//! Unit tests of the record store: URL normalisation, all-or-nothing batches, and an upsert that
//! restores a soft-deleted row.

use super::input::normalize_url;
use super::*;

fn world(profile: Profile) -> World {
    World::new(
        profile,
        KeyState {
            key: "k".into(),
            name: "My api key".into(),
            revoked: false,
            old_keys: vec![],
            read_only: false,
            can_edit_data_model: true,
        },
    )
}

#[test]
fn url_normalisation() {
    assert_eq!(
        normalize_url("HTTPS://Acme.COM/Path/"),
        "https://acme.com/Path"
    );
    assert_eq!(normalize_url("ACME.com"), "acme.com");
    assert_eq!(normalize_url("acme.com//"), "acme.com");
    assert_eq!(normalize_url(""), "");
}

#[test]
fn batch_is_all_or_nothing() {
    let mut w = world(Profile::Legacy2025);
    w.create_many(
        ObjectKind::Companies,
        &[json!({"domainName": {"primaryLinkUrl": "a.com"}})],
        false,
    )
    .unwrap();
    let err = w
        .create_many(
            ObjectKind::Companies,
            &[
                json!({"name": "new"}),
                json!({"domainName": {"primaryLinkUrl": "A.com/"}}),
            ],
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "Duplicate Domain Name with value a.com. Please set a unique one."
    );
    assert_eq!(w.table(ObjectKind::Companies).rows.len(), 1);
}

#[test]
fn upsert_restores_and_updates() {
    let mut w = world(Profile::Current);
    w.ensure_external_id(ObjectKind::People);
    let created = w
        .create_many(
            ObjectKind::People,
            &[json!({"externalId": "e1", "city": "Paris"})],
            false,
        )
        .unwrap();
    let id = created[0]["id"].as_str().unwrap().to_string();
    w.soft_delete(ObjectKind::People, &id);
    let up = w
        .create_many(
            ObjectKind::People,
            &[json!({"externalId": "e1", "jobTitle": "CTO"})],
            true,
        )
        .unwrap();
    assert_eq!(up[0]["id"], json!(id));
    assert_eq!(up[0]["city"], json!("Paris"));
    assert_eq!(up[0]["jobTitle"], json!("CTO"));
    assert!(up[0]["deletedAt"].is_null());
    assert_eq!(w.table(ObjectKind::People).rows.len(), 1);
}
