//! A drop folder that already holds the person's other files: they are left exactly as they were.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twenty_sync::clock::SystemClock;
use twenty_sync::domain::Event;
use twenty_sync::import::{self, DropOutcome, DropReport, WatchConfig};
use twenty_sync::store::Store;

// ---- A drop folder that already holds other files ------------------------------------------

/// What an entry is, as far as "left exactly where it was" goes: type, mode, modification
/// time, size, and the content (files) or target (links). Never follows a link.
#[cfg(unix)]
fn tree_state(root: &Path, skip: &[&str]) -> std::collections::BTreeMap<String, String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    fn walk(
        root: &Path,
        dir: &Path,
        skip: &[&str],
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        for entry in std::fs::read_dir(dir).expect("list").flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .expect("inside")
                .display()
                .to_string();
            if skip.contains(&relative.as_str()) {
                continue;
            }
            let meta = path.symlink_metadata().expect("lstat");
            let kind = meta.file_type();
            let what = if kind.is_symlink() {
                format!(
                    "link -> {}",
                    std::fs::read_link(&path).expect("readlink").display()
                )
            } else if kind.is_dir() {
                walk(root, &path, skip, out);
                "folder".to_string()
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).expect("read");
                format!("file {}", blake3::hash(&bytes).to_hex())
            } else if kind.is_fifo() {
                "fifo".to_string()
            } else if kind.is_socket() {
                "socket".to_string()
            } else {
                format!("device {}", meta.rdev())
            };
            out.insert(
                relative,
                format!(
                    "{what} mode {:o} mtime {}.{} size {}",
                    meta.mode(),
                    meta.mtime(),
                    meta.mtime_nsec(),
                    if kind.is_dir() { 0 } else { meta.size() }
                ),
            );
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, skip, &mut out);
    out
}

/// Names noticed as left alone in the log, with how often.
fn left_alone_notices(store: &Store) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for envelope in store.events_after(0, usize::MAX).expect("events") {
        if let Event::DropEntryLeftAlone { name, .. } = envelope.event {
            *out.entry(name).or_insert(0) += 1;
        }
    }
    out
}

struct Watcher {
    reports: tokio::sync::mpsc::UnboundedReceiver<DropReport>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), import::ImportError>>,
}

impl Watcher {
    fn start(store: &Store, drop_dir: &Path) -> Watcher {
        let (tx, reports) = tokio::sync::mpsc::unbounded_channel();
        let mut config = WatchConfig::new(drop_dir);
        config.stability_delay = Duration::from_millis(200);
        config.check_interval = Duration::from_millis(50);
        config.rescan_interval = Duration::from_millis(150);
        config.reports = Some(tx);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(import::watch_drop_folder(store.clone(), config, async {
            let _ = stopped.await;
        }));
        Watcher {
            reports,
            stop,
            task,
        }
    }

