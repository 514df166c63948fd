//! The beginning of a file as the Imports screen's table needs it: CSV (sniffed delimiter,
//! quotes) or JSON / NDJSON (keys in the file's order), its half-written last record dropped.

use serde::Deserialize;

use super::PreviewError;
use crate::import::parse::sniff_delimiter;

/// One cell as a file gives it: text (CSV, a JSON string or scalar) or a JSON list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cell {
    Text(String),
    List(Vec<String>),
}

impl Default for Cell {
    fn default() -> Cell {
        Cell::Text(String::new())
    }
}

impl Cell {
    pub(super) fn text(&self) -> &str {
        match self {
            Cell::Text(text) => text,
            Cell::List(_) => "",
        }
    }

    pub(super) fn shown(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::List(items) => items.join(", "),
        }
    }
}

/// The headers and rows of a sample.
pub(super) struct Sample {
    pub format: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

pub(super) fn read_sample(file: &str, text: &str, complete: bool) -> Result<Sample, PreviewError> {
    let text = text.trim_start_matches('\u{feff}');
    let malformed = |detail: String| PreviewError::Malformed {
        file: file.to_string(),
        detail,
    };
    match text.trim_start().as_bytes().first() {
        None => Err(PreviewError::Empty {
            file: file.to_string(),
        }),
        Some(b'[') => {
            let objects = json_array(text.trim_start(), complete).map_err(malformed)?;
            Ok(json_sample("json", objects))
        }
        Some(b'{') => {
            let objects = ndjson(text, complete).map_err(malformed)?;
            Ok(json_sample("ndjson", objects))
        }
        Some(_) => csv_sample(text, complete).map_err(malformed),
    }
}

/// The text up to its last line break outside quotes (a half-written last record is dropped).
fn complete_lines(text: &str) -> &str {
    let mut quoted = false;
    let mut end = 0;
    for (i, byte) in text.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => end = i + 1,
            _ => {}
        }
    }
    &text[..end]
}

fn csv_sample(text: &str, complete: bool) -> Result<Sample, String> {
    let text = if complete { text } else { complete_lines(text) };
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = sniff_delimiter(header_line.as_bytes());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        Some(record) => record
            .map_err(|e| e.to_string())?
            .iter()
            .map(|h| h.trim().to_string())
            .collect(),
        None => {
            return Err(
                "its first line is longer than the part read; the header line must come first"
                    .to_string(),
            )
        }
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| e.to_string())?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push(record.iter().map(|c| Cell::Text(c.to_string())).collect());
    }
    let format = match delimiter {
        b'\t' => "csv (tab)".to_string(),
        d => format!("csv ({})", d as char),
    };
    Ok(Sample {
        format,
        headers,
        rows,
    })
}

/// A JSON object with its keys in the file's order.
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The objects of a JSON array; the last one, half-written, is dropped.
fn json_array(text: &str, complete: bool) -> Result<Vec<Ordered>, String> {
    let mut rest = text[1..].trim_start();
    let mut objects = Vec::new();
    loop {
        if rest.is_empty() {
            if complete {
                return Err("the array is not closed with ]".to_string());
            }
            break;
        }
        if rest.starts_with(']') {
            break;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Ordered>();
        match stream.next() {
            Some(Ok(object)) => {
                objects.push(object);
                rest = rest[stream.byte_offset()..].trim_start();
                if let Some(after) = rest.strip_prefix(',') {
                    rest = after.trim_start();
                } else if !rest.starts_with(']') && !rest.is_empty() {
                    return Err(format!(
                        "object {} is not followed by a comma or ]",
                        objects.len()
                    ));
                }
            }
            Some(Err(error)) if error.is_eof() && !complete => break,
            Some(Err(error)) => {
                return Err(format!(
                    "element {}: {}",
                    objects.len() + 1,
                    crate::app::ops::plain_serde_message(&error)
                        .trim_start_matches("the request is malformed: ")
                ))
            }
            None => break,
        }
    }
    Ok(objects)
}

/// The objects of NDJSON text, one a line; a half-written last line is dropped.
fn ndjson(text: &str, complete: bool) -> Result<Vec<Ordered>, String> {
    let text = if complete {
        text
    } else {
        match text.rfind('\n') {
            Some(end) => &text[..=end],
            None => "",
        }
    };
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let object: Ordered = serde_json::from_str(line.trim()).map_err(|e| {
            format!(
                "line {} is not a JSON object: {}",
                i + 1,
                crate::app::ops::plain_serde_message(&e)
                    .trim_start_matches("the request is malformed: ")
            )
        })?;
        objects.push(object);
    }
    if objects.is_empty() {
        return Err("its first line is longer than the part read".to_string());
    }
    Ok(objects)
}

/// The headers (keys in first-seen order) and cells of JSON objects.
fn json_sample(format: &str, objects: Vec<Ordered>) -> Sample {
    let mut headers: Vec<String> = Vec::new();
    for object in &objects {
        for (key, _) in &object.0 {
            if !headers.contains(key) {
                headers.push(key.clone());
            }
        }
    }
    let rows = objects
        .into_iter()
        .map(|object| {
            headers
                .iter()
                .map(|header| {
                    object
                        .0
                        .iter()
                        .find(|(key, _)| key == header)
                        .map(|(_, value)| json_cell(value))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Sample {
        format: format.to_string(),
        headers,
        rows,
    }
}

fn json_cell(value: &serde_json::Value) -> Cell {
    use serde_json::Value;
    let scalar = |value: &Value| match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) => Cell::List(items.iter().map(scalar).collect()),
        other => Cell::Text(scalar(other)),
    }
}
