//! The REST `filter=` grammar (parser with the real server's 400 messages) and its evaluation
//! against stored records.
//!
//! Grammar, as implemented by Twenty's `filter-parser-utils`:
//! * parenthesis balance is checked first by counting every `(`/`)` in the raw string;
//! * a string not starting with `and(`/`or(`/`not(` is wrapped in `and(...)`;
//! * conjunction content is split on top-level commas (outside parentheses, brackets, quotes);
//! * a leaf is `field[comparator]:value`, `field` may be a dotted composite path.
//!
//! Here: the parsed tree; the parser lives in `grammar`, the evaluation in `evaluate`.

mod evaluate;
mod grammar;
#[cfg(test)]
mod tests;

pub use evaluate::{like, matches, mentions_field, value_at};
pub use grammar::{check_path, parse};

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
