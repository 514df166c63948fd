//! Error classification from the literal bodies of `real-server-samples.md` and `rest-api.md`,
//! and scrubbing of the API key from every message.

use std::time::Duration;

use crate::config::Secret;
use crate::domain::FailureCode;
use crate::twenty::error::{classify_status, parse_server_text, Redactor};
use crate::twenty::{ErrorCode, TwentyError};

const KEY: &str = "eyJhbGciOiJIUzI1NiJ9.payload.sig";

fn redactor(key: &str) -> Redactor {
    Redactor::new(Secret::new(key))
}

fn classify(status: u16, body: &str) -> TwentyError {
    classify_status(status, body.as_bytes(), None, &redactor(KEY))
}

#[test]
fn legacy_401_bodies_are_auth_errors_with_the_server_text() {
    let e = classify(
        401,
        r#"{"statusCode":401,"messages":["No payload"],"error":"UNAUTHENTICATED"}"#,
    );
    assert_eq!(e.code(), ErrorCode::AuthError);
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.server_message(), Some("No payload"));
    assert_eq!(
        e.to_string(),
        "Twenty refused the API key (401): No payload. Check the key in Settings → APIs & Webhooks"
    );
    assert!(!e.is_retryable());

    let e = classify(
        401,
        r#"{"statusCode":401,"messages":["Token invalid."],"error":"UNAUTHENTICATED"}"#,
    );
    assert_eq!(e.code(), ErrorCode::AuthError);
    assert_eq!(e.server_message(), Some("Token invalid."));
}

#[test]
fn every_403_shape_is_an_auth_error() {
    for body in [
        r#"{"statusCode":403,"messages":["Missing authentication token"],"error":"FORBIDDEN_EXCEPTION"}"#,
        r#"{"statusCode":403,"error":"ForbiddenException","messages":["Forbidden resource"]}"#,
        r#"{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}"#,
        r#"{"statusCode":403,"error":"ForbiddenException","messages":["Entity performing the request does not have permission"],"code":"PERMISSION_DENIED"}"#,
    ] {
        let e = classify(403, body);
        assert_eq!(e.code(), ErrorCode::AuthError, "{body}");
        assert_eq!(e.status(), Some(403));
        assert!(e.to_string().contains("lacks permission"), "{e}");
        assert!(e.to_string().contains("Settings → APIs & Webhooks"), "{e}");
        assert!(!e.is_retryable());
    }
    let e = classify(
        403,
        r#"{"statusCode":403,"message":"Forbidden resource","error":"Forbidden"}"#,
    );
    assert_eq!(e.server_message(), Some("Forbidden resource"));
}

#[test]
fn not_found_400_and_404() {
    let legacy_get = classify(
        400,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["Record not found"]}"#,
    );
    assert_eq!(legacy_get.code(), ErrorCode::NotFound);
    assert_eq!(legacy_get.status(), Some(400));

    let legacy_patch = classify(
        400,
        r#"{"statusCode":400,"error":"EntityNotFoundError","messages":["Could not find any entity of type \"company\" matching: {\"id\":\"x\"}"]}"#,
    );
    assert_eq!(legacy_patch.code(), ErrorCode::NotFound);

    let current = classify(
        404,
        r#"{"statusCode":404,"error":"NotFoundException","messages":["Record not found"]}"#,
    );
    assert_eq!(current.code(), ErrorCode::NotFound);
    assert!(!current.is_retryable());

    // A 404 for the route itself (wrong base URL) must not look like a deleted record.
    let route = classify(
        404,
        r#"{"statusCode":404,"message":"Cannot GET /api/rest/people","error":"Not Found"}"#,
    );
    assert_eq!(route.code(), ErrorCode::ValidationError);
    assert!(route.to_string().contains("server URL"), "{route}");
    let html = classify(
        404,
        "<html><head><title>404 Not Found</title></head></html>",
    );
    assert_eq!(html.code(), ErrorCode::ValidationError);
}

