//! The REST `filter=` grammar (parser with the real server's 400 messages) and its evaluation
//! against stored records.
//!
//! Grammar, as implemented by Twenty's `filter-parser-utils`:
//! * parenthesis balance is checked first by counting every `(`/`)` in the raw string;
//! * a string not starting with `and(`/`or(`/`not(` is wrapped in `and(...)`;
//! * conjunction content is split on top-level commas (outside parentheses, brackets, quotes);
//! * a leaf is `field[comparator]:value`, `field` may be a dotted composite path.

use std::cmp::Ordering;

use serde_json::Value;

use crate::config::Profile;
use crate::schema::{FieldType, ObjectDef};
use crate::util::parse_iso_millis;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    In,
    ContainsAny,
    Is,
    Gt,
    Gte,
    Lt,
    Lte,
    StartsWith,
    EndsWith,
    Like,
    Ilike,
}

const LEGACY_COMPARATORS: &[&str] = &[
    "eq",
    "neq",
    "in",
    "containsAny",
    "is",
    "gt",
    "gte",
    "lt",
    "lte",
    "startsWith",
    "like",
    "ilike",
];
const CURRENT_COMPARATORS: &[&str] = &[
    "eq",
    "neq",
    "in",
    "containsAny",
    "is",
    "gt",
    "gte",
    "lt",
    "lte",
    "startsWith",
    "endsWith",
    "like",
    "ilike",
];

impl Op {
    fn parse(s: &str, profile: Profile) -> Option<Op> {
        let allowed = match profile {
            Profile::Legacy2025 => LEGACY_COMPARATORS,
            Profile::Current => CURRENT_COMPARATORS,
        };
        if !allowed.contains(&s) {
            return None;
        }
        Some(match s {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "in" => Op::In,
            "containsAny" => Op::ContainsAny,
            "is" => Op::Is,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "startsWith" => Op::StartsWith,
            "endsWith" => Op::EndsWith,
            "like" => Op::Like,
            _ => Op::Ilike,
        })
    }
}

/// Right-hand side of a leaf after formatting.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Single(String),
    List(Vec<String>),
    Null,
    NotNull,
}

/// A parsed filter tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Leaf {
        path: Vec<String>,
        op: Op,
        operand: Operand,
    },
}

/// Parses and validates a filter against an object's fields. `Err` holds the 400 message.
pub fn parse(raw: &str, object: &ObjectDef, profile: Profile) -> Result<Filter, String> {
    check_brackets(raw)?;
    let wrapped = if starts_with_conjunction(raw) {
        raw.to_string()
    } else {
        format!("and({raw})")
    };
    let f = parse_node(&wrapped, profile, 0)?;
    check_fields(&f, object)?;
    Ok(f)
}

fn check_brackets(raw: &str) -> Result<(), String> {
    let open = raw.matches('(').count() as i64;
    let close = raw.matches(')').count() as i64;
    let diff = open - close;
    if diff == 0 {
        return Ok(());
    }
    let n = diff.abs();
    let kind = if diff > 0 { "close" } else { "open" };
    let verb = if n > 1 { "s are" } else { " is" };
    Err(format!(
        "'filter' invalid. {n} {kind} bracket{verb} missing in the query"
    ))
}

fn starts_with_conjunction(s: &str) -> bool {
    ["and(", "or(", "not("].iter().any(|c| s.starts_with(c))
}

