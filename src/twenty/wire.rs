//! Twenty's wire format as pure functions (no I/O): the JSON bodies we send for companies and
//! people, object names and response keys, the `filter=` values for external-id lookups, query
//! encoding, and reading records out of Twenty's response envelopes.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::domain::fields::{record_values, FieldValues};
use crate::domain::{EntityKind, IntentFields};

/// The name of the custom field holding our external id in Twenty.
pub const EXTERNAL_ID_FIELD: &str = "externalId";

/// Characters that Twenty's filter parser gives a meaning to even inside a quoted value:
/// parentheses are counted over the raw string, `in` lists are split on every comma, and
/// quotes and brackets toggle its "inside a value" state. Ids containing any of them (or the
/// LIKE escape `\`) are never put in an `in` list.
const FILTER_SPECIAL: &[char] = &['(', ')', ',', '"', '\'', '[', ']', '\\'];

/// The body of a create or update: `externalId`, the given fields as Twenty takes them (see
/// [`crate::domain::fields::FieldValues::body`]; composites always whole, absent fields omitted,
/// never sent as null, so values set in Twenty are not wiped), and for a person `companyId` when
/// `company_id` is `Some`.
pub fn record_body(
    external_id: &str,
    fields: Map<String, Value>,
    company_id: Option<&str>,
) -> Value {
    let mut body = Map::new();
    body.insert(EXTERNAL_ID_FIELD.into(), json!(external_id));
    body.extend(fields);
    if let Some(company_id) = company_id {
        body.insert("companyId".into(), json!(company_id));
    }
    Value::Object(body)
}

/// The whole body of a company with only fixed fields:
/// `{"externalId","name","domainName":{"primaryLinkUrl","primaryLinkLabel":"","secondaryLinks":[]}}`.
pub fn company_body(external_id: &str, fields: &IntentFields) -> Value {
    let values = record_values(EntityKind::Company, fields, &FieldValues::new());
    record_body(external_id, values.body(), None)
}

/// The whole body of a person with only fixed fields: `{"externalId","name":{"firstName",
/// "lastName"},"emails":{"primaryEmail","additionalEmails":[]},"phones":{…},"jobTitle","city",
/// "companyId"}`.
pub fn person_body(external_id: &str, fields: &IntentFields, company_id: Option<&str>) -> Value {
    let values = record_values(EntityKind::Person, fields, &FieldValues::new());
    record_body(external_id, values.body(), company_id)
}

/// The idempotency key of an intent's writes: the same for every attempt and every retry of
/// the intent. (Twenty ignores the header today; it is sent so a proxy or a future build can
/// use it.)
pub fn idempotency_key(intent_id: Uuid) -> String {
    format!("twenty-sync-{intent_id}")
}

/// The object's plural API name, used in paths: `companies`, `people`.
pub fn plural(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "companies",
        EntityKind::Person => "people",
    }
}

/// The object's singular API name, as in metadata: `company`, `person`.
pub fn singular(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "company",
        EntityKind::Person => "person",
    }
}

/// Response key of a batch create: `createCompanies`, `createPeople`.
pub fn batch_create_key(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "createCompanies",
        EntityKind::Person => "createPeople",
    }
}

/// Response key of an update: `updateCompany`, `updatePerson`.
pub fn update_key(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Company => "updateCompany",
        EntityKind::Person => "updatePerson",
    }
}

/// Whether a value can go into an `[in]:[…]` list. Values with any of `( ) , " ' [ ] \` (see
/// [`FILTER_SPECIAL`]) or white space around them cannot, and are looked up one at a time.
pub fn fits_in_list(external_id: &str) -> bool {
    !external_id.is_empty()
        && !external_id.contains(FILTER_SPECIAL)
        && external_id.trim() == external_id
}

/// The longest path and query a lookup sends. Common proxies refuse request lines above 8 KiB
/// (nginx's default header buffer) before Twenty sees them.
pub const MAX_LOOKUP_URL_BYTES: usize = 8 * 1024;

/// `path[in]:[a,b]` for values that [`fits_in_list`], unquoted: Twenty strips quotes but needs
/// none around a value without special characters, and without them 200 ids and e-mail
/// addresses fit in one URL.
pub fn in_list_filter(path: &str, values: &[&str]) -> String {
    format!("{path}[in]:[{}]", values.join(","))
}

/// `or(a,b)` of several filters; one filter as it is.
pub fn any_of(mut filters: Vec<String>) -> String {
    if filters.len() == 1 {
        return filters.pop().unwrap_or_default();
    }
    format!("or({})", filters.join(","))
}

/// The path and query of one lookup page of `kind`: `/rest/{plural}?filter=…&limit=…&depth=0`
/// (and `starting_after` for a further page). The filter travels with `, : @ ( ) /` as they are
/// (a query may hold them), everything else as [`encode_query_value`] encodes it.
pub fn lookup_path(kind: EntityKind, filter: &str, limit: usize, cursor: Option<&str>) -> String {
    let mut path = format!(
        "/rest/{}?filter={}&limit={limit}&depth=0",
        plural(kind),
        encode_filter_value(filter)
    );
    if let Some(cursor) = cursor {
        path.push_str("&starting_after=");
        path.push_str(&encode_query_value(cursor));
    }
    path
}

