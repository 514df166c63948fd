//! The fake's request log told as routes: method, path with ids as `{id}`, and the query's shape
//! (filter fields and operators without their values, `upsert=true`, the other keys), and which
//! routes are record requests, metadata requests or other.

use std::collections::BTreeMap;

use fake_twenty::RecordedRequest;

use crate::report::thousands;

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// `/rest/{plural}…` and `/rest/batch/…`: reading or writing records.
    Record,
    /// `/rest/metadata/…` and `POST /metadata`: the data model.
    Metadata,
    /// Health checks and the rest.
    Other,
}

pub fn class(path: &str) -> RouteClass {
    if path.starts_with("/rest/metadata") || path == "/metadata" {
        RouteClass::Metadata
    } else if path.starts_with("/rest/") && !path.starts_with("/rest/open-api") {
        RouteClass::Record
    } else {
        RouteClass::Other
    }
}

/// `GET /rest/people?filter=or(externalId[in],emails.primaryEmail[in])&limit&depth`,
/// `PATCH /rest/companies/{id}`, `POST /rest/batch/companies?upsert=true`.
pub fn pattern(request: &RecordedRequest) -> String {
    let path: Vec<&str> = request
        .path
        .split('/')
        .map(|segment| {
            if looks_like_id(segment) {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    let mut text = format!("{} {}", request.method, path.join("/"));
    if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
        let parts: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(key, value)| match key.as_ref() {
                "filter" => format!("filter={}", filter_shape(&value)),
                "upsert" => format!("upsert={value}"),
                _ => key.into_owned(),
            })
            .collect();
        text.push('?');
        text.push_str(&parts.join("&"));
    }
    text
}

fn looks_like_id(segment: &str) -> bool {
    segment.len() >= 32 && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// A filter without its values: `externalId[in]:["a","b"]` → `externalId[in]`.
fn filter_shape(filter: &str) -> String {
    let mut out = String::new();
    let mut chars = filter.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != ']' || chars.peek() != Some(&':') {
            continue;
        }
        chars.next();
        let mut depth = 0usize;
        let mut quoted = false;
        while let Some(&next) = chars.peek() {
            match next {
                '"' => quoted = !quoted,
                '[' if !quoted => depth += 1,
                ']' if !quoted => depth = depth.saturating_sub(1),
                ',' | ')' if !quoted && depth == 0 => break,
                _ => {}
            }
            chars.next();
        }
    }
    out
}

/// Requests per route pattern, and per answer status within each.
pub type RouteCounts = BTreeMap<String, BTreeMap<u16, usize>>;

pub fn count_routes(log: &[RecordedRequest]) -> RouteCounts {
    let mut counts = RouteCounts::new();
    for request in log {
        *counts
            .entry(pattern(request))
            .or_default()
            .entry(request.status)
            .or_default() += 1;
    }
    counts
}

/// `GET /rest/companies?filter=externalId[in]&limit&depth 167 (200)` joined with ` · `.
pub fn describe(counts: &RouteCounts, factor: usize) -> String {
    counts
        .iter()
        .map(|(route, statuses)| {
            let total = thousands(statuses.values().sum::<usize>() * factor);
            let statuses: Vec<String> = statuses
                .iter()
                .map(|(status, n)| match statuses.len() {
                    1 => status.to_string(),
                    _ => format!("{status}×{}", thousands(n * factor)),
                })
                .collect();
            format!("`{route}` {total} ({})", statuses.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
