//! Values chosen from a fixed set: booleans (`yes/no`, `true/false`, `1/0`, `x`), select options
//! matched by value or label ignoring case and accents, and ratings (`RATING_3`, `3`, `★★★`).

use super::model::FieldOption;
use super::text::{fold, folded};

const TRUE_WORDS: &[&str] = &["yes", "y", "true", "t", "1", "x", "on", "✓", "✔"];
const FALSE_WORDS: &[&str] = &["no", "n", "false", "f", "0", "off"];

/// A boolean cell, compared folded; `None` when it is neither (an empty cell never gets here).
pub fn parse_boolean(text: &str) -> Option<bool> {
    let folded = fold(text);
    if TRUE_WORDS.contains(&folded.as_str()) {
        Some(true)
    } else if FALSE_WORDS.contains(&folded.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// The value of the option `text` names: its exact value first, then its value or its label
/// compared folded (case, accents, spaces, `_` and `-` ignored, so `in progress` names
/// `IN_PROGRESS` and `Categorie` names `Catégorie`). `Err` holds the labels of the options it
/// could mean when it names more than one, and nothing when it names none.
pub fn match_options(options: &[FieldOption], text: &str) -> Result<String, Vec<String>> {
    let text = text.trim();
    if let Some(option) = options.iter().find(|o| o.value == text) {
        return Ok(option.value.clone());
    }
    let wanted = fold(text);
    let by = |key: fn(&FieldOption) -> &str| -> Vec<&FieldOption> {
        options
            .iter()
            .filter(|o| folded(key(o)).eq(wanted.chars()))
            .collect()
    };
    for matches in [by(|o| o.value.as_str()), by(|o| o.label.as_str())] {
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok(one.value.clone()),
            several => return Err(several.iter().map(|o| o.label.clone()).collect()),
        }
    }
    Err(Vec::new())
}

/// The rating `text` gives: an option's value or label (`RATING_3`, `3` when so labelled), a
/// position among the options from 1 (`3` is the third), or that many stars (`★★★`).
pub fn match_rating(options: &[FieldOption], text: &str) -> Option<String> {
    if let Ok(value) = match_options(options, text) {
        return Some(value);
    }
    let text = text.trim();
    let position = if !text.is_empty() && text.chars().all(|c| c == '★' || c == '⭐') {
        text.chars().count()
    } else {
        text.parse::<usize>().ok()?
    };
    options
        .get(position.checked_sub(1)?)
        .map(|option| option.value.clone())
}
