//! Tests for the drop folder: names ignored, names taken, what a folder entry is, links refused,
//! moving files aside with their reports.

use super::*;
use crate::clock::ManualClock;

#[test]
fn temporary_and_hidden_names_are_ignored() {
    for name in [
        ".hidden.csv",
        "x.tmp",
        "x.TMP",
        "x.csv.part",
        "x.crdownload",
        "~$book.csv",
        ".x.swp",
        "x.swp",
    ] {
        assert!(is_ignored_name(name), "{name}");
    }
    for name in ["people.csv", "companies.json", "tmp.csv"] {
        assert!(!is_ignored_name(name), "{name}");
    }
}

#[test]
fn only_import_names_are_taken() {
    for name in [
        "people.csv",
        "X.CSV",
        "a.tsv",
        "b.Json",
        "c.ndjson",
        "d.JSONL",
        "tmp.csv",
    ] {
        assert!(super::super::is_import_name(name), "{name}");
    }
    for name in [
        "passwd",
        "report.pdf",
        "notes.txt",
        "book.xlsx",
        "csv",
        ".csv",
        "a.csv.bak",
        "archive.json.gz",
    ] {
        assert!(!super::super::is_import_name(name), "{name}");
    }
}

#[cfg(unix)]
#[test]
fn folder_entries_are_classified() {
    let root = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let dirs = DropDirs::prepare(&root.path().join("inbox")).expect("prepared");
    let inbox = &dirs.inbox;
    std::fs::write(inbox.join("people.csv"), "x").expect("write");
    std::fs::write(inbox.join("people.csv.tmp"), "x").expect("write");
    std::fs::write(inbox.join("report.pdf"), "x").expect("write");
    std::fs::write(inbox.join("passwd"), "x").expect("write");
    std::fs::create_dir(inbox.join("sub")).expect("dir");
    std::fs::create_dir(inbox.join("folder.csv")).expect("dir");
    std::fs::write(outside.path().join("secret.csv"), "x").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), inbox.join("out.csv"))
        .expect("link");
    std::os::unix::fs::symlink(inbox.join("people.csv"), inbox.join("in.csv")).expect("link");
    let left_alone = |name: &str, reason: &'static str| Entry::LeftAlone {
        name: name.to_string(),
        reason,
    };

    assert!(matches!(dirs.inspect(&inbox.join("people.csv")), Entry::Candidate(s) if s.size == 1));
    assert_eq!(dirs.inspect(&inbox.join("people.csv.tmp")), Entry::Quiet);
    assert_eq!(dirs.inspect(&inbox.join(PROCESSED_DIR)), Entry::Quiet);
    assert_eq!(
        dirs.inspect(&inbox.join("processed").join("x.csv")),
        Entry::Quiet
    );
    assert_eq!(
        dirs.inspect(&inbox.join("report.pdf")),
        left_alone("report.pdf", reasons::NOT_IMPORT)
    );
    assert_eq!(
        dirs.inspect(&inbox.join("passwd")),
        left_alone("passwd", reasons::NOT_IMPORT)
    );
    assert_eq!(
        dirs.inspect(&inbox.join("sub")),
        left_alone("sub", reasons::NOT_IMPORT)
    );
    assert_eq!(
        dirs.inspect(&inbox.join("folder.csv")),
        left_alone("folder.csv", reasons::FOLDER)
    );
    // Links are never followed, wherever they point.
    assert_eq!(
        dirs.inspect(&inbox.join("out.csv")),
        left_alone("out.csv", reasons::LINK)
    );
    assert_eq!(
        dirs.inspect(&inbox.join("in.csv")),
        left_alone("in.csv", reasons::LINK)
    );
    assert_eq!(dirs.inspect(&inbox.join("gone.csv")), Entry::Gone);
    assert_eq!(
        left_alone_message("report.pdf", reasons::NOT_IMPORT),
        "left report.pdf alone: not an import file"
    );
    assert_eq!(
        survey_folder(inbox),
        FolderSurvey {
            imports: 1,
            left_alone: 6
        }
    );
}

