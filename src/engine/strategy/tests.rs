//! How new records are sent, as case tables: (the server, the setting, what a lookup found, what
//! Twenty answered) → what follows.

use serde_json::json;

use super::*;
use crate::config::Secret;
use crate::domain::ConflictHolder;
use crate::twenty::error::{classify_status, Redactor};

fn answer(status: u16, body: &str) -> TwentyError {
    let redactor = Redactor::new(Secret::new("key-0123456789"));
    classify_status(status, body.as_bytes(), None, &redactor)
}

const DUPLICATE_2_4: &str = r#"{"statusCode":400,"error":"BadRequestException","messages":["A duplicate entry was detected"]}"#;
const DUPLICATE_AUG: &str = r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate External ID with value ext-1. Please set a unique one."]}"#;
const INVALID: &str = r#"{"statusCode":400,"messages":["name must be a string"]}"#;
const AMBIGUOUS: &str = r#"{"statusCode":400,"error":"BadRequestException","messages":["Multiple records found with the same unique field values for domainName.primaryLinkUrl: https://a.example, externalId: e-1. Cannot determine which record to update."]}"#;

fn remote(id: &str, external_id: Option<&str>, raw: serde_json::Value) -> RemoteRecord {
    RemoteRecord {
        id: id.into(),
        external_id: external_id.map(Into::into),
        raw,
    }
}

#[test]
fn new_records_are_created_at_once_where_the_field_proves_absence() {
    use NewRecords::*;
    // (externalId unique, adopting, workspace held records) → how new records are sent
    let cases = [
        (false, true, None, LookUpFirst),
        (false, true, Some(false), LookUpFirst),
        (false, false, None, LookUpFirst),
        (true, false, None, CreateDirectly),
        (true, false, Some(true), CreateDirectly),
        (true, true, None, LearnWorkspace),
        (true, true, Some(true), LookUpFirst),
        (true, true, Some(false), CreateDirectly),
    ];
    for (unique, adopt, populated, expected) in cases {
        assert_eq!(
            new_records(unique, adopt, populated),
            expected,
            "unique {unique}, adopt {adopt}, populated {populated:?}"
        );
    }
}

#[test]
fn a_lookup_says_what_each_new_record_is() {
    let body = json!({"externalId": "p1", "name": {"firstName": "Ada", "lastName": "L"},
        "emails": {"primaryEmail": "ada@example.com", "additionalEmails": []}});
    let key = match_key(EntityKind::Person, &body);
    assert_eq!(
        key,
        Some(("emails.primaryEmail", "ada@example.com".to_string()))
    );
    let ours_same = remote("t1", Some("p1"), body.clone());
    let ours_other = remote("t1", Some("p1"), json!({"name": {"firstName": "Old"}}));
    let blank = remote(
        "t2",
        None,
        json!({"name": {"firstName": "Someone", "lastName": "Else"}}),
    );
    let taken = remote("t3", Some("p9"), json!({"name": {"firstName": "Pat"}}));
    let conflict = |holder: &RemoteRecord, ours_exists| AfterMatch::Conflict {
        conflict: Conflict {
            field: "emails.primaryEmail".into(),
            value: "ada@example.com".into(),
            holder: Some(conflict::holder(EntityKind::Person, holder)),
        },
        ours_exists,
    };
    let adopt = AfterMatch::Adopt(Adoption {
        twenty_id: "t2".into(),
        field: "emails.primaryEmail".into(),
        value: "ada@example.com".into(),
    });
    // (by externalId, by e-mail) → decision
    let cases = [
        (None, None, AfterMatch::Create),
        (
            Some(&ours_same),
            None,
            AfterMatch::AlreadyThere("t1".into()),
        ),
        (
            Some(&ours_same),
            Some(&ours_same),
            AfterMatch::AlreadyThere("t1".into()),
        ),
        (Some(&ours_other), None, AfterMatch::Update("t1".into())),
        (None, Some(&blank), adopt),
        (None, Some(&taken), conflict(&taken, false)),
        (Some(&ours_other), Some(&blank), conflict(&blank, true)),
    ];
    for (by_id, by_value, expected) in cases {
        let got = after_match(EntityKind::Person, &body, by_id, by_value, key.as_ref());
        assert_eq!(got, expected, "{by_id:?} {by_value:?}");
    }
    // The conflict names both ids: ours is the record's key, the holder's is in the conflict.
    let AfterMatch::Conflict { conflict, .. } = conflict(&taken, false) else {
        unreachable!()
    };
    assert_eq!(
        conflict.holder,
        Some(ConflictHolder {
            twenty_id: "t3".into(),
            name: Some("Pat".into()),
            external_id: Some("p9".into()),
            in_trash: false,
        })
    );
    // Without a value to match on (adoption off, or no e-mail), a holder cannot be adopted.
    assert_eq!(
        after_match(EntityKind::Person, &body, None, None, None),
        AfterMatch::Create
    );
    let company = json!({"externalId": "c1", "domainName": {"primaryLinkUrl": "https://acme.com"}});
    assert_eq!(
        match_key(EntityKind::Company, &company),
        Some(("domainName.primaryLinkUrl", "https://acme.com".to_string()))
    );
    assert_eq!(match_key(EntityKind::Company, &json!({"name": "x"})), None);
}

