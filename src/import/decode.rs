//! Bytes to text: recognising the encoding (UTF-8 with or without BOM, UTF-16 with BOM, else
//! Windows-1252 with a warning), refusing binary files, hashing the content, and decoding to
//! UTF-8 as a stream so memory never depends on the file size.

use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// How a file's bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8WithBom,
    Utf16Le,
    Utf16Be,
    /// Not valid UTF-8: read as Windows-1252 (a superset of Latin-1), with a warning.
    Windows1252,
}

impl TextEncoding {
    fn bom_len(self) -> usize {
        match self {
            TextEncoding::Utf8 | TextEncoding::Windows1252 => 0,
            TextEncoding::Utf8WithBom => 3,
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8WithBom => "UTF-8 (with BOM)",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// What the first pass over a file found.
#[derive(Debug, Clone)]
pub struct Scan {
    /// BLAKE3 of every byte, hex.
    pub hash: String,
    pub size: u64,
    pub encoding: TextEncoding,
    /// For Windows-1252 files: the line (from 1) of the first byte that is not UTF-8.
    pub first_non_utf8_line: Option<u64>,
}

/// Why a file is not text we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotText {
    Empty,
    /// Binary content; the text says what it looks like.
    Binary(String),
}

/// Hashes and counts the bytes read through it, reporting progress.
pub struct HashingReader<'p, R> {
    inner: R,
    hasher: blake3::Hasher,
    bytes: u64,
    progress: Option<&'p (dyn Fn(u64) + Send + Sync)>,
}

impl<'p, R: Read> HashingReader<'p, R> {
    pub fn new(inner: R, progress: Option<&'p (dyn Fn(u64) + Send + Sync)>) -> Self {
        HashingReader {
            inner,
            hasher: blake3::Hasher::new(),
            bytes: 0,
            progress,
        }
    }

    pub fn hash_hex(&self) -> String {
        self.hasher.finalize().to_hex().to_string()
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        if let Some(progress) = self.progress {
            progress(n as u64);
        }
        Ok(n)
    }
}

/// What binary signatures look like, for a helpful refusal.
fn binary_signature(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a ZIP archive or an Excel .xlsx workbook; save it as CSV (UTF-8) first",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Excel .xls or Office file; save it as CSV (UTF-8) first",
        ),
        (b"%PDF", "a PDF document; export the data as CSV or JSON"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1F\x8B", "a gzip-compressed file; decompress it first"),
    ];
    SIGNATURES
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| *what)
}

fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    controls * 10 > head.len()
}