fn parse_node(s: &str, profile: Profile, depth: usize) -> Result<Filter, String> {
    if depth > 64 {
        return Err("'filter' invalid. Too many nested conjunctions".into());
    }
    for conj in ["and", "or", "not"] {
        if let Some(rest) = s.strip_prefix(conj).and_then(|r| r.strip_prefix('(')) {
            if let Some(content) = rest.strip_suffix(')') {
                if content.is_empty() {
                    break;
                }
                let parts = split_top_level(content);
                let children = parts
                    .iter()
                    .map(|p| parse_node(p, profile, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(match conj {
                    "and" => Filter::And(children),
                    "or" => Filter::Or(children),
                    _ => {
                        if children.len() != 1 {
                            return Err("'filter' invalid. 'not' conjunction should contain only 1 condition. eg: not(field[eq]:1)".into());
                        }
                        Filter::Not(Box::new(
                            children
                                .into_iter()
                                .next()
                                .unwrap_or(Filter::And(Vec::new())),
                        ))
                    }
                });
            }
        }
    }
    parse_leaf(s, profile)
}

/// Splits on commas outside parentheses, brackets and quotes.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let (mut paren, mut bracket) = (0i32, 0i32);
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => paren += 1,
                ')' => paren -= 1,
                '[' => bracket += 1,
                ']' => bracket -= 1,
                ',' if paren == 0 && bracket == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

fn strip_quotes(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

fn parse_leaf(s: &str, profile: Profile) -> Result<Filter, String> {
    let malformed = || format!("'filter' invalid for '{s}'. eg: price[gte]:10");
    // Shape check equivalent to /^(.+)\[(.+)\]:(.+)$/.
    let ok_shape = s.match_indices("]:").any(|(p, _)| {
        p + 2 < s.len()
            && s[..p]
                .char_indices()
                .any(|(i, c)| c == '[' && i >= 1 && i + 1 < p)
    });
    if !ok_shape {
        return Err(malformed());
    }
    let lb = s.find('[').ok_or_else(malformed)?;
    let rb = s.find(']').ok_or_else(malformed)?;
    if rb < lb || s.get(rb + 1..rb + 2) != Some(":") {
        return Err(malformed());
    }
    let field = &s[..lb];
    let comparator = &s[lb + 1..rb];
    let value = &s[rb + 2..];
    let op = Op::parse(comparator, profile).ok_or_else(|| {
        let list = match profile {
            Profile::Legacy2025 => LEGACY_COMPARATORS,
            Profile::Current => CURRENT_COMPARATORS,
        };
        format!(
            "'filter' invalid for '{s}', comparator {comparator} not in {}",
            list.join(", ")
        )
    })?;
    let operand = match op {
        Op::In | Op::ContainsAny => {
            let v = value.trim();
            if !(v.starts_with('[') && v.ends_with(']') && v.len() >= 2) {
                return Err(format!(
                    "'filter' invalid for '{comparator}' operator. Received '{value}' but array value expected eg: 'field[{comparator}]:[value_1,value_2]'"
                ));
            }
            let inner = &v[1..v.len() - 1];
            if inner.trim().is_empty() {
                Operand::List(Vec::new())
            } else {
                Operand::List(
                    split_top_level(inner)
                        .iter()
                        .map(|i| strip_quotes(i).to_string())
                        .collect(),
                )
            }
        }
        Op::Is => match strip_quotes(value) {
            "NULL" => Operand::Null,
            "NOT_NULL" => Operand::NotNull,
            other => {
                return Err(format!(
                    "'filter' invalid for 'is' operator. Received '{other}' but 'NULL' or 'NOT_NULL' expected"
                ))
            }
        },
        _ => Operand::Single(strip_quotes(value).to_string()),
    };
    Ok(Filter::Leaf {
        path: field.split('.').map(str::to_string).collect(),
        op,
        operand,
    })
}

fn check_fields(f: &Filter, object: &ObjectDef) -> Result<(), String> {
    match f {
        Filter::And(c) | Filter::Or(c) => c.iter().try_for_each(|c| check_fields(c, object)),
        Filter::Not(c) => check_fields(c, object),
        Filter::Leaf { path, .. } => check_path(path, object),
    }
}

/// Checks a (possibly dotted) field path; `Err` is the real server's message.
pub fn check_path(path: &[String], object: &ObjectDef) -> Result<(), String> {
    let singular = object.kind.singular();
    let top = path.first().map(String::as_str).unwrap_or("");
    let field = object
        .field(top)
        .ok_or_else(|| format!("field '{top}' does not exist in '{singular}' object"))?;
    match path.len() {
        1 => Ok(()),
        2 if field.ftype.subfields().contains(&path[1].as_str()) => Ok(()),
        _ => Err(format!(
            "field '{}' does not exist in '{singular}' object",
            path.join(".")
        )),
    }
}

/// Whether the tree mentions `field` anywhere (used for the `deletedAt` switch).
pub fn mentions_field(f: &Filter, field: &str) -> bool {
    match f {
        Filter::And(c) | Filter::Or(c) => c.iter().any(|c| mentions_field(c, field)),
        Filter::Not(c) => mentions_field(c, field),
        Filter::Leaf { path, .. } => path.first().map(String::as_str) == Some(field),
    }
}

/// Value at a dotted path.
pub fn value_at<'a>(record: &'a Value, path: &[String]) -> &'a Value {
    let mut v = record;
    for p in path {
        v = v.get(p).unwrap_or(&Value::Null);
    }
    v
}

/// How values of a path compare.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Uuid,
    Number,
    Boolean,
    Date,
    Other,
}

