//! The engine's decisions as case tables: (Twenty's answer, the situation) → what follows.

use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::config::Secret;
use crate::domain::{EntityKind, IntentFields, IntentSource, PendingEntry, RecordKey};
use crate::domain::{Intent, PushOutcome};
use crate::twenty::error::{classify_status, Redactor};

/// Twenty's answer `status` with `body`, classified as the client does.
fn answer(status: u16, body: &str) -> TwentyError {
    let redactor = Redactor::new(Secret::new("key-0123456789"));
    classify_status(status, body.as_bytes(), None, &redactor)
}

const DUPLICATE: &str =
    r#"{"statusCode":400,"messages":["duplicate key value violates unique constraint"]}"#;
const INVALID: &str = r#"{"statusCode":400,"messages":["name must be a string"]}"#;
const NO_FIELD: &str =
    r#"{"statusCode":400,"messages":["field 'externalId' does not exist in 'company' object"]}"#;
const NOT_FOUND: &str = r#"{"statusCode":404,"messages":["Record not found"]}"#;

#[test]
fn a_refused_call_is_sorted_by_what_it_means() {
    use Disposition::*;
    let cases = [
        (answer(400, NO_FIELD), SchemaLost),
        (answer(400, INVALID), Record),
        (answer(400, DUPLICATE), Record),
        (answer(404, NOT_FOUND), Record),
        (answer(401, ""), Refused),
        (answer(403, ""), Refused),
        (answer(402, ""), Refused),
        (answer(429, ""), Transient),
        (answer(500, ""), Transient),
        (answer(503, ""), Transient),
        (TwentyError::exhausted(4, answer(503, "")), Transient),
    ];
    for (error, expected) in cases {
        assert_eq!(disposition(&error), expected, "{error}");
    }
}

#[test]
fn a_round_stopped_by_a_refusal_needs_a_person_and_only_a_silent_server_is_offline() {
    use crate::engine::UpstreamError;
    const BAD_REQUEST: &str = r#"{"statusCode":400,"message":"Bad Request"}"#;
    const BAD_FILTER: &str = r#"{"statusCode":400,"error":"BadRequestException","messages":["'filter' invalid. 1 close bracket is missing in the query"]}"#;
    // (Twenty's answer to a lookup, what the runner shows, the start of its text)
    let cases = [
        (
            answer(400, BAD_REQUEST),
            "needs attention",
            "Twenty refuses our requests (400: Bad Request)",
        ),
        (
            answer(400, BAD_FILTER),
            "needs attention",
            "Twenty refuses our requests (400: 'filter' invalid.",
        ),
        (
            answer(400, INVALID),
            "needs attention",
            "Twenty refuses our requests (400: name must be a string)",
        ),
        (
            answer(404, NOT_FOUND),
            "needs attention",
            "Twenty refuses our requests (404: Record not found)",
        ),
        (
            answer(400, DUPLICATE),
            "needs attention",
            "Twenty refuses our requests (400: duplicate key",
        ),
        (
            answer(401, ""),
            "needs attention",
            "Twenty refused the request: Twenty refused the API key",
        ),
        (
            answer(402, ""),
            "needs attention",
            "Twenty refused the request",
        ),
        (
            answer(400, NO_FIELD),
            "prepare again",
            "Twenty rejected the request (400)",
        ),
        (
            answer(503, ""),
            "offline",
            "Twenty answered with a server error (503)",
        ),
        (
            answer(500, ""),
            "offline",
            "Twenty answered with a server error (500)",
        ),
        (answer(429, ""), "offline", "Twenty is rate limiting"),
        (
            TwentyError::exhausted(4, answer(502, "")),
            "offline",
            "gave up after 4 attempts",
        ),
    ];
    for (error, shown, text) in cases {
        let (state, message) = match UpstreamError::from(classify(error.clone())) {
            UpstreamError::Unreachable(message) => ("offline", message),
            UpstreamError::Unprepared(message) => ("prepare again", message),
            UpstreamError::NeedsAttention(message) => ("needs attention", message),
        };
        assert_eq!(state, shown, "{error}");
        assert!(message.starts_with(text), "{error}: {message}");
        assert!(!message.contains("unreachable"), "{message}");
    }
}

