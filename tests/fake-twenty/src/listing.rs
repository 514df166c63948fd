//! Find-many query parameters: `limit`, `depth`, `order_by`, `starting_after`/`ending_before`
//! cursors, and the paging computation (`totalCount`, `pageInfo`).

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::config::Profile;
use crate::errors::ApiError;
use crate::filter::{check_path, value_at};
use crate::schema::ObjectDef;
use crate::util::{b64_decode, b64_encode, query_get};

/// Sort direction with Postgres null placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AscNullsFirst,
    AscNullsLast,
    DescNullsFirst,
    DescNullsLast,
}

impl Direction {
    fn parse(s: &str) -> Option<Direction> {
        Some(match s {
            "AscNullsFirst" => Direction::AscNullsFirst,
            "AscNullsLast" => Direction::AscNullsLast,
            "DescNullsFirst" => Direction::DescNullsFirst,
            "DescNullsLast" => Direction::DescNullsLast,
            _ => return None,
        })
    }
}

/// One `order_by` term.
#[derive(Debug, Clone)]
pub struct OrderTerm {
    pub path: Vec<String>,
    pub dir: Direction,
}

/// Parsed `limit` (already clamped per profile).
pub fn parse_limit(q: &[(String, String)], profile: Profile) -> Result<usize, ApiError> {
    let Some(raw) = query_get(q, "limit") else {
        return Ok(60);
    };
    let n: i64 = raw.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
        ApiError::bad_request(format!("limit '{raw}' is invalid. Should be an integer"))
    })?;
    Ok(match profile {
        Profile::Current => n.min(200) as usize,
        Profile::Legacy2025 => n.min(1_000_000) as usize,
    })
}

/// `depth` 0 (default) or 1.
pub fn parse_depth(q: &[(String, String)]) -> Result<u8, ApiError> {
    match query_get(q, "depth") {
        None => Ok(0),
        Some("0") => Ok(0),
        Some("1") => Ok(1),
        Some(other) => Err(ApiError::bad_request(format!(
            "'depth={other}' parameter invalid. Allowed values are 0, 1"
        ))),
    }
}

