//! Tests for the public import API: reports beside named files, exit codes, error advice.

use super::*;
use crate::clock::ManualClock;

#[test]
fn import_file_writes_the_report_beside_the_file_without_overwriting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        &dir.path().join("data"),
        ManualClock::starting_at(1_764_000_000_000),
    )
    .expect("store");
    let path = dir.path().join("people.csv");
    std::fs::write(&path, "id,name,email\np1,Ada,ada@x.io\np2,Bob,=1+1\n").expect("write");
    let outcome = import_file(&store, &path, &ImportOptions::default()).expect("imported");
    assert_eq!(outcome.exit_code(), 3);
    let report = dir.path().join("people.csv.errors.csv");
    assert_eq!(outcome.error_report.as_deref(), Some(report.as_path()));
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(text.contains("2,email,'=1+1,"), "{text}");

    std::fs::write(&path, "id,name,email\np3,Cy,cy@x.io\np4,Di,nope\n").expect("write");
    let again = import_file(&store, &path, &ImportOptions::default()).expect("imported");
    let second = again.error_report.expect("a second report");
    assert_ne!(second, report, "the first report is kept");
    assert!(report.exists() && second.exists() && path.exists());
}

#[test]
fn errors_say_what_to_do_and_where_files_go() {
    let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    let denied = ImportError::io("people.csv", &io);
    assert!(matches!(denied, ImportError::PermissionDenied { .. }));
    assert!(denied.to_string().contains("allow twenty-sync to read it"));
    assert_eq!(denied.disposition(), Disposition::Fail);
    let gone = ImportError::io("x", &std::io::Error::from(std::io::ErrorKind::NotFound));
    assert_eq!(gone.disposition(), Disposition::Ignore);
    assert_eq!(
        ImportError::Changed { file: "x".into() }.disposition(),
        Disposition::Retry
    );
}