/// [`encode_query_value`], but `, : @ ( ) /` are kept (a query may hold them as they are, and
/// they make up much of a filter of e-mail addresses and domains).
pub fn encode_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for part in value.split_inclusive([',', ':', '@', '(', ')', '/']) {
        match part.char_indices().last() {
            Some((at, kept @ (',' | ':' | '@' | '(' | ')' | '/'))) => {
                out.push_str(&encode_query_value(&part[..at]));
                out.push(kept);
            }
            _ => out.push_str(&encode_query_value(part)),
        }
    }
    out
}

/// The length of a lookup of `kind` by `externalId` (and the field at `path`) with empty lists:
/// each listed value adds [`listed_len`] to it.
pub fn lookup_base_len(kind: EntityKind, path: Option<&str>) -> usize {
    let mut filters = vec![in_list_filter(EXTERNAL_ID_FIELD, &[])];
    filters.extend(path.map(|path| in_list_filter(path, &[])));
    lookup_path(kind, &any_of(filters), 200, None).len()
}

/// The length of `value` in a lookup's query, separator included.
pub fn listed_len(value: &str) -> usize {
    encode_filter_value(value).len() + 1
}

/// The filter for one id that cannot go into a list.
///
/// * No parenthesis, and no comma next to a quote or bracket: `externalId[eq]:"<id>"`.
///   The parser strips exactly one pair of surrounding quotes and keeps everything inside.
/// * Otherwise `externalId[like]:"<id with each special character replaced by _>"`. Twenty
///   counts parentheses even inside quotes, so an unbalanced one makes even `[eq]` fail with
///   400; in a LIKE pattern `_` matches any one character, so the pattern holds none of the
///   special characters and still matches the id. It can also match other ids (so can `%` or
///   `_` in the id itself): the caller keeps only records whose `externalId` is exactly the id.
pub fn single_external_id_filter(external_id: &str) -> String {
    single_value_filter(EXTERNAL_ID_FIELD, external_id)
}

/// The filter for one value of the field at `path` (`emails.primaryEmail`, `name`), built as
/// [`single_external_id_filter`] is; the caller keeps only records holding exactly the value.
pub fn single_value_filter(path: &str, value: &str) -> String {
    let has_paren = value.contains(['(', ')']);
    let comma_at_risk = value.contains(',') && value.contains(['"', '\'', '[', ']']);
    let has_backslash = value.contains('\\');
    if !has_paren && !comma_at_risk && !has_backslash {
        return format!("{path}[eq]:\"{value}\"");
    }
    let pattern: String = value
        .chars()
        .map(|c| if FILTER_SPECIAL.contains(&c) { '_' } else { c })
        .collect();
    format!("{path}[like]:\"{pattern}\"")
}

/// The text at a dotted `path` of a record (`emails.primaryEmail`); `None` when absent or empty.
pub fn text_at<'a>(record: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(record, |value, part| value.get(part))?
        .as_str()
        .filter(|text| !text.is_empty())
}

/// A record's name as Twenty shows it: a company's `name`, a person's first and last name.
pub fn record_name(kind: EntityKind, record: &Value) -> Option<String> {
    let name = match kind {
        EntityKind::Company => text_at(record, "name").map(str::to_string),
        EntityKind::Person => {
            let parts: Vec<&str> = ["name.firstName", "name.lastName"]
                .iter()
                .filter_map(|path| text_at(record, path))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
    };
    name.filter(|name| !name.trim().is_empty())
}

/// Percent-encodes a query value: everything but `A-Z a-z 0-9 - . _ ~` (so brackets, quotes,
/// colons, commas, `%`, `+` and spaces all travel encoded).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `name=value&…`, values percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", encode_query_value(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The records and the next-page cursor of a list response
/// `{"data":{"<plural>":[…]},"pageInfo":{"hasNextPage","endCursor"},"totalCount"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub records: Vec<Value>,
    /// `Some(cursor)` when `pageInfo.hasNextPage` is true and an end cursor was given.
    pub next_cursor: Option<String>,
}

/// Reads a list response; `None` when the body does not have that shape.
pub fn parse_list(kind: EntityKind, body: &Value) -> Option<ListPage> {
    let records = body.get("data")?.get(plural(kind))?.as_array()?.clone();
    // pageInfo sits beside data; accept it inside data too.
    let page_info = body
        .get("pageInfo")
        .or_else(|| body.get("data").and_then(|d| d.get("pageInfo")));
    let next_cursor = page_info
        .filter(|info| info.get("hasNextPage").and_then(Value::as_bool) == Some(true))
        .and_then(|info| info.get("endCursor"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(ListPage {
        records,
        next_cursor,
    })
}

/// Reads a batch-create response: `data.createPeople` / `data.createCompanies`, or the plain
/// plural key an intermediate build used. `None` when neither is an array.
pub fn parse_batch(kind: EntityKind, body: &Value) -> Option<Vec<Value>> {
    let data = body.get("data")?;
    data.get(batch_create_key(kind))
        .or_else(|| data.get(plural(kind)))?
        .as_array()
        .cloned()
}

/// Reads an update response: `data.updatePerson` / `data.updateCompany`.
pub fn parse_update(kind: EntityKind, body: &Value) -> Option<Value> {
    body.get("data")?
        .get(update_key(kind))
        .filter(|record| record.is_object())
        .cloned()
}

/// A record's `id`, when it is a non-empty string.
pub fn record_id(record: &Value) -> Option<&str> {
    record
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}

/// A record's `externalId`; the empty default Twenty gives existing rows counts as none.
pub fn record_external_id(record: &Value) -> Option<&str> {
    record
        .get(EXTERNAL_ID_FIELD)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}
