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
    let down = twenty(503, "");
    let gone = twenty(400, missing);
    let refused = EngineError::Refused(twenty(401, ""));
    let refused_text = refused.to_string();
    let settings = EngineError::Settings(ConfigError {
        setting: "base_url",
        source_name: None,
        message: "set it".into(),
    });
    // The inner error's text when going offline or preparing again; the whole text when a
    // person must act.
    let cases = [
        (
            EngineError::Unreachable(down.clone()),
            UpstreamError::Unreachable(down.to_string()),
        ),
        (
            EngineError::SchemaLost(gone.clone()),
            UpstreamError::Unprepared(gone.to_string()),
        ),
        (refused, UpstreamError::NeedsAttention(refused_text)),
        (
            EngineError::SchemaMissing("create the field".into()),
            UpstreamError::NeedsAttention("create the field".into()),
        ),
        (
            settings,
            UpstreamError::NeedsAttention("base_url: set it".into()),
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(UpstreamError::from(error), expected);
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