/// Reads the whole file once: hash, size, encoding; refuses empty and binary files.
pub fn scan(
    reader: impl Read,
    progress: Option<&(dyn Fn(u64) + Send + Sync)>,
) -> io::Result<Result<Scan, NotText>> {
    let mut reader = HashingReader::new(reader, progress);
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    let mut encoding = TextEncoding::Utf8;
    // UTF-8 validation across chunk boundaries: up to 3 bytes of an unfinished character.
    let mut carry: Vec<u8> = Vec::with_capacity(4);
    let mut lines_before = 1u64;
    let mut first_non_utf8_line = None;
    loop {
        let n = read_full(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if first {
            first = false;
            if let Some(what) = binary_signature(chunk) {
                return Ok(Err(NotText::Binary(what.to_string())));
            }
            if chunk.starts_with(b"\xEF\xBB\xBF") {
                encoding = TextEncoding::Utf8WithBom;
            } else if chunk.starts_with(b"\xFF\xFE") {
                encoding = TextEncoding::Utf16Le;
            } else if chunk.starts_with(b"\xFE\xFF") {
                encoding = TextEncoding::Utf16Be;
            } else if looks_binary(&chunk[..chunk.len().min(8192)]) {
                return Ok(Err(NotText::Binary(
                    "binary data, not text (many control characters)".to_string(),
                )));
            }
            chunk = &chunk[encoding.bom_len()..];
        }
        if matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be) {
            continue;
        }
        if chunk.contains(&0) {
            return Ok(Err(NotText::Binary(
                "binary data, not text (it contains NUL bytes)".to_string(),
            )));
        }
        if first_non_utf8_line.is_none() {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => {
                    lines_before += count_newlines(&carry);
                    carry.clear();
                }
                Err(error) if error.error_len().is_none() => {
                    // An unfinished character at the end of the chunk: keep its bytes.
                    let valid = error.valid_up_to();
                    lines_before += count_newlines(&carry[..valid]);
                    carry.drain(..valid);
                    if carry.len() > 3 {
                        first_non_utf8_line = Some(lines_before);
                    }
                }
                Err(error) => {
                    let valid = error.valid_up_to();
                    first_non_utf8_line = Some(lines_before + count_newlines(&carry[..valid]));
                    carry.clear();
                }
            }
        }
    }
    if reader.bytes_read() == 0 {
        return Ok(Err(NotText::Empty));
    }
    if first_non_utf8_line.is_none() && !carry.is_empty() {
        // The file ends in the middle of a character.
        first_non_utf8_line = Some(lines_before);
    }
    if first_non_utf8_line.is_some() {
        encoding = TextEncoding::Windows1252;
    }
    Ok(Ok(Scan {
        hash: reader.hash_hex(),
        size: reader.bytes_read(),
        encoding,
        first_non_utf8_line,
    }))
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Reads until `buf` is full or the input ends.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Turns raw bytes in `encoding` into UTF-8, skipping the byte-order mark.
pub fn text_reader<'a, R: Read + 'a>(raw: R, encoding: TextEncoding) -> DecodingReader<R> {
    let encoding_rs: Option<&'static Encoding> = match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8WithBom => None,
        TextEncoding::Utf16Le => Some(UTF_16LE),
        TextEncoding::Utf16Be => Some(UTF_16BE),
        TextEncoding::Windows1252 => Some(WINDOWS_1252),
    };
    DecodingReader {
        inner: raw,
        decoder: encoding_rs.map(Encoding::new_decoder_without_bom_handling),
        skip: encoding.bom_len(),
        input: vec![0u8; 32 * 1024],
        input_start: 0,
        input_end: 0,
        output: vec![0u8; 96 * 1024],
        output_start: 0,
        output_end: 0,
        eof: false,
        finished: false,
        replaced: false,
    }
}

/// A streaming decoder to UTF-8 (a pass-through for UTF-8 input).
pub struct DecodingReader<R> {
    inner: R,
    decoder: Option<Decoder>,
    skip: usize,
    input: Vec<u8>,
    input_start: usize,
    input_end: usize,
    output: Vec<u8>,
    output_start: usize,
    output_end: usize,
    eof: bool,
    finished: bool,
    replaced: bool,
}

impl<R: Read> DecodingReader<R> {
    /// True when some bytes could not be decoded and were replaced with U+FFFD.
    pub fn had_replacements(&self) -> bool {
        self.replaced
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        while self.skip > 0 {
            let mut bom = [0u8; 3];
            let n = self.inner.read(&mut bom[..self.skip])?;
            if n == 0 {
                break;
            }
            self.skip -= n;
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.skip_bom()?;
        let Some(decoder) = self.decoder.as_mut() else {
            return self.inner.read(buf);
        };
        loop {
            if self.output_start < self.output_end {
                let n = buf.len().min(self.output_end - self.output_start);
                buf[..n].copy_from_slice(&self.output[self.output_start..self.output_start + n]);
                self.output_start += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.input_start == self.input_end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.input_start = 0;
                self.input_end = n;
                self.eof = n == 0;
            }
            let (result, read, written, replaced) = decoder.decode_to_utf8(
                &self.input[self.input_start..self.input_end],
                &mut self.output,
                self.eof,
            );
            self.replaced |= replaced;
            self.input_start += read;
            self.output_start = 0;
            self.output_end = written;
            if self.eof && result == CoderResult::InputEmpty {
                self.finished = true;
            }
        }
    }
}

#[cfg(test)]
mod tests;
