//! The `filter=` parser: bracket balance, default `and(...)` wrapping, top-level splitting,
//! leaves and the field check, each failure with the real server's 400 message (the comparator
//! list differs by profile).

use crate::config::Profile;
use crate::schema::ObjectDef;

use super::{Filter, Op, Operand};

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
