//! Tests for the streaming CSV, JSON and NDJSON readers.

use super::*;

fn rows(text: &str) -> Result<(Format, Vec<Row>), ImportError> {
    rows_limited(text, 1024 * 1024)
}

fn rows_limited(text: &str, limit: usize) -> Result<(Format, Vec<Row>), ImportError> {
    let mut reader = open(text.as_bytes(), "f.csv", limit)?;
    let mut out = Vec::new();
    while let Some(row) = reader.next_row()? {
        out.push(row);
    }
    Ok((reader.format(), out))
}

fn cells(row: &Row) -> Vec<(usize, String)> {
    row.cells
        .as_ref()
        .expect("a readable row")
        .iter()
        .map(|(c, v)| match v {
            Cell::Text(text) => (*c, text.clone()),
            Cell::Json(json) => (*c, json.to_string()),
        })
        .collect()
}

fn texts(pairs: &[(usize, &str)]) -> Vec<(usize, String)> {
    pairs.iter().map(|(c, t)| (*c, t.to_string())).collect()
}

#[test]
fn the_delimiter_is_sniffed_from_the_header() {
    assert_eq!(sniff_delimiter(b"a,b,c\n"), b',');
    assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
    assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
    assert_eq!(sniff_delimiter(b"\"a;x\",b,c\n"), b',');
    assert_eq!(sniff_delimiter(b"single\n"), b',');
}

#[test]
fn csv_with_quotes_embedded_newlines_and_crlf() {
    let text =
        "id;name;city\r\nc1;\"Acme; \"\"the\"\" best\";\"Paris\r\nFrance\"\r\n\r\nc2;Beta;Lyon\r\n";
    let (format, rows) = rows(text).expect("parses");
    assert_eq!(format, Format::Csv { delimiter: b';' });
    assert_eq!(rows.len(), 2);
    assert_eq!(
        cells(&rows[0]),
        texts(&[(0, "c1"), (1, "Acme; \"the\" best"), (2, "Paris\r\nFrance")])
    );
    assert_eq!((rows[1].number, rows[1].line), (2, 5));
}

#[test]
fn a_row_with_the_wrong_number_of_values_is_a_row_issue() {
    let (_, rows) = rows("id,name\nc1,a\nc2;b\nc3,c,\n").expect("parses");
    assert_eq!(rows.len(), 3);
    let issue = rows[1].cells.as_ref().expect_err("wrong count");
    assert!(
        issue.message.contains("has 1 values but the header has 2"),
        "{}",
        issue.message
    );
    // A trailing empty value is tolerated.
    assert!(rows[2].cells.is_ok());
}

#[test]
fn an_unclosed_quote_refuses_the_file_naming_its_line() {
    let error = rows("id,name\nc1,ok\nc2,\"never closed\nc3,x\n").expect_err("refused");
    assert!(
        matches!(error, ImportError::UnclosedQuote { line: 3, .. }),
        "{error}"
    );
    // Also when the swallowed text exceeds the record cap.
    let long = format!("id,name\nc1,\"open{}\n", "x,y\n".repeat(1000));
    let error = rows_limited(&long, 1000).expect_err("refused");
    assert!(
        matches!(error, ImportError::UnclosedQuote { line: 2, .. }),
        "{error}"
    );
}

#[test]
fn a_record_longer_than_the_cap_is_refused() {
    let text = format!("id,name\nc1,ok\nc2,{}\n", "x".repeat(5000));
    let error = rows_limited(&text, 1000).expect_err("refused");
    assert!(
        matches!(
            error,
            ImportError::RecordTooLong {
                line: 3,
                limit: 1000,
                ..
            }
        ),
        "{error}"
    );
    let header = format!("id,{}\n", "n".repeat(5000));
    assert!(matches!(
        rows_limited(&header, 1000),
        Err(ImportError::RecordTooLong { line: 1, .. })
    ));
}

#[test]
fn json_arrays_and_ndjson() {
    let (format, rows) = rows(
        "\n[\n {\"Type\": \"company\", \"id\": 42, \"name\": \"Acme\", \"notes\": {\"x\": 1}},\n {\"id\": \"p1\", \"email\": null, \"vip\": true},\n 7,\n]",
    )
    .expect("parses");
    assert_eq!(format, Format::JsonArray);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        cells(&rows[0]),
        texts(&[(0, "company"), (1, "42"), (2, "Acme"), (3, "{\"x\":1}")])
    );
    assert_eq!(rows[0].line, 3);
    assert_eq!(cells(&rows[1]), texts(&[(1, "p1"), (4, "true")]));
    assert!(rows[2]
        .cells
        .as_ref()
        .expect_err("not an object")
        .message
        .contains("a number"));

    let (format, lines) =
        super::tests::rows("{\"id\":\"a\",\"name\":\"x\"}\n{\"id\":\"b\",\"name\":\"y\"}\n")
            .expect("parses");
    assert_eq!(format, Format::Ndjson);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].line, 2);
}

#[test]
fn nested_values_are_kept_for_the_fields_they_fill() {
    let (_, rows) = rows("[{\"id\": \"a\", \"tags\": [\"x\", 2], \"empty\": []}]").expect("parses");
    assert_eq!(cells(&rows[0]), texts(&[(0, "a"), (1, "[\"x\",2]")]));
}

#[test]
fn malformed_json_refuses_the_file() {
    for text in [
        "[{\"id\": 1}",
        "[{\"id\": 1} {\"id\": 2}]",
        "[{\"id\": }]",
        "[{\"id\": 1}] x",
        "{\"id\": \"a\n",
    ] {
        assert!(
            matches!(rows(text), Err(ImportError::MalformedJson { .. })),
            "{text}: {:?}",
            rows(text).err()
        );
    }
    let error = rows("[\n{\"id\": 1},\n{\"id\": tru}\n]").expect_err("refused");
    assert!(
        matches!(error, ImportError::MalformedJson { line: 3, .. }),
        "{error}"
    );
}

#[test]
fn blank_text_is_empty() {
    assert!(matches!(rows(" \n\r\n"), Err(ImportError::Empty { .. })));
}