#[test]
fn duplicate_variants() {
    for body in [
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate Emails with value ada.real@example.com. Please set a unique one."]}"#,
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate Domain Name with value https://sampleco-real.example.com. Please set a unique one."]}"#,
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate External ID with value ext-1. Please set a unique one."]}"#,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["A duplicate entry was detected"],"code":"DUPLICATE_ENTRY_DETECTED"}"#,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["Domain \"acme.com\" is already used by another company"],"code":"DUPLICATE_ENTRY_DETECTED"}"#,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["duplicate key value violates unique constraint \"IDX_UNIQUE_87914cd3ce963115f8cb943e2ac\""]}"#,
    ] {
        let e = classify(400, body);
        assert_eq!(e.code(), ErrorCode::Duplicate, "{body}");
        assert!(!e.is_retryable());
    }
    let e = classify(
        400,
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate External ID with value ext-1. Please set a unique one."]}"#,
    );
    assert_eq!(
        e.server_message(),
        Some("Duplicate External ID with value ext-1. Please set a unique one.")
    );
    // "Record already exists" (an existing id re-sent) is not a duplicate of a unique value.
    let e = classify(
        400,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["Record already exists"]}"#,
    );
    assert_eq!(e.code(), ErrorCode::ValidationError);
}

#[test]
fn validation_errors_keep_the_server_text_in_both_shapes() {
    let e = classify(
        400,
        r#"{"statusCode":400,"error":"BadRequestException","messages":["field 'foo' does not exist in 'person' object"]}"#,
    );
    assert_eq!(e.code(), ErrorCode::ValidationError);
    assert_eq!(e.status(), Some(400));
    assert_eq!(
        e.to_string(),
        "Twenty rejected the request (400): field 'foo' does not exist in 'person' object"
    );
    let e = classify(
        400,
        r#"{"statusCode":400,"message":"Unexpected end of JSON input","error":"Bad Request"}"#,
    );
    assert_eq!(e.code(), ErrorCode::ValidationError);
    assert_eq!(e.server_message(), Some("Unexpected end of JSON input"));
    let e = classify(
        400,
        r#"{"statusCode":400,"messages":["Cannot query field 'dataSourceId' on type 'Object'."],"error":"Bad Request"}"#,
    );
    assert_eq!(
        e.server_message(),
        Some("Cannot query field 'dataSourceId' on type 'Object'.")
    );
    let e = classify(
        413,
        r#"{"statusCode":413,"message":"request entity too large","error":"Payload Too Large"}"#,
    );
    assert_eq!(e.code(), ErrorCode::ValidationError);
}

#[test]
fn quota_and_rate_limits() {
    let e = classify(
        402,
        r#"{"statusCode":402,"error":"QUOTA_EXHAUSTED","messages":["Quota exhausted"],"limitKind":"quota"}"#,
    );
    assert_eq!(e.code(), ErrorCode::QuotaExhausted);
    assert!(!e.is_retryable());

    let legacy = classify(
        429,
        r#"{"statusCode":429,"error":"HttpException","messages":["Limit reached (100 tokens per 60000 ms)"]}"#,
    );
    assert_eq!(legacy.code(), ErrorCode::RateLimit);
    assert!(legacy.is_retryable());
    assert_eq!(legacy.retry_after(), None);

    let body = r#"{"statusCode":429,"error":"RATE_LIMITED","messages":["Rate limit exceeded"],"limitKind":"speed","limit":100,"remaining":0,"periodCount":1,"periodUnit":"minute","retryAfterSeconds":12}"#;
    let header = classify_status(
        429,
        body.as_bytes(),
        Some(Duration::from_secs(7)),
        &redactor(KEY),
    );
    assert_eq!(
        header.retry_after(),
        Some(Duration::from_secs(7)),
        "the header wins"
    );
    assert!(header.to_string().contains("wait 7 s"), "{header}");
    let from_body = classify(429, body);
    assert_eq!(from_body.retry_after(), Some(Duration::from_secs(12)));
}

