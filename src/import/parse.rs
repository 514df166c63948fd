//! Streaming parsers: CSV (delimiter sniffed among `,` `;` tab from the header line, quoted
//! fields with embedded newlines, CRLF), JSON arrays of objects and NDJSON, read one record at a
//! time. A record longer than the configured cap refuses the file instead of being buffered.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::columns::{Column, ColumnSet};
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

/// One data row: its number (from 1) and its recognised cells, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u64,
    /// The line (from 1) the row starts on.
    pub line: u64,
    pub cells: Result<Vec<(Column, String)>, RowIssue>,
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
    pub fn columns(&self) -> &ColumnSet {
        match self {
            Rows::Csv(rows) => &rows.columns,
            Rows::Json(rows) => &rows.columns,
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
            Rows::Csv(rows) => rows
                .reader
                .into_inner()
                .into_inner()
                .into_inner()
                .1
                .into_inner(),
            Rows::Json(rows) => rows.reader.into_inner(),
        }
    }
}

/// Why the guard stopped reading.
#[derive(Debug)]
enum GuardError {
    TooLong { line: u64, open_quote: Option<u64> },
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for GuardError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Watches the bytes on their way into the CSV reader: tracks quoting like the CSV parser does,
/// counts lines, and fails before one record can grow past the cap.
struct Guard<R> {
    inner: R,
    delimiter: u8,
    limit: usize,
    state: QuoteState,
    record_bytes: usize,
    record_line: u64,
    line: u64,
    quote_line: u64,
    /// The first line of each record read ahead of the parser, oldest first.
    record_starts: std::collections::VecDeque<u64>,
    at_record_start: bool,
}

impl<R: Read> Guard<R> {
    /// The first line of the oldest record not yet taken (records are taken in order).
    fn take_record_line(&mut self) -> u64 {
        self.record_starts.pop_front().unwrap_or(self.line)
    }

    fn open_quote(&self) -> Option<u64> {
        (self.state == QuoteState::Quoted).then_some(self.quote_line)
    }

    fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            let ends_record = match self.state {
                QuoteState::FieldStart | QuoteState::Unquoted | QuoteState::QuoteInQuoted
                    if byte == b'\n' || byte == b'\r' =>
                {
                    true
                }
                QuoteState::Quoted => {
                    if byte == b'"' {
                        self.state = QuoteState::QuoteInQuoted;
                    }
                    false
                }
                QuoteState::FieldStart if byte == b'"' => {
                    self.state = QuoteState::Quoted;
                    self.quote_line = self.line;
                    false
                }
                QuoteState::QuoteInQuoted if byte == b'"' => {
                    self.state = QuoteState::Quoted;
                    false
                }
                _ if byte == self.delimiter => {
                    self.state = QuoteState::FieldStart;
                    false
                }
                _ => {
                    self.state = QuoteState::Unquoted;
                    false
                }
            };
            if self.at_record_start && byte != b'\n' && byte != b'\r' {
                self.record_starts.push_back(self.line);
                self.at_record_start = false;
            }
            if byte == b'\n' {
                self.line += 1;
            }
            if ends_record {
                self.at_record_start = true;
                self.state = QuoteState::FieldStart;
                self.record_bytes = 0;
                self.record_line = self.line;
            } else {
                self.record_bytes += 1;
                if self.record_bytes > self.limit {
                    return Err(io::Error::other(GuardError::TooLong {
                        line: self.record_line,
                        open_quote: self.open_quote(),
                    }));
                }
            }
        }
        Ok(n)
    }
}

/// The header line (read by hand to sniff the delimiter) followed by the rest of the text.
type HeaderThenRest<R> = io::Chain<Cursor<Vec<u8>>, BufReader<R>>;

/// CSV rows, read with the `csv` crate through a [`Guard`].
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Guard<HeaderThenRest<R>>>,
    delimiter: u8,
    file: String,
    limit: usize,
    line_offset: u64,
    header_columns: Vec<Option<Column>>,
    header_len: usize,
    columns: ColumnSet,
    number: u64,
    record: csv::StringRecord,
}

/// Counts the candidate delimiters outside quotes; the most frequent wins (comma on a tie).
pub fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &byte in header {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for index in 1..3 {
        if counts[index] > counts[best] {
            best = index;
        }
    }
    candidates[best]
}

