//! Text as the field module compares it: folded (case, accents and separators ignored) for
//! select options and booleans, compacted for column headers, and cleaned for text values.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The longest value one cell may hold, in bytes, before anything else is looked at (a JSON
/// value or a list of a thousand options fits; a stray megabyte does not).
pub const MAX_CELL_BYTES: usize = 100_000;

/// Text compared loosely: lower case, accents and other combining marks removed (compatibility
/// decomposition, so `Zoë` and `ﬁ` become `zoe` and `fi`, the search index's rule), `_`, `-` and
/// runs of white space made one space, control characters dropped, trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(folded(text));
    out
}

/// [`fold`] as it goes, without building the text: two texts fold alike when
/// `folded(a).eq(folded(b))`.
pub fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    let chars: Box<dyn Iterator<Item = char> + '_> = if text.is_ascii() {
        Box::new(text.chars().map(|c| c.to_ascii_lowercase()))
    } else {
        // Lower case after the decomposition too: it may give capitals (`𝒩` is an `N`).
        Box::new(
            text.nfkd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .filter(|c| !is_combining_mark(*c)),
        )
    };
    let mut started = false;
    let mut space = false;
    chars
        .filter_map(move |c| {
            if c.is_whitespace() || c == '_' || c == '-' {
                space = started;
                None
            } else if c.is_control() {
                None
            } else if space {
                space = false;
                Some([' ', c])
            } else {
                started = true;
                Some(['\0', c])
            }
        })
        .flat_map(|pair| pair.into_iter().filter(|c| *c != '\0'))
}

/// A column header (or a field's name or label) as headers are matched: folded, then without
/// the characters people put between words or parts (`First Name`, `first-name`, `FIRST_NAME`,
/// `firstName` and `Address › City`, `Address / City`, `City (address)` keep only letters and
/// digits). A byte-order mark at the start is dropped.
pub fn compact_header(header: &str) -> String {
    fold(header.trim_start_matches('\u{feff}'))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Why a text value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    ControlCharacters,
    TooLong(usize),
}

/// A text value trimmed, or `None` when empty; refused with control characters (line breaks,
/// tabs, invisible codes) or past `max_chars` characters, like the fixed fields of an intent.
pub fn clean_text(text: &str, max_chars: usize) -> Result<Option<String>, TextProblem> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextProblem::ControlCharacters);
    }
    if trimmed.len() > max_chars && trimmed.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(Some(trimmed.to_string()))
}

/// A value shown in a message: the first 40 characters, control characters escaped.
pub fn shown(value: &str) -> String {
    let value = value.trim();
    let mut out = String::new();
    for c in value.chars().take(40) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if value.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// Items of a list cell: split on commas, a value in double quotes may hold commas (and `""` for
/// a quote), white space around items is dropped, empty items are skipped. Written out instead
/// of read with the `csv` crate because people type a space after the comma (`a, "b, c"`),
/// which a CSV reader takes as the start of an unquoted value.
pub fn split_list(text: &str) -> Result<Vec<String>, ListProblem> {
    let mut items = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err(ListProblem::UnclosedQuote),
                    Some('"') if chars.next_if_eq(&'"').is_some() => item.push('"'),
                    Some('"') => break,
                    Some(c) => item.push(c),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|c| *c != ',') {
                return Err(ListProblem::TextAfterQuote);
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                item.push(c);
            }
        }
        let item = item.trim();
        if !item.is_empty() {
            items.push(item.to_string());
        }
        if chars.next().is_none() {
            return Ok(items);
        }
    }
}

/// Why a list cell could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListProblem {
    UnclosedQuote,
    TextAfterQuote,
}
