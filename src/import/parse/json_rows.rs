//! JSON rows: objects one at a time from an array (`[{…}, {…}]`) or NDJSON (`{…}\n{…}`), each
//! capped in size, with the line it starts on.

use std::io::{BufRead, BufReader, Read};

use super::super::ImportError;
use super::{truncate, Cell, Headers, Row, RowIssue};

/// JSON objects, one at a time, from an array (`[{…}, {…}]`) or NDJSON (`{…}\n{…}`).
pub struct JsonRows<R: Read> {
    reader: BufReader<R>,
    pub(super) array: bool,
    file: String,
    limit: usize,
    line: u64,
    started: bool,
    done: bool,
    number: u64,
    pub(super) headers: Headers,
    value: Vec<u8>,
}

impl<R: Read> JsonRows<R> {
    pub(super) fn new(
        reader: BufReader<R>,
        array: bool,
        file: &str,
        line: u64,
        limit: usize,
    ) -> Self {
        JsonRows {
            reader,
            array,
            file: file.to_string(),
            limit,
            line,
            started: false,
            done: false,
            number: 0,
            headers: Headers::default(),
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

    /// The decoded text reader underneath.
    pub(super) fn into_reader(self) -> R {
        self.reader.into_inner()
    }

    pub(super) fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
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
    ) -> Result<Vec<(usize, Cell)>, RowIssue> {
        let mut cells = Vec::with_capacity(map.len());
        for (key, value) in map {
            let cell = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) if text.trim().is_empty() => continue,
                serde_json::Value::String(text) => Cell::Text(text),
                serde_json::Value::Number(number) => Cell::Text(number.to_string()),
                serde_json::Value::Bool(flag) => Cell::Text(flag.to_string()),
                serde_json::Value::Array(items) if items.is_empty() => continue,
                serde_json::Value::Object(parts) if parts.is_empty() => continue,
                nested => Cell::Json(nested),
            };
            if let Some(column) = self.headers.key(&key) {
                cells.push((column, cell));
            }
        }
        Ok(cells)
    }
}

/// What a JSON value is, in words.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a true/false value",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}
