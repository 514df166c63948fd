//! Evaluating a parsed filter against a stored record: values at dotted paths, comparison by
//! the field's type (text, uuid, number, boolean, date), SQL `LIKE`, and the `deletedAt` check.

use std::cmp::Ordering;

use serde_json::Value;

use crate::schema::{FieldType, ObjectDef};
use crate::util::parse_iso_millis;

use super::{Filter, Op, Operand};

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
        FieldType::Text | FieldType::Select | FieldType::Rating | FieldType::TsVector => Kind::Text,
        FieldType::Uuid | FieldType::Relation => Kind::Uuid,
        FieldType::Number | FieldType::Numeric | FieldType::Position => Kind::Number,
        FieldType::Boolean => Kind::Boolean,
        FieldType::DateTime | FieldType::Date => Kind::Date,
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