#[test]
fn server_errors_and_timeouts() {
    let nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let e = classify(502, nginx);
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.server_message(), Some("502 Bad Gateway"));
    assert!(e.is_retryable());
    for status in [500, 502, 503, 504] {
        assert!(classify(status, "").is_retryable(), "{status}");
    }
    for status in [501, 505, 507] {
        let e = classify(status, "");
        assert_eq!(e.code(), ErrorCode::ServerError);
        assert!(!e.is_retryable(), "{status}");
    }
    let e = classify(408, "");
    assert_eq!(e.code(), ErrorCode::Timeout);
    assert!(e.is_retryable());
}

#[test]
fn long_non_json_bodies_are_cut() {
    let body = "x".repeat(5_000);
    let text = parse_server_text(body.as_bytes()).text.unwrap_or_default();
    assert!(text.chars().count() <= 201, "{}", text.len());
}

#[test]
fn operation_failed_wraps_the_last_error_and_stays_retryable() {
    let last = classify(503, r#"{"statusCode":503,"message":"Service Unavailable"}"#);
    let e = TwentyError::exhausted(4, last.clone());
    assert_eq!(e.code(), ErrorCode::OperationFailed);
    assert!(e.is_retryable());
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.root(), &last);
    assert!(
        e.to_string().starts_with("gave up after 4 attempts: "),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn codes_keep_the_original_integrations_names() {
    let all = [
        (ErrorCode::AuthError, "AUTH_ERROR"),
        (ErrorCode::RateLimit, "RATE_LIMIT"),
        (ErrorCode::Timeout, "TIMEOUT"),
        (ErrorCode::NetworkError, "NETWORK_ERROR"),
        (ErrorCode::NotFound, "NOT_FOUND"),
        (ErrorCode::ServerError, "SERVER_ERROR"),
        (ErrorCode::Duplicate, "DUPLICATE"),
        (ErrorCode::ValidationError, "VALIDATION_ERROR"),
        (ErrorCode::QuotaExhausted, "QUOTA_EXHAUSTED"),
        (ErrorCode::OperationFailed, "OPERATION_FAILED"),
    ];
    for (code, name) in all {
        assert_eq!(code.as_str(), name);
    }
    let e = classify(402, "{}");
    assert_eq!(e.failure_code(), FailureCode::QuotaExhausted);
}

#[test]
fn the_key_never_appears_in_messages_even_with_regex_metacharacters() {
    let key = "a.b*c+(d)";
    let body = format!(
        r#"{{"statusCode":401,"messages":["bad token {key} for https://x.example/rest?token={key}"],"error":"UNAUTHENTICATED"}}"#
    );
    let e = classify_status(401, body.as_bytes(), None, &redactor(key));
    assert!(!e.to_string().contains(key), "{e}");
    assert!(!e.server_message().unwrap_or_default().contains(key));
    assert!(e.to_string().contains("****"), "{e}");
    // A similar-looking text that is not the key is left alone (no pattern matching).
    let e = classify_status(
        400,
        br#"{"statusCode":400,"messages":["aXb*c+(d)"]}"#,
        None,
        &redactor(key),
    );
    assert_eq!(e.server_message(), Some("aXb*c+(d)"));
}

#[test]
fn transport_failures_are_said_in_plain_words() {
    use crate::twenty::error::transport_reason;
    for (chain, said) in [
        (
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)",
            "the server refused the connection",
        ),
        (
            "error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known",
            "the server's name could not be found",
        ),
        (
            "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer",
            "the server's certificate is not trusted",
        ),
        ("error sending request: something odd (os error 5)", "something odd"),
    ] {
        let words = transport_reason(chain);
        assert!(words.starts_with(said), "{chain}: {words}");
        assert!(!words.contains("error sending request") && !words.contains("os error"), "{words}");
    }
}
