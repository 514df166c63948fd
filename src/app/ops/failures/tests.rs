//! Which parked records may be linked, dismissed or listed, on a real store.

use uuid::Uuid;

use super::*;
use crate::clock::ManualClock;
use crate::domain::{Conflict, ConflictHolder, FailureCode, Intent, IntentFields, IntentSource};

const BASE: Option<&str> = Some("https://crm.example.com");

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), ManualClock::starting_at(1_764_000_000_000)).unwrap();
    (dir, store)
}

/// Records p1 and parks it as a duplicate of `holder` (when given); returns the key.
fn park(store: &Store, holder: Option<ConflictHolder>, mapped: bool) -> RecordKey {
    let intent = Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind: EntityKind::Person,
        external_id: "p1".into(),
        fields: IntentFields {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            ..IntentFields::default()
        },
        source: IntentSource::Cli,
        requested_at_ms: 0,
    };
    let key = intent.key();
    let mut events = vec![Event::IntentRecorded(intent.clone())];
    if mapped {
        events.push(Event::PushSucceeded {
            field_hashes: Default::default(),
            intent_id: intent.id,
            key: key.clone(),
            twenty_id: "t-own".into(),
            outcome: crate::domain::PushOutcome::Created,
            fields_hash: [1; 16],
        });
        let mut newer = intent.clone();
        newer.id = Uuid::now_v7();
        events.push(Event::IntentRecorded(newer.clone()));
        return park_intent(store, events, &newer, holder);
    }
    park_intent(store, events, &intent, holder)
}

fn park_intent(
    store: &Store,
    mut events: Vec<Event>,
    intent: &Intent,
    holder: Option<ConflictHolder>,
) -> RecordKey {
    let key = intent.key();
    events.push(Event::PushFailed {
        intent_id: intent.id,
        key: key.clone(),
        code: FailureCode::Duplicate,
        message: "Duplicate".into(),
        attempt: 1,
        retryable: false,
    });
    events.push(Event::ConflictFound {
        intent_id: intent.id,
        key: key.clone(),
        conflict: Conflict {
            field: "emails.primaryEmail".into(),
            value: "ada@example.com".into(),
            holder,
        },
    });
    store.append(events).unwrap();
    key
}

fn holder(external_id: Option<&str>, in_trash: bool) -> Option<ConflictHolder> {
    Some(ConflictHolder {
        twenty_id: "t-9".into(),
        name: Some("Ada K".into()),
        external_id: external_id.map(Into::into),
        in_trash,
    })
}

fn refusal(result: Result<RecordRow, OpError>) -> String {
    match result {
        Err(error @ OpError::BadRequest { .. }) => error.to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn only_a_live_holder_without_an_external_id_of_an_unmapped_record_can_be_linked() {
    let cases = [
        (
            holder(Some("p-9"), false),
            false,
            "already has the externalId p-9",
        ),
        (holder(None, true), false, "is in Twenty's trash"),
        (None, false, "was not found; retry person p1"),
        (
            holder(None, false),
            true,
            "already linked to the Twenty record t-own",
        ),
    ];
    for (holder, mapped, expected) in cases {
        let (_dir, store) = store();
        let key = park(&store, holder, mapped);
        let message = refusal(link_record(&store, &key, "t-9", "test", BASE));
        assert!(message.contains(expected), "{message}");
        assert_eq!(store.counters().unwrap().failed, 1, "nothing recorded");
    }
}

#[test]
fn a_link_maps_the_record_and_queues_it_and_the_list_shows_the_conflict() {
    let (_dir, store) = store();
    let key = park(&store, holder(None, false), false);
    let list = list_failures(&store, 10, BASE).unwrap();
    assert_eq!(list.total, 1);
    let conflict = list.rows[0].conflict.clone().unwrap();
    assert!(conflict.linkable);
    assert_eq!(
        conflict.twenty_url.as_deref(),
        Some("https://crm.example.com/object/person/t-9")
    );

    let row = link_record(&store, &key, " t-9 ", "test", BASE).unwrap();
    assert_eq!(
        (row.state.as_str(), row.twenty_id.as_deref()),
        ("pending", Some("t-9"))
    );
    assert!(row.conflict.is_none());
    assert_eq!(list_failures(&store, 10, BASE).unwrap().total, 0);
}

#[test]
fn a_dismissed_record_shows_as_dismissed_with_its_failure() {
    let (_dir, store) = store();
    let key = park(&store, holder(Some("p-9"), false), false);
    let row = dismiss_failure(&store, &key, "test", BASE).unwrap();
    assert_eq!(row.state, "dismissed");
    assert_eq!(row.error_code.as_deref(), Some("DUPLICATE"));
    let conflict = row.conflict.unwrap();
    assert!(!conflict.linkable);
    assert_eq!(conflict.external_id.as_deref(), Some("p-9"));
    assert!(matches!(
        dismiss_failure(&store, &key, "test", BASE),
        Err(OpError::NotFound(_))
    ));
}