#[test]
fn what_follows_a_refused_update() {
    use AfterRefusedUpdate::*;
    let cases = [
        (answer(404, NOT_FOUND), LookUpAgain),
        (
            answer(400, r#"{"statusCode":400,"error":"EntityNotFoundError"}"#),
            LookUpAgain,
        ),
        (answer(400, DUPLICATE), Park),
        (answer(400, INVALID), Park),
        (
            answer(400, NO_FIELD),
            StopRound {
                count_attempt: false,
            },
        ),
        (
            answer(503, ""),
            StopRound {
                count_attempt: true,
            },
        ),
        (
            answer(408, ""),
            StopRound {
                count_attempt: false,
            },
        ),
        (
            answer(403, ""),
            StopRound {
                count_attempt: false,
            },
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(after_refused_update(&error), expected, "{error}");
    }
}

#[test]
fn a_refused_restore_parks_or_stops() {
    assert_eq!(
        after_refused_restore(&answer(400, DUPLICATE)),
        AfterRefusedRestore::Park
    );
    assert_eq!(
        after_refused_restore(&answer(500, "")),
        AfterRefusedRestore::StopRound
    );
    assert_eq!(
        after_refused_restore(&answer(400, NO_FIELD)),
        AfterRefusedRestore::StopRound
    );
}

#[test]
fn bisection_keeps_order_and_puts_the_smaller_half_first() {
    for (len, left, right) in [(2, 1, 1), (3, 1, 2), (60, 30, 30), (7, 3, 4)] {
        let batch: Vec<usize> = (0..len).collect();
        let (l, r) = bisect(batch);
        assert_eq!((l.len(), r.len()), (left, right), "{len}");
        assert_eq!(
            l.iter().chain(&r).copied().collect::<Vec<_>>(),
            (0..len).collect::<Vec<_>>()
        );
    }
}

#[test]
fn conflicts_are_looked_up_a_bounded_number_of_times() {
    // An update whose target is gone: (found again?, number of the refused update) → next.
    let cases = [
        (Some("t2"), 0, AfterUpdateLookup::UpdateAt("t2".into())),
        (Some("t3"), 1, AfterUpdateLookup::UpdateAt("t3".into())),
        (Some("t4"), 2, AfterUpdateLookup::GiveUp),
        (None, 0, AfterUpdateLookup::Create),
        (None, 2, AfterUpdateLookup::Create),
    ];
    for (found, tries, expected) in cases {
        assert_eq!(
            after_update_lookup(found.map(str::to_string), tries),
            expected
        );
    }
    // A create that collided: (found?, number of the lookup) → next.
    let cases = [
        (
            Some("t1"),
            0,
            AfterCollisionLookup::UpdateFound("t1".into()),
        ),
        (
            Some("t1"),
            2,
            AfterCollisionLookup::UpdateFound("t1".into()),
        ),
        (None, 0, AfterCollisionLookup::LookAgain),
        (None, 1, AfterCollisionLookup::LookAgain),
        (None, 2, AfterCollisionLookup::CheckTrash),
    ];
    for (found, tries, expected) in cases {
        assert_eq!(
            after_collision_lookup(found.map(str::to_string), tries),
            expected
        );
    }
    let pauses: Vec<u128> = (0..CONFLICT_TRIES)
        .map(|t| conflict_pause(t).as_millis())
        .collect();
    assert_eq!(pauses, [100, 200, 400]);
}

#[test]
fn the_trash_is_tried_unless_upserts_are_known_to_be_ignored() {
    use UpsertSupport::*;
    let cases = [
        (true, Unknown, true),
        (true, Supported, true),
        (true, Unsupported, false),
        (false, Supported, false),
        (false, Unknown, false),
    ];
    for (in_trash, upsert, expected) in cases {
        assert_eq!(
            restores_from_trash(in_trash, upsert),
            expected,
            "{in_trash} {upsert:?}"
        );
    }
}

#[test]
fn the_upsert_probe_teaches_what_the_server_does() {
    use ProbeVerdict::*;
    let refused = |status, body| Err::<&str, _>(answer(status, body));
    // (the probe's answer, the mapped Twenty id) → verdict, lesson
    let cases = [
        (Ok("t1"), Applies, Some((UpsertSupport::Supported, true))),
        (Ok("t9"), CreatedAnother, None),
        (
            refused(400, DUPLICATE),
            Ignored,
            Some((UpsertSupport::Unsupported, true)),
        ),
        (
            refused(400, INVALID),
            AvoidForNow,
            Some((UpsertSupport::Unsupported, false)),
        ),
        (refused(400, NO_FIELD), StopRound, None),
        (refused(503, ""), StopRound, None),
        (refused(401, ""), StopRound, None),
    ];
    for (answer, verdict, lesson) in cases {
        let got = upsert_probe(answer.as_ref().map(|id| *id), "t1");
        assert_eq!(got, verdict, "{answer:?}");
        assert_eq!(got.lesson(), lesson, "{answer:?}");
    }
    assert_eq!(UpsertSupport::remembered(None), UpsertSupport::Unknown);
    assert_eq!(
        UpsertSupport::remembered(Some(true)),
        UpsertSupport::Supported
    );
    assert_eq!(
        UpsertSupport::remembered(Some(false)),
        UpsertSupport::Unsupported
    );
    // (upserts, unique externalId) → how known records are sent: never upserted where the
    // field is not unique (an ignored upsert would create a second record).
    let cases = [
        (UpsertSupport::Unknown, true, KnownRecords::ProbeWithFirst),
        (UpsertSupport::Supported, true, KnownRecords::InBatches),
        (UpsertSupport::Unsupported, true, KnownRecords::OneByOne),
        (UpsertSupport::Unknown, false, KnownRecords::OneByOne),
        (UpsertSupport::Supported, false, KnownRecords::OneByOne),
    ];
    for (upsert, unique, expected) in cases {
        assert_eq!(send_known(upsert, unique), expected, "{upsert:?} {unique}");
    }
}

#[test]
fn a_looked_up_record_holds_our_values_or_not() {
    // (What a lookup means for each record is in `strategy::after_match`.)
    let body = json!({"name": "Acme", "emails": {"primaryEmail": "Ada@Example.com"}});
    let same = json!({"id": "t1", "name": "Acme", "emails": {"primaryEmail": "ada@example.com"}});
    let other = json!({"id": "t1", "name": "Acme Ltd"});
    assert!(remote_matches(&same, &body));
    assert!(!remote_matches(&other, &body));
    // Blank values count as equal across Twenty versions.
    assert!(remote_matches(&json!({"city": null}), &json!({"city": ""})));
    assert!(remote_matches(&json!({}), &json!({"tags": []})));
    assert!(!remote_matches(
        &json!({"city": "Paris"}),
        &json!({"city": "paris"})
    ));
    assert_eq!(created_outcome(true, true), PushOutcome::Updated);
    assert_eq!(created_outcome(true, false), PushOutcome::Created);
    assert_eq!(created_outcome(false, true), PushOutcome::Created);
}

fn person(id: &str, company: Option<(&str, Option<&str>)>) -> WorkItem {
    let intent = Intent {
        values: Default::default(),
        id: Uuid::now_v7(),
        kind: EntityKind::Person,
        external_id: id.into(),
        fields: IntentFields {
            company_external_id: company.map(|(c, _)| c.to_string()),
            company_name: company.and_then(|(_, name)| name.map(str::to_string)),
            ..IntentFields::default()
        },
        source: IntentSource::Cli,
        requested_at_ms: 0,
    };
    let pending = PendingEntry {
        seq: 1,
        intent_id: intent.id,
        attempts: 0,
        last_error: None,
    };
    WorkItem::new(
        RecordKey::new(EntityKind::Person, id),
        pending,
        intent,
        None,
    )
}

#[test]
fn companies_are_created_once_when_a_person_names_them_and_nobody_knows_them() {
    let people = [
        person("p1", Some(("c-known", Some("Known")))),
        person("p2", Some(("c-new", Some("New Ltd")))),
        person("p3", Some(("c-new", Some("New Ltd (again)")))),
        person("p4", Some(("c-nameless", None))),
        person("p5", None),
        person("p6", Some(("c-other", Some("Other")))),
    ];
    let resolved = HashMap::from([("c-known".to_string(), "t-known".to_string())]);
    let chosen: Vec<(&str, &str, &str)> = companies_to_create(&people, &resolved)
        .iter()
        .map(|c| (c.external_id, c.name, c.named_by.key.external_id.as_str()))
        .collect();
    assert_eq!(
        chosen,
        [("c-new", "New Ltd", "p2"), ("c-other", "Other", "p6")]
    );
}

#[test]
fn attempts_are_counted_only_for_server_errors_and_park_at_the_fifth() {
    assert!(counts_attempt(&answer(500, "")));
    assert!(counts_attempt(&TwentyError::exhausted(4, answer(503, ""))));
    assert!(!counts_attempt(&answer(429, "")));
    assert!(!counts_attempt(&answer(401, "")));
    let parks: Vec<bool> = (0..6).map(parks_at_this_attempt).collect();
    assert_eq!(parks, [false, false, false, false, true, true]);
}

#[test]
fn a_refusal_because_of_a_field_names_the_field() {
    let body = |message: &str| {
        serde_json::to_string(&json!({"statusCode": 400, "messages": [message]})).unwrap()
    };
    let cases = [
        (
            r#"Invalid value 'NOPE' for field "category" of object company"#,
            Some("category"),
        ),
        (
            r#"Invalid value "x" for multi select field "tags""#,
            Some("tags"),
        ),
        (
            r#"Invalid value ["a",1] for field "aliases - Array values need to be string""#,
            Some("aliases"),
        ),
        (
            r#"Invalid number value "many" for field "annualRecurringRevenue.amountMicros""#,
            Some("annualRecurringRevenue"),
        ),
        (
            r#"Invalid subfield nope for links field "listingUrl""#,
            Some("listingUrl"),
        ),
        (
            r#"Object person doesn't have any "nickname" field."#,
            Some("nickname"),
        ),
        (
            r#"Field metadata for field "bogusField" is missing in object metadata person"#,
            Some("bogusField"),
        ),
        // The schema, not a field of ours; and refusals that name no field.
        (
            r#"Object person doesn't have any "externalId" field."#,
            None,
        ),
        ("name must be a string", None),
        ("duplicate key value violates unique constraint", None),
    ];
    for (message, field) in cases {
        let error = answer(400, &body(message));
        assert_eq!(refused_field(&error).as_deref(), field, "{message}");
    }
    assert_eq!(
        refused_field(&answer(500, &body("Invalid value 'x' for field \"f\""))),
        None
    );
    let message = field_refusal_message(EntityKind::Person, "nickname", "Object person …");
    for part in [
        "'nickname'",
        "twenty-sync fields person --refresh",
        "mapping set",
        "retry-failed",
    ] {
        assert!(message.contains(part), "{message}");
    }
}
