//! The wire form of requests and errors: what the UI, the desktop shell and the CLI send.

use serde_json::json;

use super::*;
use crate::app::queries::EventCategory;
use crate::domain::EntityKind;

fn parse(value: serde_json::Value) -> Result<Request, String> {
    Request::from_json(value).map_err(|e| e.to_string())
}

#[test]
fn requests_are_tagged_by_op_name() {
    let Request::Events(events) =
        parse(json!({ "op": "events", "limit": 20, "category": "intents, pushes" })).unwrap()
    else {
        panic!("not an events request");
    };
    assert_eq!(events.limit, Some(20));
    assert_eq!(
        events.categories,
        [EventCategory::Intents, EventCategory::Pushes]
    );
    let Request::Events(listed) =
        parse(json!({ "op": "events", "categories": ["failures"] })).unwrap()
    else {
        panic!("not an events request");
    };
    assert_eq!(listed.categories, [EventCategory::Failures]);
    assert!(matches!(
        parse(json!({ "op": "status" })).unwrap(),
        Request::Status(_)
    ));
    let Request::RetryRecord(retry) =
        parse(json!({ "op": "retry_record", "kind": "person", "external_id": "p-1" })).unwrap()
    else {
        panic!("not a retry");
    };
    assert_eq!(retry.kind, EntityKind::Person);
    let Request::SaveSettings(save) =
        parse(json!({ "op": "save_settings", "base_url": "https://crm.example.com" })).unwrap()
    else {
        panic!("not a save");
    };
    assert_eq!(save.0.base_url.as_deref(), Some("https://crm.example.com"));
    assert!(matches!(
        parse(json!({ "op": "test_connection" })).unwrap(),
        Request::TestConnection(_)
    ));
}

#[test]
fn a_request_round_trips_through_json() {
    for request in [
        Request::from(Events {
            limit: Some(5),
            categories: vec![EventCategory::Config],
            ..Events::default()
        }),
        Request::from(RetryRecord {
            kind: EntityKind::Company,
            external_id: "c-1".into(),
        }),
        Request::from(SetPaused { paused: true }),
    ] {
        let text = serde_json::to_value(&request).unwrap();
        let back = Request::from_json(text.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), text);
    }
}

#[test]
fn malformed_requests_get_a_sentence_without_serde_internals() {
    for (request, expected) in [
        (json!({ "op": "nosuch" }), "unknown variant `nosuch`"),
        (json!({ "limit": 3 }), "missing field `op`"),
        (
            json!({ "op": "events", "category": "nope" }),
            "unknown category 'nope'",
        ),
        (
            json!({ "op": "retry_record", "kind": "dog", "external_id": "x" }),
            "unknown kind 'dog'",
        ),
        (
            json!({ "op": "status", "extra": 1 }),
            "unknown field `extra`",
        ),
    ] {
        let message = parse(request).unwrap_err();
        assert!(message.starts_with("the request is malformed"), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains(" at line "), "{message}");
    }
}

#[test]
fn errors_answer_a_sentence_and_the_fields_at_fault() {
    let invalid = OpError::Invalid(vec![crate::config::ConfigError {
        setting: "rate_limit",
        source_name: Some("ui".into()),
        message: "must be at least 1".into(),
    }]);
    assert_eq!(invalid.status(), 422);
    let reply = invalid.reply();
    assert_eq!(
        reply.error,
        "some settings are invalid; nothing was changed"
    );
    assert_eq!(reply.fields["rate_limit"], "must be at least 1");
    let missing = OpError::NotFound("no such error report".into());
    assert_eq!(missing.status(), 404);
    assert_eq!(
        serde_json::to_value(missing.reply()).unwrap(),
        json!({ "error": "no such error report" })
    );
}

#[test]
fn secrets_in_requests_are_masked_in_debug() {
    let request =
        parse(json!({ "op": "save_settings", "api_key": "key-1234567890abcdef" })).unwrap();
    let shown = format!("{request:?}");
    assert!(!shown.contains("key-1234567890abcdef"), "{shown}");
    let test =
        parse(json!({ "op": "test_connection", "api_key": "key-1234567890abcdef" })).unwrap();
    assert!(!format!("{test:?}").contains("key-1234567890abcdef"));
}

#[test]
fn rust_type_names_never_reach_the_person() {
    let error = serde_json::from_str::<crate::config::SettingsUpdate>("true").unwrap_err();
    let message = plain_serde_message(&error);
    assert!(!message.contains("SettingsUpdate"), "{message}");
    assert!(message.contains("expected a JSON object"), "{message}");
    let message = parse(json!("status")).unwrap_err();
    assert!(!message.contains("enum Request"), "{message}");
}