#[test]
fn what_follows_a_refused_batch() {
    use AfterRefusedBatch::*;
    let fresh = CreateMode::New {
        looked_up: false,
        heals: 0,
    };
    let healed_twice = CreateMode::New {
        looked_up: false,
        heals: MAX_HEALS,
    };
    let looked_up = CreateMode::looked_up(1);
    let upsert = CreateMode::Upsert { verified: false };
    let verified = CreateMode::Upsert { verified: true };
    let matched = CreateMode::Matched;
    let unknown_then_duplicate = answer(400, DUPLICATE_2_4).after_unknown_outcome();
    let stop = |count_attempt| StopRound { count_attempt };
    // (answer, records, mode, size the refusal accepts) → decision
    let cases = [
        // A duplicate of records never looked up: one lookup, never a blind bisection.
        (answer(400, DUPLICATE_2_4), 200, fresh, None, LookUp),
        (answer(400, DUPLICATE_AUG), 200, fresh, None, LookUp),
        (answer(400, DUPLICATE_2_4), 1, fresh, None, LookUp),
        (answer(400, DUPLICATE_2_4), 60, healed_twice, None, Bisect),
        // Looked up already: only what is still refused is bisected...
        (answer(400, DUPLICATE_2_4), 60, looked_up, None, Bisect),
        (
            answer(400, DUPLICATE_2_4),
            1,
            looked_up,
            None,
            FindCollision,
        ),
        // ... unless an earlier attempt may have been applied (a 500 after commit, a timeout).
        (unknown_then_duplicate.clone(), 60, looked_up, None, LookUp),
        (unknown_then_duplicate, 60, healed_twice, None, Bisect),
        // Any refusal of records never looked up is looked up first (a server refusing every
        // request says so to the lookup instead of having every record parked)...
        (answer(400, INVALID), 200, fresh, None, LookUp),
        (answer(400, INVALID), 1, fresh, None, LookUp),
        // ... then bisected, the last one parked.
        (answer(400, INVALID), 60, looked_up, None, Bisect),
        (answer(400, INVALID), 1, looked_up, None, Park),
        (answer(400, INVALID), 1, healed_twice, None, Park),
        // Too many records: shrink to what the server takes.
        (answer(400, INVALID), 201, fresh, Some(200), Shrink(200)),
        (answer(400, INVALID), 200, upsert, Some(60), Shrink(60)),
        (answer(413, ""), 200, matched, Some(100), Shrink(100)),
        (answer(400, INVALID), 60, looked_up, Some(200), Bisect),
        // Known records upserted: a duplicate questions whether upserts apply.
        (answer(400, DUPLICATE_AUG), 60, upsert, None, Reprobe),
        (answer(400, DUPLICATE_AUG), 1, upsert, None, Reprobe),
        (answer(400, DUPLICATE_2_4), 60, verified, None, Bisect),
        (answer(400, DUPLICATE_2_4), 1, verified, None, Park),
        // Matched records upserted together: halves, then the plain way for the last one.
        (answer(400, AMBIGUOUS), 60, matched, None, Bisect),
        (answer(400, AMBIGUOUS), 1, matched, None, FallBack),
        (answer(400, DUPLICATE_2_4), 1, matched, None, FallBack),
        // The server, the network, the key: stop the round.
        (answer(500, ""), 200, fresh, None, stop(true)),
        (answer(429, ""), 200, matched, None, stop(false)),
        (answer(401, ""), 1, upsert, None, stop(false)),
    ];
    for (error, records, mode, accepted, expected) in cases {
        assert_eq!(
            after_refused_batch(&error, records, mode, accepted),
            expected,
            "{error} ({records} records, {mode:?}, accepted {accepted:?})"
        );
    }
}