#[cfg(unix)]
#[test]
fn processed_or_failed_as_a_link_refuses_the_drop_folder() {
    let root = tempfile::tempdir().expect("tempdir");
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("dir");
    std::os::unix::fs::symlink(root.path(), inbox.join(FAILED_DIR)).expect("link");
    let error = DropDirs::prepare(&inbox).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("failed inside it is not a folder"),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn a_file_swapped_for_a_link_is_not_read_and_one_replaced_after_reading_is_not_moved() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = store_in(root.path());
    let dirs = DropDirs::prepare(&root.path().join("inbox")).expect("prepared");
    let secret = root.path().join("companies-secret.csv");
    std::fs::write(
        &secret,
        "id,name
s1,Secret
",
    )
    .expect("write");
    let link = dirs.inbox.join("companies.csv");
    std::os::unix::fs::symlink(&secret, &link).expect("link");
    assert!(matches!(
        process_drop(&store, &dirs, &link, &ImportOptions::default()),
        DropOutcome::Ignored { message } if message.contains("never followed")
    ));
    assert_eq!(store.counters().expect("counters").intents, 0);
    assert!(link.symlink_metadata().is_ok() && secret.exists());

    let path = dirs.inbox.join("people.csv");
    std::fs::write(&path, "x").expect("write");
    let read = FileId::of(&path.symlink_metadata().expect("stat"));
    // Moved away (so its inode stays taken) and another file put in its place.
    std::fs::rename(&path, dirs.inbox.join("people.csv.old")).expect("rename");
    std::fs::write(&path, "another file").expect("write");
    assert_eq!(
        move_aside(&path, Some(read), &dirs.processed, 0, "people.csv"),
        None
    );
    assert!(path.exists(), "left where it is");
}

fn store_in(dir: &Path) -> Store {
    Store::open(
        &dir.join("data"),
        ManualClock::starting_at(1_764_000_000_000),
    )
    .expect("store")
}

#[test]
fn processed_and_failed_files_move_with_their_reports() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = store_in(root.path());
    let dirs = DropDirs::prepare(&root.path().join("inbox")).expect("prepared");
    let options = ImportOptions::default();

    let good = dirs.inbox.join("people.csv");
    std::fs::write(&good, "id,name,email\np1,Ada,ada@x.io\np2,Bob,bad\n").expect("write");
    let DropOutcome::Imported { outcome, moved_to } = process_drop(&store, &dirs, &good, &options)
    else {
        panic!("imported");
    };
    assert_eq!(
        moved_to.as_deref(),
        Some(dirs.processed.join("people.csv").as_path())
    );
    assert_eq!(
        outcome.error_report,
        Some(dirs.processed.join("people.csv.errors.csv"))
    );
    assert!(!good.exists());

    // The same name again (other content): timestamped, nothing overwritten.
    std::fs::write(&good, "id,name,email\np3,Cy,cy@x.io\n").expect("write");
    let DropOutcome::Imported { moved_to, .. } = process_drop(&store, &dirs, &good, &options)
    else {
        panic!("imported");
    };
    let moved_to = moved_to.expect("moved");
    assert_ne!(moved_to, dirs.processed.join("people.csv"));
    assert!(dirs.processed.join("people.csv").exists());

    let broken = dirs.inbox.join("export.csv");
    std::fs::write(&broken, "id,name\nc1,x\n").expect("write");
    let DropOutcome::Failed {
        message,
        moved_to,
        report,
    } = process_drop(&store, &dirs, &broken, &options)
    else {
        panic!("failed");
    };
    assert!(message.contains("add a `type` column"), "{message}");
    assert_eq!(moved_to, Some(dirs.failed.join("export.csv")));
    let report = std::fs::read_to_string(report.expect("report")).expect("read");
    assert!(
        report.contains("cannot tell whether its rows are companies or people"),
        "{report}"
    );

    let all_invalid = dirs.inbox.join("contacts.csv");
    std::fs::write(&all_invalid, "id,name,email\np9,Zed,nope\n").expect("write");
    assert!(matches!(
        process_drop(&store, &dirs, &all_invalid, &options),
        DropOutcome::Failed {
            moved_to: Some(_),
            report: Some(_),
            ..
        }
    ));
    assert!(dirs.failed.join("contacts.csv.errors.csv").exists());
}

#[test]
fn a_file_that_vanishes_is_ignored_and_one_that_vanishes_after_recording_is_complete() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = store_in(root.path());
    let dirs = DropDirs::prepare(&root.path().join("inbox")).expect("prepared");
    let gone = dirs.inbox.join("people.csv");
    assert!(matches!(
        process_drop(&store, &dirs, &gone, &ImportOptions::default()),
        DropOutcome::Ignored { .. }
    ));
    // Recorded, then the move finds nothing: logged, not an error; the hash recognises it later.
    assert_eq!(
        move_aside(&gone, None, &dirs.processed, 0, "people.csv"),
        None
    );
}
