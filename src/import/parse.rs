//! Streaming parsers: CSV (delimiter sniffed among `,` `;` tab from the header line, quoted
//! fields with embedded newlines, CRLF), JSON arrays of objects and NDJSON, read one record at a
//! time. A record longer than the configured cap refuses the file instead of being buffered.
//! This file sniffs the format and holds the row types; `csv_rows` and `json_rows` read each.

mod csv_rows;
mod json_rows;

use std::io::{BufRead, BufReader, Read};

pub use self::csv_rows::{sniff_delimiter, CsvRows};
pub(crate) use self::json_rows::json_type;
pub use self::json_rows::JsonRows;
use std::collections::HashMap;

use super::ImportError;

/// The format of a file, sniffed from its first non-blank character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { delimiter: u8 },
    JsonArray,
    Ndjson,
}

impl Format {
    pub fn describe(self) -> String {
        match self {
            Format::Csv { delimiter: b'\t' } => "csv (tab)".to_string(),
            Format::Csv { delimiter } => format!("csv ({})", delimiter as char),
            Format::JsonArray => "json".to_string(),
            Format::Ndjson => "ndjson".to_string(),
        }
    }
}

/// A row-level problem that makes the whole row unusable (not a field validation error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub column: String,
    pub value: String,
    pub message: String,
}

/// One non-empty cell: text (a CSV cell, a JSON string, number or true/false), or a JSON list
/// or object given as it is (for list and composite fields; what it fills decides how it reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Json(serde_json::Value),
}

/// One data row: its number (from 1) and its non-empty cells by column (the index of the
/// header in [`Headers`]), or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u64,
    /// The line (from 1) the row starts on.
    pub line: u64,
    pub cells: Result<Vec<(usize, Cell)>, RowIssue>,
}

/// The columns of a file as it names them, in order: a CSV file's header line, or the keys of
/// a JSON file's objects in the order they were first met (so the list only grows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Keys met after [`MAX_JSON_KEYS`] different ones (ignored).
    pub ignored_keys: u64,
}

/// The most different keys the objects of one JSON file may use; later ones are ignored (with
/// a warning), so a file of ever-new keys cannot make each row remap the file.
pub const MAX_JSON_KEYS: usize = 1_000;

impl Headers {
    /// The headers of a CSV file (repeats kept: each is its own column).
    pub fn of(names: impl IntoIterator<Item = impl Into<String>>) -> Headers {
        Headers {
            names: names.into_iter().map(Into::into).collect(),
            index: HashMap::new(),
            ignored_keys: 0,
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The column of a JSON key, added when first met; `None` past [`MAX_JSON_KEYS`].
    pub(crate) fn key(&mut self, key: &str) -> Option<usize> {
        if let Some(&index) = self.index.get(key) {
            return Some(index);
        }
        if self.names.len() >= MAX_JSON_KEYS {
            self.ignored_keys += 1;
            return None;
        }
        let index = self.names.len();
        self.names.push(key.to_string());
        self.index.insert(key.to_string(), index);
        Some(index)
    }
}

/// The rows of a file.
pub enum Rows<R: Read> {
    Csv(Box<CsvRows<R>>),
    Json(Box<JsonRows<R>>),
}

/// Sniffs the format of decoded UTF-8 text and opens a row reader over it.
pub fn open<R: Read>(text: R, file: &str, max_record_bytes: usize) -> Result<Rows<R>, ImportError> {
    let mut reader = BufReader::with_capacity(64 * 1024, text);
    let mut skipped_lines = 0u64;
    let first = loop {
        let buf = reader.fill_buf().map_err(|e| ImportError::io(file, &e))?;
        let Some(position) = buf.iter().position(|b| !b.is_ascii_whitespace()) else {
            if buf.is_empty() {
                break None;
            }
            skipped_lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            let len = buf.len();
            reader.consume(len);
            continue;
        };
        skipped_lines += buf[..position].iter().filter(|&&b| b == b'\n').count() as u64;
        let first = buf[position];
        reader.consume(position);
        break Some(first);
    };
    match first {
        None => Err(ImportError::Empty {
            file: file.to_string(),
        }),
        Some(first @ (b'[' | b'{')) => Ok(Rows::Json(Box::new(JsonRows::new(
            reader,
            first == b'[',
            file,
            skipped_lines + 1,
            max_record_bytes,
        )))),
        Some(_) => CsvRows::new(reader, file, skipped_lines, max_record_bytes)
            .map(|rows| Rows::Csv(Box::new(rows))),
    }
}

impl<R: Read> Rows<R> {
    pub fn format(&self) -> Format {
        match self {
            Rows::Csv(rows) => Format::Csv {
                delimiter: rows.delimiter,
            },
            Rows::Json(rows) if rows.array => Format::JsonArray,
            Rows::Json(_) => Format::Ndjson,
        }
    }

    /// The columns seen so far (all of them for CSV; the keys met so far for JSON).
    pub fn headers(&self) -> &Headers {
        match self {
            Rows::Csv(rows) => &rows.headers,
            Rows::Json(rows) => &rows.headers,
        }
    }

    pub fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        match self {
            Rows::Csv(rows) => rows.next_row(),
            Rows::Json(rows) => rows.next_row(),
        }
    }

    /// The decoded text reader, to read what it counted.
    pub fn into_reader(self) -> R {
        match self {
            Rows::Csv(rows) => rows.into_reader(),
            Rows::Json(rows) => rows.into_reader(),
        }
    }
}

pub(crate) fn truncate(value: &str) -> String {
    const MAX: usize = 200;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        value.chars().take(MAX).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests;