#[test]
fn matched_records_are_upserted_only_where_that_cannot_take_over_another_record() {
    use MatchedRecords::*;
    use UpsertSupport::*;
    // (upserts, unique externalId, e-mails and domains looked up, adoptions) → how they are sent
    let cases = [
        (Supported, true, true, true, UpsertAll),
        (Supported, true, true, false, UpsertAll),
        (Supported, false, true, true, Plainly),
        // Looked up by externalId only (never adopting): an upsert could take over the record
        // holding a new record's e-mail.
        (Supported, true, false, false, Plainly),
        (Unknown, true, true, true, ProbeWithAdoption),
        (Unknown, true, true, false, Plainly),
        (Unknown, false, true, true, Plainly),
        (Unsupported, true, true, true, Plainly),
    ];
    for (upsert, unique, proven, adoptions, expected) in cases {
        assert_eq!(
            send_matched(upsert, unique, proven, adoptions),
            expected,
            "{upsert:?} {unique} {proven} {adoptions}"
        );
    }
}

#[test]
fn no_batch_holds_the_same_new_value_twice() {
    let records = vec![
        ("a", Some("x")),
        ("b", Some("y")),
        ("c", Some("x")),
        ("d", None),
        ("e", Some("x")),
        ("f", None),
    ];
    let batches = batches_without_repeats(records, 3, |(_, value)| value.map(str::to_string));
    let names: Vec<Vec<&str>> = batches
        .iter()
        .map(|batch| batch.iter().map(|(name, _)| *name).collect())
        .collect();
    assert_eq!(names, vec![vec!["a", "b", "d"], vec!["c", "f"], vec!["e"]]);
    assert!(batches_without_repeats(Vec::<(&str, Option<&str>)>::new(), 3, |_| None).is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn record(
    ) -> impl Strategy<Value = (Option<Option<&'static str>>, Option<Option<&'static str>>)> {
        // (found by externalId: with no other id, or none), (a holder of our value: its
        // externalId, if any)
        let by_id = prop::option::of(Just(None));
        let by_value = prop::option::of(prop::option::of(prop::sample::select(vec!["p1", "p9"])));
        (by_id, by_value)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every record lands in exactly one batch, in order, no batch larger than asked and no
        /// value twice in one batch.
        #[test]
        fn batches_keep_every_record_once_without_repeats(
            values in prop::collection::vec(prop::option::of(0u8..6), 0..80),
            size in 1usize..12,
        ) {
            let records: Vec<(usize, Option<u8>)> = values.into_iter().enumerate().collect();
            let batches = batches_without_repeats(records.clone(), size, |(_, v)| v.map(|v| v.to_string()));
            let mut seen: Vec<usize> = batches.iter().flatten().map(|(i, _)| *i).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..records.len()).collect::<Vec<_>>());
            for batch in &batches {
                prop_assert!(!batch.is_empty() && batch.len() <= size);
                let mut held = std::collections::HashSet::new();
                for (_, value) in batch {
                    if let Some(value) = value {
                        prop_assert!(held.insert(*value), "{:?}", batch);
                    }
                }
                prop_assert!(batch.windows(2).all(|w| w[0].0 < w[1].0), "in order");
            }
        }

        /// Whatever a lookup found, a record holding another `externalId` is never adopted, a
        /// record is created only when nothing holds its id or value, and our own record is
        /// never taken for a conflict with itself.
        #[test]
        fn a_lookup_never_takes_over_another_records_id((by_id, by_value) in record()) {
            let body = json!({"externalId": "p1", "emails": {"primaryEmail": "a@x.com"}});
            let key = match_key(EntityKind::Person, &body);
            let holder = by_value.map(|ext| match ext {
                Some("p1") => remote("t-ours", Some("p1"), json!({})),
                other => remote("t-holder", other, json!({})),
            });
            // A holder of our id is what the lookup by id finds too.
            let holds_ours = holder.as_ref().is_some_and(|h| h.id == "t-ours");
            let ours = (by_id.is_some() || holds_ours)
                .then(|| remote("t-ours", Some("p1"), json!({})));
            let decision = after_match(EntityKind::Person, &body, ours.as_ref(), holder.as_ref(), key.as_ref());
            match &decision {
                AfterMatch::Adopt(adoption) => {
                    prop_assert!(ours.is_none());
                    let holder = holder.as_ref().unwrap();
                    prop_assert!(holder.external_id.is_none());
                    prop_assert_eq!(&adoption.twenty_id, &holder.id);
                }
                AfterMatch::Create => prop_assert!(ours.is_none() && holder.is_none()),
                AfterMatch::Conflict { conflict, .. } => {
                    let named = conflict.holder.as_ref().unwrap();
                    prop_assert_ne!(named.twenty_id.as_str(), "t-ours");
                }
                AfterMatch::AlreadyThere(id) | AfterMatch::Update(id) => {
                    prop_assert_eq!(id.as_str(), "t-ours");
                }
            }
        }
    }
}