impl<R: Read> CsvRows<R> {
    fn new(
        mut reader: BufReader<R>,
        file: &str,
        skipped_lines: u64,
        limit: usize,
    ) -> Result<CsvRows<R>, ImportError> {
        // The header line, read by hand (capped) to sniff the delimiter.
        let mut header = Vec::new();
        let mut quoted = false;
        loop {
            let buf = reader.fill_buf().map_err(|e| ImportError::io(file, &e))?;
            if buf.is_empty() {
                break;
            }
            let mut end = None;
            for (index, &byte) in buf.iter().enumerate() {
                if byte == b'"' {
                    quoted = !quoted;
                } else if byte == b'\n' && !quoted {
                    end = Some(index + 1);
                    break;
                }
            }
            let take = end.unwrap_or(buf.len());
            if header.len() + take > limit {
                return Err(ImportError::RecordTooLong {
                    file: file.to_string(),
                    line: skipped_lines + 1,
                    limit,
                });
            }
            header.extend_from_slice(&buf[..take]);
            reader.consume(take);
            if end.is_some() {
                break;
            }
        }
        let delimiter = sniff_delimiter(&header);
        let guard = Guard {
            inner: Cursor::new(header).chain(reader),
            delimiter,
            limit,
            state: QuoteState::FieldStart,
            record_bytes: 0,
            record_line: 1,
            line: 1,
            quote_line: 1,
            record_starts: std::collections::VecDeque::new(),
            at_record_start: true,
        };
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(guard);
        let headers = csv
            .headers()
            .map_err(|e| csv_error(file, skipped_lines, limit, e))?
            .clone();
        csv.get_mut().take_record_line();
        let mut columns = ColumnSet::default();
        let header_columns = headers
            .iter()
            .map(|header| columns.classify(header))
            .collect();
        Ok(CsvRows {
            reader: csv,
            delimiter,
            file: file.to_string(),
            limit,
            line_offset: skipped_lines,
            header_columns,
            header_len: headers.len(),
            columns,
            number: 0,
            record: csv::StringRecord::new(),
        })
    }

    fn csv_error(&self, error: csv::Error) -> ImportError {
        csv_error(&self.file, self.line_offset, self.limit, error)
    }

    fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        loop {
            let more = match self.reader.read_record(&mut self.record) {
                Ok(more) => more,
                Err(error) => return Err(self.csv_error(error)),
            };
            if !more {
                if let Some(line) = self.reader.get_ref().open_quote() {
                    return Err(ImportError::UnclosedQuote {
                        file: self.file.clone(),
                        line: line + self.line_offset,
                    });
                }
                return Ok(None);
            }
            self.number += 1;
            let line = self.reader.get_mut().take_record_line() + self.line_offset;
            if self.record.iter().all(|value| value.trim().is_empty()) {
                // A blank line or a row of empty cells (spreadsheets write these): not data.
                self.number -= 1;
                continue;
            }
            let len = self.record.len();
            let extra_all_empty = len > self.header_len
                && self
                    .record
                    .iter()
                    .skip(self.header_len)
                    .all(|v| v.trim().is_empty());
            if len != self.header_len && !extra_all_empty {
                let delimiter = match self.delimiter {
                    b'\t' => "tab".to_string(),
                    other => format!("'{}'", other as char),
                };
                return Ok(Some(Row {
                    number: self.number,
                    line,
                    cells: Err(RowIssue {
                        column: String::new(),
                        value: truncate(&self.record.iter().collect::<Vec<_>>().join(" | ")),
                        message: format!(
                            "line {line} has {len} values but the header has {} columns (the file's delimiter is {delimiter}); check the delimiter and the quotes on this line",
                            self.header_len
                        ),
                    }),
                }));
            }
            let cells = self
                .record
                .iter()
                .zip(&self.header_columns)
                .filter_map(|(value, column)| Some(((*column)?, value.to_string())))
                .collect();
            return Ok(Some(Row {
                number: self.number,
                line,
                cells: Ok(cells),
            }));
        }
    }
}

