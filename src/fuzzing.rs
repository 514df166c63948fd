//! Plain entry points over the parsers that read untrusted bytes, shared by the `cargo fuzz`
//! targets in `fuzz/` and the corpus regression test (`tests/fuzz_corpus.rs`), so both run the
//! same code. Each function must never panic, whatever the input; it returns a short summary
//! so callers can check determinism.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::domain::{EntityKind, Envelope};
use crate::import::{columns, decode, draft, parse};

/// Records over this size are refused by the parsers (smaller than the product's 1 MB, so the
/// fuzzer reaches the limit quickly).
const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The drop-folder pipeline over a file's bytes: scan (hash, encoding, binary check), decode to
/// UTF-8, sniff the format, read every row and turn it into a draft. Returns rows read.
pub fn import_file_bytes(data: &[u8]) -> usize {
    let scan = match decode::scan(data, None) {
        Ok(Ok(scan)) => scan,
        Ok(Err(_)) | Err(_) => return 0,
    };
    let text = decode::text_reader(data, scan.encoding);
    let Ok(mut rows) = parse::open(text, "fuzz.csv", MAX_RECORD_BYTES) else {
        return 0;
    };
    let mut read = 0;
    let fields = std::sync::Arc::new(crate::import::ImportFields::default());
    let mut mapping =
        crate::import::mapping::FileMapping::new(fields, Some(EntityKind::Company), rows.headers());
    while let Ok(Some(row)) = rows.next_row() {
        read += 1;
        mapping.sync(rows.headers());
        if let Ok(cells) = &row.cells {
            let _ = draft::draft_from_cells(cells, Some(EntityKind::Company), &mapping);
            let _ = draft::check_columns("fuzz.csv", &mapping, Some(EntityKind::Person));
        }
        if read > 100_000 {
            break;
        }
    }
    let mut rest = String::new();
    let _ = rows.into_reader().read_to_string(&mut rest);
    read
}

/// CSV: the bytes after a header line (so the sniffer always takes the CSV path).
pub fn import_csv(data: &[u8]) -> usize {
    let mut bytes = b"external_id,name,email,website,type\n".to_vec();
    bytes.extend_from_slice(data);
    import_file_bytes(&bytes)
}

/// A JSON array file: `[` then the bytes.
pub fn import_json(data: &[u8]) -> usize {
    let mut bytes = b"[".to_vec();
    bytes.extend_from_slice(data);
    import_file_bytes(&bytes)
}

/// NDJSON: `{` then the bytes.
pub fn import_ndjson(data: &[u8]) -> usize {
    let mut bytes = b"{".to_vec();
    bytes.extend_from_slice(data);
    import_file_bytes(&bytes)
}

/// Event decoding (bincode envelope, schema check): a decoded envelope re-encodes to the same
/// bytes and decodes to the same value.
pub fn decode_event(data: &[u8]) -> bool {
    let Ok(envelope) = Envelope::decode(data) else {
        return false;
    };
    let again = envelope.encode();
    match Envelope::decode(&again) {
        Ok(back) => assert_eq!(back, envelope, "an envelope must survive encode/decode"),
        Err(error) => panic!("re-encoded envelope does not decode: {error}"),
    }
    true
}

/// Twenty's answers: the first two bytes are the HTTP status, the rest the body. Runs the
/// response parsers on the body as JSON and the error classification on status + body.
pub fn twenty_response(data: &[u8]) -> bool {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    let retry_after = data.first().map(|b| Duration::from_secs(u64::from(*b)));
    let redactor =
        crate::twenty::error::Redactor::new(crate::config::Secret::new("secret-key-1234"));
    let error = crate::twenty::error::classify_status(status, body, retry_after, &redactor);
    let _ = (
        error.is_retryable(),
        error.code(),
        error.failure_code(),
        error.retry_after(),
    );
    assert!(
        !error.to_string().contains("secret-key-1234"),
        "the API key leaked into an error"
    );
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    for kind in [EntityKind::Company, EntityKind::Person] {
        if let Some(page) = crate::twenty::wire::parse_list(kind, &value) {
            let _ = page;
        }
        for record in crate::twenty::wire::parse_batch(kind, &value).unwrap_or_default() {
            let _ = (
                crate::twenty::wire::record_id(&record),
                crate::twenty::wire::record_external_id(&record),
            );
        }
        let _ = crate::twenty::wire::parse_update(kind, &value);
    }
    true
}

/// The local API's request parsing, on a raw request: `METHOD target` on the first line,
/// `Name: value` headers, a blank line, the body. Runs the token extraction and comparison,
/// the query parameters the routes read (event category, report path, upload name) and the JSON
/// bodies (settings change applied to the defaults, connection test).
pub fn api_request(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let target = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/");
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            ) {
                headers.append(name, value);
            }
        }
    }
    let token = crate::api::security::request_token(&headers);
    if let Some(token) = &token {
        assert!(crate::api::security::same_token(token, token));
    }
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "category" => {
                for part in value.split(',') {
                    let _ = crate::app::queries::EventCategory::parse(part);
                }
            }
            "path" => {
                if let Some(path) = crate::app::queries::report_path(Path::new("/drop"), &value) {
                    assert!(path.starts_with("/drop"), "report path escapes: {path:?}");
                }
            }
            "name" => {
                if let Ok(name) = crate::app::inbox::safe_file_name(&value) {
                    assert!(
                        !name.contains('/') && !name.contains('\\') && name != ".." && name != ".",
                        "unsafe upload name {name:?}"
                    );
                }
            }
            _ => {}
        }
    }
    if let Ok(update) = serde_json::from_str::<crate::config::SettingsUpdate>(body) {
        let _ = update.apply_to(&crate::config::Settings::default());
    }
    let _ = serde_json::from_str::<crate::app::connection::ConnectionRequest>(body);
    let _ = columns::kind_from_file_name(target);
    token.is_some()
}

/// A fuzz target: its name and the function it runs.
pub type Target = (&'static str, fn(&[u8]));

/// Every target by name, for the corpus test.
pub const TARGETS: [Target; 6] = [
    ("import_csv", |d| {
        import_csv(d);
    }),
    ("import_json", |d| {
        import_json(d);
    }),
    ("import_ndjson", |d| {
        import_ndjson(d);
    }),
    ("decode_event", |d| {
        decode_event(d);
    }),
    ("twenty_response", |d| {
        twenty_response(d);
    }),
    ("api_request", |d| {
        api_request(d);
    }),
];
