//! CSV rows: the header line read by hand (capped) to sniff the delimiter among `,` `;` tab,
//! then the `csv` crate through a guard that refuses a record longer than the cap (or a quote
//! never closed) instead of buffering it.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::super::ImportError;
use super::{truncate, Cell, Headers, Row, RowIssue};

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

/// CSV rows, read with the `csv` crate through a `Guard` that caps each record.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Guard<HeaderThenRest<R>>>,
    pub(super) delimiter: u8,
    file: String,
    limit: usize,
    line_offset: u64,
    header_len: usize,
    pub(super) headers: Headers,
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
    pub(super) fn new(
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
        Ok(CsvRows {
            reader: csv,
            delimiter,
            file: file.to_string(),
            limit,
            line_offset: skipped_lines,
            header_len: headers.len(),
            headers: Headers::of(headers.iter()),
            number: 0,
            record: csv::StringRecord::new(),
        })
    }

    fn csv_error(&self, error: csv::Error) -> ImportError {
        csv_error(&self.file, self.line_offset, self.limit, error)
    }

    /// The decoded text reader underneath.
    pub(super) fn into_reader(self) -> R {
        self.reader
            .into_inner()
            .into_inner()
            .into_inner()
            .1
            .into_inner()
    }

    pub(super) fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
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
                .take(self.header_len)
                .enumerate()
                .filter(|(_, value)| !value.trim().is_empty())
                .map(|(column, value)| (column, Cell::Text(value.to_string())))
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