fn csv_error(file: &str, line_offset: u64, limit: usize, error: csv::Error) -> ImportError {
    let file = file.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(io) => {
            if let Some(GuardError::TooLong { line, open_quote }) =
                io.get_ref().and_then(|e| e.downcast_ref::<GuardError>())
            {
                return match open_quote {
                    Some(quote) => ImportError::UnclosedQuote {
                        file,
                        line: quote + line_offset,
                    },
                    None => ImportError::RecordTooLong {
                        file,
                        line: line + line_offset,
                        limit,
                    },
                };
            }
            ImportError::io(&file, &io)
        }
        // The text was decoded to UTF-8 or validated before: it changed under us.
        csv::ErrorKind::Utf8 { .. } => ImportError::Changed { file },
        other => ImportError::Unreadable {
            file,
            detail: format!("{other:?}"),
        },
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

/// JSON objects, one at a time, from an array (`[{…}, {…}]`) or NDJSON (`{…}\n{…}`).
pub struct JsonRows<R: Read> {
    reader: BufReader<R>,
    array: bool,
    file: String,
    limit: usize,
    line: u64,
    started: bool,
    done: bool,
    number: u64,
    columns: ColumnSet,
    value: Vec<u8>,
}

impl<R: Read> JsonRows<R> {
    fn new(reader: BufReader<R>, array: bool, file: &str, line: u64, limit: usize) -> Self {
        JsonRows {
            reader,
            array,
            file: file.to_string(),
            limit,
            line,
            started: false,
            done: false,
            number: 0,
            columns: ColumnSet::default(),
            value: Vec::new(),
        }
    }

    fn malformed(&self, line: u64, detail: impl Into<String>) -> ImportError {
        ImportError::MalformedJson {
            file: self.file.clone(),
            line,
            detail: detail.into(),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, ImportError> {
        let buf = self
            .reader
            .fill_buf()
            .map_err(|e| ImportError::io(&self.file, &e))?;
        Ok(buf.first().copied())
    }

    fn bump(&mut self, byte: u8) {
        if byte == b'\n' {
            self.line += 1;
        }
        self.reader.consume(1);
    }

    /// Skips whitespace; returns the next byte without consuming it.
    fn skip_ws(&mut self) -> Result<Option<u8>, ImportError> {
        loop {
            match self.peek()? {
                Some(byte) if byte.is_ascii_whitespace() => self.bump(byte),
                other => return Ok(other),
            }
        }
    }

    /// Reads one JSON value's bytes into `self.value` (structure only; serde_json checks it).
    fn read_value(&mut self) -> Result<(), ImportError> {
        self.value.clear();
        let start_line = self.line;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let Some(byte) = self.peek()? else {
                if depth > 0 || in_string {
                    return Err(self.malformed(
                        start_line,
                        "the file ends inside the value that starts on this line",
                    ));
                }
                return Ok(());
            };
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => return Ok(()),
                    b'}' | b']' => depth -= 1,
                    b',' if depth == 0 => return Ok(()),
                    _ if depth == 0 && byte.is_ascii_whitespace() => return Ok(()),
                    _ => {}
                }
            }
            self.value.push(byte);
            self.bump(byte);
            if self.value.len() > self.limit {
                return Err(ImportError::RecordTooLong {
                    file: self.file.clone(),
                    line: start_line,
                    limit: self.limit,
                });
            }
            if depth == 0 && !in_string {
                return Ok(());
            }
        }
    }

    fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        if self.done {
            return Ok(None);
        }
        if self.array {
            if !self.started {
                self.started = true;
                match self.skip_ws()? {
                    Some(b'[') => self.bump(b'['),
                    _ => return Err(self.malformed(self.line, "expected [ to start the list")),
                }
                if self.skip_ws()? == Some(b',') {
                    return Err(self.malformed(self.line, "a comma before the first value"));
                }
            } else {
                match self.skip_ws()? {
                    Some(b',') => {
                        self.bump(b',');
                    }
                    Some(b']') => {}
                    None => {
                        return Err(self.malformed(self.line, "the list is never closed with ]"))
                    }
                    Some(other) => {
                        return Err(self.malformed(
                            self.line,
                            format!("expected , or ] between values, found '{}'", other as char),
                        ))
                    }
                }
            }
            match self.skip_ws()? {
                Some(b']') => {
                    self.bump(b']');
                    if self.skip_ws()?.is_some() {
                        return Err(self.malformed(self.line, "text after the closing ]"));
                    }
                    self.done = true;
                    return Ok(None);
                }
                None => return Err(self.malformed(self.line, "the list is never closed with ]")),
                Some(_) => {}
            }
        } else if self.skip_ws()?.is_none() {
            self.done = true;
            return Ok(None);
        }
        let line = self.line;
        self.read_value()?;
        self.number += 1;
        let value: serde_json::Value = serde_json::from_slice(&self.value)
            .map_err(|e| self.malformed(line + e.line().saturating_sub(1) as u64, e.to_string()))?;
        let cells = match value {
            serde_json::Value::Object(map) => self.cells(map),
            other => Err(RowIssue {
                column: String::new(),
                value: truncate(&other.to_string()),
                message: format!(
                    "is {}, not an object with keys such as external_id and name",
                    json_type(&other)
                ),
            }),
        };
        Ok(Some(Row {
            number: self.number,
            line,
            cells,
        }))
    }

    fn cells(
        &mut self,
        map: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<(Column, String)>, RowIssue> {
        let mut cells = Vec::with_capacity(map.len());
        for (key, value) in map {
            let Some(column) = self.columns.classify(&key) else {
                continue;
            };
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text,
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                other => {
                    return Err(RowIssue {
                        column: key,
                        value: truncate(&other.to_string()),
                        message: format!("holds {}; expected text or a number", json_type(&other)),
                    })
                }
            };
            cells.push((column, text));
        }
        Ok(cells)
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a true/false value",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