fn kind_of(path: &[String], object: &ObjectDef) -> Kind {
    let Some(f) = path.first().and_then(|p| object.field(p)) else {
        return Kind::Other;
    };
    if path.len() == 2 {
        return match path[1].as_str() {
            "amountMicros" | "addressLat" | "addressLng" => Kind::Number,
            "additionalEmails" | "secondaryLinks" | "additionalPhones" | "context" => Kind::Other,
            "workspaceMemberId" => Kind::Uuid,
            _ => Kind::Text,
        };
    }
    match f.ftype {
        FieldType::Text | FieldType::Select | FieldType::TsVector => Kind::Text,
        FieldType::Uuid | FieldType::Relation => Kind::Uuid,
        FieldType::Number | FieldType::Position => Kind::Number,
        FieldType::Boolean => Kind::Boolean,
        FieldType::DateTime => Kind::Date,
        _ => Kind::Other,
    }
}

/// Compares a stored value with a filter literal. `None` = not comparable (no match).
fn compare(stored: &Value, literal: &str, kind: Kind) -> Option<Ordering> {
    match (kind, stored) {
        (_, Value::Null) => None,
        (Kind::Number, v) | (Kind::Other, v @ Value::Number(_)) => {
            let a = v.as_f64()?;
            let b: f64 = literal.trim().parse().ok()?;
            a.partial_cmp(&b)
        }
        (Kind::Boolean, Value::Bool(b)) => match literal {
            "true" => Some(b.cmp(&true)),
            "false" => Some(b.cmp(&false)),
            _ => None,
        },
        (Kind::Date, Value::String(s)) => {
            let a = parse_iso_millis(s)?;
            let b = parse_iso_millis(literal)?;
            Some(a.cmp(&b))
        }
        (Kind::Uuid, Value::String(s)) => Some(s.to_lowercase().cmp(&literal.to_lowercase())),
        (_, Value::String(s)) => Some(s.as_str().cmp(literal)),
        (_, Value::Bool(b)) => Some(b.to_string().as_str().cmp(literal)),
        _ => None,
    }
}

