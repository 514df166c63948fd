//! Tests of private files and no-follow opens on a real temp dir.

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

use super::*;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    path.symlink_metadata().expect("stat").permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn new_files_and_folders_are_private_and_never_written_through_a_link() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("a/b");
    create_private_dir_all(&dir).expect("dirs");
    assert_eq!(mode(&root.path().join("a")), 0o700);
    assert_eq!(mode(&dir), 0o700);

    let file = dir.join("report.csv");
    create_private_new(&file).expect("created");
    assert_eq!(mode(&file), 0o600);
    assert!(
        create_private_new(&file).is_err(),
        "never over an existing file"
    );

    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "keep").expect("write");
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&outside, &link).expect("link");
    assert!(create_private_new(&link).is_err());
    assert!(open_append_private(&link).is_err());
    let error = open_no_follow(&link).expect_err("a link is not opened");
    assert!(is_link_error(&error), "{error}");
    assert_eq!(std::fs::read_to_string(&outside).expect("read"), "keep");

    let appended = dir.join("ledger");
    open_append_private(&appended).expect("appended");
    assert_eq!(mode(&appended), 0o600);
}

#[cfg(unix)]
#[test]
fn a_pipe_is_opened_without_blocking() {
    let root = tempfile::tempdir().expect("tempdir");
    let fifo = root.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo on this system
    }
    let file = open_no_follow(&fifo).expect("opened at once");
    assert!(!file.metadata().expect("fstat").is_file());
}

#[cfg(unix)]
#[test]
fn a_data_directory_readable_by_others_is_tightened_once_and_the_drop_folder_files_kept() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("data");
    for dir in [
        "store/blobs",
        "logs",
        "backups/store-v1-1",
        "inbox/processed",
        "inbox/failed",
    ] {
        std::fs::create_dir_all(data.join(dir)).expect("dir");
    }
    let files = [
        "store/db",
        "store/blobs/1",
        "logs/twenty-sync.2025-01-01.log",
        "backups/store-v1-1/db",
        "agent.json",
        "inbox/processed/people.csv.errors.csv",
    ];
    for file in files {
        std::fs::write(data.join(file), "x").expect("write");
    }
    std::fs::write(data.join("inbox/people.csv"), "mine").expect("write");
    std::fs::write(data.join("inbox/processed/people.csv"), "mine").expect("write");
    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "x").expect("write");
    std::os::unix::fs::symlink(&outside, data.join("logs/link")).expect("link");
    let open_all = |path: &Path| {
        let meta = path.symlink_metadata().expect("stat");
        if meta.file_type().is_symlink() {
            return;
        }
        let mode = if meta.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    for entry in walk(&data) {
        open_all(&entry);
    }
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let tightened = secure_data_dir(&data).expect("secured");
    assert!(tightened.paths >= 14, "{tightened:?}");
    assert!(tightened
        .notice(&data)
        .expect("a notice")
        .contains("made private"));
    for dir in [
        "",
        "store",
        "store/blobs",
        "logs",
        "backups",
        "backups/store-v1-1",
        "inbox",
        "inbox/processed",
        "inbox/failed",
    ] {
        assert_eq!(mode(&data.join(dir)), 0o700, "{dir}");
    }
    for file in files {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // The person's files in the drop folder, and what a link points at, are not touched.
    assert_eq!(mode(&data.join("inbox/people.csv")), 0o644);
    assert_eq!(mode(&data.join("inbox/processed/people.csv")), 0o644);
    assert_eq!(mode(&outside), 0o644);
    // Once private, nothing more to say.
    assert_eq!(
        secure_data_dir(&data).expect("secured"),
        Tightened::default()
    );
}

#[cfg(unix)]
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        if path.symlink_metadata().expect("stat").is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
