//! Tests for the error report: escaping, naming and streaming.

use super::*;

#[test]
fn formula_starts_are_escaped() {
    for value in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
        assert_eq!(escape_cell(value), format!("'{value}"));
    }
    assert_eq!(escape_cell("plain"), "plain");
    assert_eq!(escape_cell(""), "");
}

#[test]
fn taken_names_get_a_timestamp_then_a_counter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = 1_764_000_000_123;
    assert_eq!(
        unique_path(dir.path(), "a.csv", now),
        dir.path().join("a.csv")
    );
    std::fs::write(dir.path().join("a.csv"), "x").expect("write");
    let stamped = unique_path(dir.path(), "a.csv", now);
    assert_eq!(stamped, dir.path().join("a-20251124T160000123Z.csv"));
    std::fs::write(&stamped, "x").expect("write");
    assert_eq!(
        unique_path(dir.path(), "a.csv", now),
        dir.path().join("a-20251124T160000123Z-2.csv")
    );
    std::fs::write(dir.path().join("a.csv.errors.csv"), "x").expect("write");
    assert_eq!(
        unique_path(dir.path(), "a.csv.errors.csv", now),
        dir.path().join("a.csv-20251124T160000123Z.errors.csv")
    );
}

#[test]
fn the_report_is_streamed_escaped_and_placed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut writer = ReportWriter::new(dir.path(), "people.csv");
    writer.add(
        Some(3),
        "email",
        "=HYPERLINK(\"x\")",
        "'=HYPERLINK' is not an email",
    );
    writer.add(Some(7), "", "a,b", "line 8 has 2 values");
    assert_eq!(writer.lines(), 2);
    let staged = writer
        .finish()
        .expect("written")
        .expect("something reported");
    let placed = staged
        .place(dir.path(), "people.csv.errors.csv", 0)
        .expect("placed");
    let text = std::fs::read_to_string(&placed).expect("read");
    assert_eq!(
        text,
        "row,column,value,message\n3,email,\"'=HYPERLINK(\"\"x\"\")\",'=HYPERLINK' is not an email\n7,,\"a,b\",line 8 has 2 values\n"
    );
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("people.csv.errors.csv")]
    );
}

#[test]
fn nothing_reported_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = ReportWriter::new(dir.path(), "x.csv");
    assert!(writer.finish().expect("ok").is_none());
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
}

#[test]
fn a_report_never_finished_or_placed_removes_its_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let count = || std::fs::read_dir(dir.path()).expect("list").count();
    // Dropped while writing (an import refused half-way).
    let mut writer = ReportWriter::new(dir.path(), "a.csv");
    writer.add(Some(1), "email", "x", "is not an email");
    assert_eq!(count(), 1, "the temporary file is being written");
    drop(writer);
    assert_eq!(count(), 0);
    // Finished but never placed.
    let mut writer = ReportWriter::new(dir.path(), "b.csv");
    writer.add(Some(1), "email", "x", "is not an email");
    let staged = writer.finish().expect("written").expect("reported");
    assert_eq!(count(), 1);
    drop(staged);
    assert_eq!(count(), 0);
    // A place it cannot be moved to.
    let mut writer = ReportWriter::new(dir.path(), "c.csv");
    writer.add(Some(1), "email", "x", "is not an email");
    let staged = writer.finish().expect("written").expect("reported");
    let missing = dir.path().join("no-such-folder");
    assert!(staged.place(&missing, "c.csv.errors.csv", 0).is_err());
    assert_eq!(count(), 0);
}
