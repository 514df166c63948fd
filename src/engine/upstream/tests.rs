//! What each stop of either upstream means to the runner, as a table.

use super::UpstreamError;
use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::relay::ForwardError;
use crate::twenty::error::{classify_status, Redactor};

fn twenty(status: u16, body: &str) -> crate::twenty::TwentyError {
    let redactor = Redactor::new(crate::config::Secret::new("key-0123456789"));
    classify_status(status, body.as_bytes(), None, &redactor)
}

#[test]
fn engine_stops_become_runner_steps() {
    let missing = r#"{"statusCode":400,"messages":["field 'externalId' does not exist"]}"#;
    let cases: Vec<(EngineError, fn(&UpstreamError) -> bool)> = vec![
        (
            EngineError::Unreachable(twenty(503, "")),
            |e| matches!(e, UpstreamError::Unreachable(m) if m.contains("(503)") && !m.starts_with("Twenty is unreachable")),
        ),
        (EngineError::SchemaLost(twenty(400, missing)), |e| {
            matches!(e, UpstreamError::Unprepared(_))
        }),
        (
            EngineError::Refused(twenty(401, "")),
            |e| matches!(e, UpstreamError::NeedsAttention(m) if m.starts_with("Twenty refused the request")),
        ),
        (
            EngineError::SchemaMissing("create the field".into()),
            |e| matches!(e, UpstreamError::NeedsAttention(m) if m == "create the field"),
        ),
        (
            EngineError::Settings(ConfigError {
                setting: "base_url",
                source_name: None,
                message: "set it".into(),
            }),
            |e| matches!(e, UpstreamError::NeedsAttention(m) if m == "base_url: set it"),
        ),
    ];
    for (error, expected) in cases {
        let shown = error.to_string();
        let step = UpstreamError::from(error);
        assert!(expected(&step), "{shown} → {step:?}");
    }
}

#[test]
fn relay_stops_become_runner_steps() {
    assert_eq!(
        UpstreamError::from(ForwardError::Unreachable("HTTP 503: busy".into())),
        UpstreamError::Unreachable("HTTP 503: busy".into())
    );
    let refused = UpstreamError::from(ForwardError::Refused("HTTP 401: no".into()));
    assert!(
        matches!(&refused, UpstreamError::NeedsAttention(m) if m.contains("platform_token")),
        "{refused:?}"
    );
}