    /// Collects reports until every name in `names` has one that is not `Ignored`.
    async fn handled(&mut self, names: &[&str]) -> Vec<DropReport> {
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let done = names.iter().all(|name| {
                seen.iter().any(|r: &DropReport| {
                    r.path.file_name().is_some_and(|n| n == *name)
                        && !matches!(r.outcome, DropOutcome::Ignored { .. })
                })
            });
            if done {
                return seen;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let report = tokio::time::timeout(left, self.reports.recv())
                .await
                .expect("handled within a minute")
                .expect("the watcher runs");
            seen.push(report);
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops promptly")
            .expect("joined")
            .expect("stopped cleanly");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_folder_full_of_other_files_is_left_exactly_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("data"), Arc::new(SystemClock)).expect("store");
    let drop = dir.path().join("Documents");
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir_all(&drop).expect("dir");
    std::fs::create_dir_all(&outside).expect("dir");
    std::fs::write(outside.join("companies.csv"), "id,name\nout-1,Outside\n").expect("write");

    // 60+ entries of every kind, with varied modes and old modification times.
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let mut left_alone: Vec<String> = Vec::new();
    let plain = [
        "passwd",
        "shadow",
        "resolv.conf",
        "hosts",
        "fstab",
        "README",
        "Makefile",
        "LICENSE",
        "report.pdf",
        "notes.txt",
        "book.xlsx",
        "letter.docx",
        "photo.png",
        "photo.JPG",
        "archive.zip",
        "backup.tar.gz",
        "data.json.gz",
        "people.csv.bak",
        "export.csv~",
        "script.sh",
        "config.yaml",
        "config.toml",
        "app.ini",
        "index.html",
        "style.css",
        "main.rs",
        "db.sqlite",
        "mail.eml",
        "calendar.ics",
        "contacts.vcf",
        "table.ods",
        "slides.key",
        "movie.mp4",
        "song.mp3",
        "key.pem",
        "id_rsa",
        "id_rsa.pub",
        "todo",
        "companies",
        "people",
        "csv",
        "json",
        "log.1",
    ];
    for (i, name) in plain.iter().enumerate() {
        let path = drop.join(name);
        std::fs::write(&path, format!("unrelated {i}: not an import")).expect("write");
        let mode = [0o644, 0o600, 0o640, 0o755, 0o444][i % 5];
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        left_alone.push(name.to_string());
    }
    for hidden in [
        ".bashrc",
        ".hidden.csv",
        ".DS_Store",
        "draft.csv.tmp",
        "upload.json.part",
        "~$book.csv",
        "edit.csv.swp",
    ] {
        std::fs::write(drop.join(hidden), "hidden or temporary").expect("write");
    }
    std::fs::create_dir_all(drop.join("exports/nested")).expect("dir");
    std::fs::write(drop.join("exports/companies.csv"), "id,name\nsub-1,Sub\n").expect("write");
    std::fs::write(
        drop.join("exports/nested/people.csv"),
        "id,name,email\np,P,p@x.io\n",
    )
    .expect("write");
    std::fs::create_dir(drop.join("folder.csv")).expect("dir");
    std::fs::write(drop.join("folder.csv/companies.csv"), "id,name\nf-1,F\n").expect("write");
    left_alone.extend(["exports", "folder.csv"].map(String::from));
    let links = [
        ("linked.csv", outside.join("companies.csv")),
        ("inside-link.csv", drop.join("exports/companies.csv")),
        ("dangling.csv", dir.path().join("nowhere.csv")),
        ("to-folder.json", outside.clone()),
        ("secrets-link", dir.path().join("data/secrets.json")),
    ];
    for (name, target) in &links {
        std::os::unix::fs::symlink(target, drop.join(name)).expect("link");
        left_alone.push(name.to_string());
    }
    for fifo in ["pipe.csv", "pipe"] {
        let made = Command::new("mkfifo")
            .arg(drop.join(fifo))
            .status()
            .expect("mkfifo");
        assert!(made.success());
        left_alone.push(fifo.to_string());
    }
    let _socket = std::os::unix::net::UnixListener::bind(drop.join("sock.ndjson")).expect("socket");
    left_alone.push("sock.ndjson".to_string());
    // A device file, where this test may create one (as root).
    if Command::new("mknod")
        .arg(drop.join("null.csv"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success())
    {
        left_alone.push("null.csv".to_string());
    }
    // Old modification times everywhere (links keep theirs).
    for name in plain
        .iter()
        .chain([".bashrc", "exports/companies.csv"].iter())
    {
        let file = std::fs::File::options()
            .append(true)
            .open(drop.join(name))
            .expect("open");
        file.set_modified(old).expect("mtime");
    }
    assert!(left_alone.len() >= 50, "{}", left_alone.len());
    let entries = std::fs::read_dir(&drop).expect("list").count();
    assert!(entries >= 60, "{entries} entries");

    let before = tree_state(&drop, &[]);
    let mut watcher = Watcher::start(&store, &drop);
    // Real imports dropped beside them, and an `.xlsx` renamed `.csv`.
    let write_then_rename = |name: &str, bytes: &[u8]| {
        let temp = drop.join(format!("{name}.tmp"));
        std::fs::write(&temp, bytes).expect("write");
        std::fs::rename(&temp, drop.join(name)).expect("rename");
    };
    write_then_rename(
        "companies-new.csv",
        b"id,name\nc-new-1,Acme\nc-new-2,Globex\n",
    );
    write_then_rename("People-New.CSV", b"id,name,email\np-new-1,Ada,ada@x.io\n");
    let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec();
    xlsx.extend([0u8, 1, 2, 3, 200, 255, 0, 0].repeat(64));
    write_then_rename("book.csv", &xlsx);
    let reports = watcher
        .handled(&["companies-new.csv", "People-New.CSV", "book.csv"])
        .await;
    assert!(reports.iter().any(|r| r.path.ends_with("companies-new.csv")
        && matches!(r.outcome, DropOutcome::Imported { .. })));
    assert!(reports.iter().any(|r| r.path.ends_with("book.csv")
        && matches!(&r.outcome, DropOutcome::Failed { message, .. } if message.contains("not a text file"))));
    assert_eq!(store.counters().expect("counters").intents, 3);
    assert!(drop.join("processed/companies-new.csv").exists());
    assert!(drop.join("processed/People-New.CSV").exists());
    assert!(drop.join("failed/book.csv").exists());
    let report = drop.join("failed/book.csv.errors.csv");
    assert_eq!(
        report
            .symlink_metadata()
            .expect("report")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // Several rescans later: still one notice per name, none for hidden or temporary names.
    tokio::time::sleep(Duration::from_millis(900)).await;
    watcher.stop().await;

    let after = tree_state(&drop, &["processed", "failed"]);
    let before: std::collections::BTreeMap<_, _> = before
        .into_iter()
        .filter(|(name, _)| !name.starts_with("processed") && !name.starts_with("failed"))
        .collect();
    assert_eq!(after, before, "every other entry is exactly as it was");
    assert!(outside.join("companies.csv").exists());

    let notices = left_alone_notices(&store);
    let mut expected: Vec<String> = left_alone.clone();
    expected.sort();
    assert_eq!(notices.keys().cloned().collect::<Vec<_>>(), expected);
    assert!(notices.values().all(|n| *n == 1), "{notices:?}");
    let row = twenty_sync::app::queries::events_page(
        &store,
        &twenty_sync::app::queries::EventQuery {
            limit: 200,
            categories: vec![twenty_sync::app::queries::EventCategory::Imports],
            ..Default::default()
        },
    )
    .expect("page")
    .rows
    .into_iter()
    .find(|row| row.kind == "DropEntryLeftAlone" && row.summary.contains("report.pdf"))
    .expect("noticed in Activity, under imports");
    assert_eq!(row.summary, "left report.pdf alone: not an import file");

    // A restart notices nothing again (the names are in the log).
    let watcher = Watcher::start(&store, &drop);
    tokio::time::sleep(Duration::from_millis(700)).await;
    watcher.stop().await;
    assert_eq!(left_alone_notices(&store), notices);
    assert_eq!(tree_state(&drop, &["processed", "failed"]), before);
}