/// SQL `LIKE` with `%` and `_` wildcards and `\` escapes.
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            text.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    // Iterative matcher with backtracking on the last '%'.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '%' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '_' => {
                    ti += 1;
                    pi += 1;
                    continue;
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    ti += 1;
                    pi += 2;
                    continue;
                }
                c if c == t[ti] && c != '\\' => {
                    ti += 1;
                    pi += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

/// Evaluates a parsed filter against a record.
pub fn matches(f: &Filter, record: &Value, object: &ObjectDef) -> bool {
    match f {
        Filter::And(c) => c.iter().all(|c| matches(c, record, object)),
        Filter::Or(c) => c.iter().any(|c| matches(c, record, object)),
        Filter::Not(c) => !matches(c, record, object),
        Filter::Leaf { path, op, operand } => {
            let v = value_at(record, path);
            let kind = kind_of(path, object);
            match (op, operand) {
                (Op::Is, Operand::Null) => v.is_null(),
                (Op::Is, Operand::NotNull) => !v.is_null(),
                (Op::In, Operand::List(items)) => items
                    .iter()
                    .any(|i| compare(v, i, kind) == Some(Ordering::Equal)),
                (Op::ContainsAny, Operand::List(items)) => match v {
                    Value::Array(arr) => arr.iter().any(|e| {
                        items
                            .iter()
                            .any(|i| compare(e, i, Kind::Text) == Some(Ordering::Equal))
                    }),
                    _ => false,
                },
                (_, Operand::Single(lit)) => {
                    let text = v.as_str();
                    match op {
                        Op::Eq => compare(v, lit, kind) == Some(Ordering::Equal),
                        Op::Neq => matches!(
                            compare(v, lit, kind),
                            Some(Ordering::Less | Ordering::Greater)
                        ),
                        Op::Gt => compare(v, lit, kind) == Some(Ordering::Greater),
                        Op::Gte => matches!(
                            compare(v, lit, kind),
                            Some(Ordering::Greater | Ordering::Equal)
                        ),
                        Op::Lt => compare(v, lit, kind) == Some(Ordering::Less),
                        Op::Lte => matches!(
                            compare(v, lit, kind),
                            Some(Ordering::Less | Ordering::Equal)
                        ),
                        Op::Like => text.is_some_and(|t| like(t, lit, false)),
                        Op::Ilike => text.is_some_and(|t| like(t, lit, true)),
                        Op::StartsWith => text.is_some_and(|t| t.starts_with(lit.as_str())),
                        Op::EndsWith => text.is_some_and(|t| t.ends_with(lit.as_str())),
                        _ => false,
                    }
                }
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ObjectKind;
    use serde_json::json;

    fn person() -> ObjectDef {
        ObjectDef::standard(ObjectKind::People, Profile::Legacy2025)
    }

    fn p(s: &str) -> Result<Filter, String> {
        parse(s, &person(), Profile::Legacy2025)
    }

    fn leaf(path: &str, op: Op, operand: Operand) -> Filter {
        Filter::Leaf {
            path: path.split('.').map(str::to_string).collect(),
            op,
            operand,
        }
    }

    #[test]
    fn parses_leaf_and_default_conjunction() {
        assert_eq!(
            p("emails.primaryEmail[eq]:\"ada@example.com\"").unwrap(),
            Filter::And(vec![leaf(
                "emails.primaryEmail",
                Op::Eq,
                Operand::Single("ada@example.com".into())
            )])
        );
        assert_eq!(
            p("city[eq]:London,jobTitle[neq]:'x'").unwrap(),
            Filter::And(vec![
                leaf("city", Op::Eq, Operand::Single("London".into())),
                leaf("jobTitle", Op::Neq, Operand::Single("x".into())),
            ])
        );
    }

    #[test]
    fn parses_nesting_in_and_is() {
        let f =
            p("or(name.firstName[in]:[\"Ada\",\"James, Jr\"],not(companyId[is]:NULL))").unwrap();
        assert_eq!(
            f,
            Filter::Or(vec![
                leaf(
                    "name.firstName",
                    Op::In,
                    Operand::List(vec!["Ada".into(), "James, Jr".into()])
                ),
                Filter::Not(Box::new(leaf("companyId", Op::Is, Operand::Null))),
            ])
        );
        assert!(mentions_field(
            &p("or(deletedAt[is]:NULL,deletedAt[is]:NOT_NULL)").unwrap(),
            "deletedAt"
        ));
        assert!(!mentions_field(&f, "deletedAt"));
    }

    #[test]
    fn real_error_messages() {
        assert_eq!(
            p("foo[eq]:1").unwrap_err(),
            "field 'foo' does not exist in 'person' object"
        );
        assert_eq!(
            p("name[xx]:\"a\"").unwrap_err(),
            "'filter' invalid for 'name[xx]:\"a\"', comparator xx not in eq, neq, in, containsAny, is, gt, gte, lt, lte, startsWith, like, ilike"
        );
        assert_eq!(
            p("name").unwrap_err(),
            "'filter' invalid for 'name'. eg: price[gte]:10"
        );
        assert_eq!(
            p("name[eq]").unwrap_err(),
            "'filter' invalid for 'name[eq]'. eg: price[gte]:10"
        );
        assert_eq!(
            p("and(name[eq]:\"a\"").unwrap_err(),
            "'filter' invalid. 1 close bracket is missing in the query"
        );
        assert_eq!(
            p("city[eq]:a))").unwrap_err(),
            "'filter' invalid. 2 open brackets are missing in the query"
        );
        assert!(p("not(city[eq]:a,city[eq]:b)")
            .unwrap_err()
            .contains("'not' conjunction should contain only 1 condition"));
        assert!(p("city[in]:a,b")
            .unwrap_err()
            .starts_with("'filter' invalid for 'in' operator. Received 'a'"));
        assert_eq!(
            p("emails.nope[eq]:1").unwrap_err(),
            "field 'emails.nope' does not exist in 'person' object"
        );
        // endsWith only exists on newer builds.
        assert!(p("city[endsWith]:x").is_err());
        assert!(parse("city[endsWith]:x", &person(), Profile::Current).is_ok());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for s in [
            "",
            "[",
            "]:",
            "[]:",
            "a[]:",
            "[eq]:x",
            "a[eq]:",
            "and()",
            "or(,)",
            "not()",
            "((((",
            "a[eq]:\"",
            "a[in]:[",
            "a[in]:]",
            "é[eq]:ü",
            "and(and(and(a[eq]:1)))",
            ",,,",
            "a]b[eq]:1",
            "city[eq]:\"unterminated,x[eq]:1",
        ] {
            let _ = p(s);
        }
        let deep = format!("{}city[eq]:1{}", "and(".repeat(200), ")".repeat(200));
        assert!(p(&deep).is_err());
    }

    #[test]
    fn evaluation() {
        let obj = person();
        let rec = json!({
            "name": {"firstName": "Ada", "lastName": "Lovelace"},
            "emails": {"primaryEmail": "ada@example.com", "additionalEmails": ["a@b.c"]},
            "city": "London", "companyId": null, "jobTitle": "",
            "createdAt": "2024-05-01T10:00:00.000Z", "position": 3, "deletedAt": null
        });
        let m = |s: &str| matches(&parse(s, &obj, Profile::Current).unwrap(), &rec, &obj);
        assert!(m("emails.primaryEmail[eq]:ada@example.com"));
        assert!(!m("emails.primaryEmail[eq]:ADA@example.com"));
        assert!(m("name.lastName[ilike]:\"%LOVE%\""));
        assert!(!m("name.lastName[like]:\"%LOVE%\""));
        assert!(m("name.firstName[like]:A_a"));
        assert!(m("city[startsWith]:Lon"));
        assert!(m("city[endsWith]:don"));
        assert!(m("companyId[is]:NULL"));
        assert!(!m("companyId[is]:NOT_NULL"));
        assert!(m("jobTitle[is]:NOT_NULL"));
        assert!(m("createdAt[gte]:\"2024-01-01\""));
        assert!(!m("createdAt[lt]:2024-01-01"));
        assert!(m("position[gt]:2"));
        assert!(!m("position[gte]:abc"));
        assert!(m("or(city[eq]:Paris,city[eq]:London)"));
        assert!(!m("and(city[eq]:Paris,city[eq]:London)"));
        assert!(m("not(city[eq]:Paris)"));
        assert!(!m("companyId[neq]:x"), "NULL never matches neq");
        assert!(m("city[in]:[\"Paris\",'London']"));
        assert!(!m("city[in]:[]"));
        assert!(m("emails.additionalEmails[containsAny]:[\"a@b.c\"]"));
        assert!(m("deletedAt[is]:NULL"));
    }

    #[test]
    fn like_matcher() {
        assert!(like("hello", "h%o", false));
        assert!(like("hello", "%", false));
        assert!(like("", "%", false));
        assert!(!like("hello", "h%x", false));
        assert!(like("50%", "50\\%", false));
        assert!(like("abcabc", "%abc", false));
    }
}