/// `order_by=field[Dir],other`; `id` ascending is always appended as tie-breaker.
pub fn parse_order_by(
    q: &[(String, String)],
    object: &ObjectDef,
) -> Result<Vec<OrderTerm>, ApiError> {
    let mut terms = Vec::new();
    if let Some(raw) = query_get(q, "order_by").filter(|s| !s.is_empty()) {
        for part in raw.split(',') {
            let part = part.trim();
            let (field, dir) = match part.find('[') {
                Some(i) if part.ends_with(']') => {
                    let d = &part[i + 1..part.len() - 1];
                    let dir = Direction::parse(d).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "'order_by' direction '{d}' invalid. Allowed values are 'AscNullsFirst', 'AscNullsLast', 'DescNullsFirst', 'DescNullsLast'. eg: ?order_by=field_1[AscNullsFirst],field_2[DescNullsLast],field_3"
                        ))
                    })?;
                    (&part[..i], dir)
                }
                _ => (part, Direction::AscNullsFirst),
            };
            let path: Vec<String> = field.split('.').map(str::to_string).collect();
            check_path(&path, object).map_err(ApiError::bad_request)?;
            terms.push(OrderTerm { path, dir });
        }
    }
    if !terms.iter().any(|t| t.path == ["id"]) {
        terms.push(OrderTerm {
            path: vec!["id".into()],
            dir: Direction::AscNullsFirst,
        });
    }
    Ok(terms)
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Compares two sort keys under the order terms.
fn cmp_keys(a: &[Value], b: &[Value], terms: &[OrderTerm]) -> Ordering {
    for (i, t) in terms.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let nulls_first = matches!(t.dir, Direction::AscNullsFirst | Direction::DescNullsFirst);
        let desc = matches!(t.dir, Direction::DescNullsFirst | Direction::DescNullsLast);
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ if desc => cmp_values(y, x),
            _ => cmp_values(x, y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn sort_key(rec: &Value, terms: &[OrderTerm]) -> Vec<Value> {
    terms
        .iter()
        .map(|t| value_at(rec, &t.path).clone())
        .collect()
}

/// Opaque cursor: base64 of `{"<order field>":value,…,"id":…}`, keys in sort order, as the real
/// server writes it (`{"name":"3Pillar Global","id":"…"}`).
fn encode_cursor(rec: &Value, terms: &[OrderTerm]) -> String {
    let members: Vec<String> = terms
        .iter()
        .map(|t| format!("{}:{}", json!(t.path.join(".")), value_at(rec, &t.path)))
        .collect();
    b64_encode(format!("{{{}}}", members.join(",")).as_bytes())
}

fn decode_cursor(raw: &str, terms: &[OrderTerm]) -> Result<Vec<Value>, ApiError> {
    let invalid = || ApiError::bad_request(format!("Invalid cursor: {raw}"));
    let bytes = b64_decode(raw).ok_or_else(invalid)?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let obj = v.as_object().ok_or_else(invalid)?;
    if !obj.contains_key("id") {
        return Err(invalid());
    }
    Ok(terms
        .iter()
        .map(|t| obj.get(&t.path.join(".")).cloned().unwrap_or(Value::Null))
        .collect())
}

/// A computed page.
pub struct Page {
    pub records: Vec<Value>,
    pub total_count: usize,
    pub page_info: Value,
}

/// Sorts, applies cursors and the limit. `rows` are already filtered.
pub fn paginate(
    mut rows: Vec<Value>,
    q: &[(String, String)],
    terms: &[OrderTerm],
    limit: usize,
    profile: Profile,
) -> Result<Page, ApiError> {
    let after = query_get(q, "starting_after");
    let before = query_get(q, "ending_before");
    if after.is_some() && before.is_some() {
        return Err(ApiError::bad_request(
            "Cannot provide both before and after",
        ));
    }
    let mut keyed: Vec<(Vec<Value>, Value)> =
        rows.drain(..).map(|r| (sort_key(&r, terms), r)).collect();
    keyed.sort_by(|a, b| cmp_keys(&a.0, &b.0, terms));
    let total_all = keyed.len();
    // Window of candidates relative to the cursor.
    let (start, end) = match (after, before) {
        (Some(c), _) => {
            let key = decode_cursor(c, terms)?;
            let s = keyed.partition_point(|(k, _)| cmp_keys(k, &key, terms) != Ordering::Greater);
            (s, keyed.len())
        }
        (_, Some(c)) => {
            let key = decode_cursor(c, terms)?;
            let e = keyed.partition_point(|(k, _)| cmp_keys(k, &key, terms) == Ordering::Less);
            (0, e)
        }
        _ => (0, keyed.len()),
    };
    let window = end - start;
    let (from, to) = if before.is_some() {
        (end - window.min(limit), end)
    } else {
        (start, start + window.min(limit))
    };
    let page: Vec<Value> = keyed[from..to].iter().map(|(_, r)| r.clone()).collect();
    let has_next = to < keyed.len();
    let has_prev = from > 0;
    let start_cursor = page.first().map(|r| encode_cursor(r, terms));
    let end_cursor = page.last().map(|r| encode_cursor(r, terms));
    let (total_count, page_info) = match profile {
        // The Aug-2025 build counted only the rows on the cursor's side and had no
        // hasPreviousPage.
        Profile::Legacy2025 => (
            window,
            json!({"hasNextPage": if before.is_some() { has_prev } else { has_next }, "startCursor": start_cursor, "endCursor": end_cursor}),
        ),
        Profile::Current => (
            total_all,
            json!({"hasNextPage": has_next, "hasPreviousPage": has_prev, "startCursor": start_cursor, "endCursor": end_cursor}),
        ),
    };
    Ok(Page {
        records: page,
        total_count,
        page_info,
    })
}
