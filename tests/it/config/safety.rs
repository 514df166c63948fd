//! Safe with the person's files, through the real binary: the drop folder is refused where it
//! would hold system or private files and explained where it holds other files; ports are
//! checked; every path the agent creates in its data directory is private, also after a
//! restart that finds them readable by others.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::support::{text, Cli};
use crate::support::wait_until;

#[cfg(unix)]
#[test]
fn refused_drop_folders_say_why_wherever_they_are_set() {
    let cli = Cli::with_file_secrets();
    assert!(cli.run(&["status"]).status.success());
    let data = cli.data_dir().display().to_string();
    let home = cli.home().display().to_string();
    let cases = [
        ("/", "root of the file system"),
        ("/etc", "system folder /etc"),
        ("/usr/share", "inside the system folder /usr"),
        ("/bin", "system folder"),
        ("/sbin", "system folder"),
        ("/lib", "system folder"),
        ("/lib64", "system folder"),
        ("/var", "system folder /var"),
        ("/boot", "system folder"),
        ("/dev", "system folder"),
        ("/proc", "system folder"),
        ("/sys", "system folder"),
        ("/run", "system folder"),
        ("/tmp", "system folder /tmp"),
        (home.as_str(), "your home folder"),
        (data.as_str(), "data directory"),
    ];
    for (folder, why) in cases {
        // config set: exit 2, nothing stored, one sentence naming the setting.
        let set = cli.run(&["config", "set", "drop_dir", folder]);
        assert_eq!(set.status.code(), Some(2), "{folder}: {}", text(&set));
        let message = String::from_utf8_lossy(&set.stderr);
        assert!(
            message.contains("drop_dir") && message.contains(why),
            "{folder}: {message}"
        );
        assert!(
            message.contains("choose") || message.contains("use its inbox"),
            "{message}"
        );
        // The environment and the flag: the agent does not start.
        let env = cli
            .command(&["config", "show"])
            .env("TWENTY_SYNC_DROP_DIR", folder)
            .output()
            .unwrap();
        assert_eq!(env.status.code(), Some(2), "{folder}: {}", text(&env));
        assert!(
            text(&env).contains("TWENTY_SYNC_DROP_DIR"),
            "{}",
            text(&env)
        );
        let flag = cli.run(&["--drop-dir", folder, "config", "show"]);
        assert_eq!(flag.status.code(), Some(2), "{folder}: {}", text(&flag));
        assert!(text(&flag).contains("--drop-dir"), "{}", text(&flag));
    }
    // The data directory's inbox (the default) and a folder of its own are fine.
    let inbox = cli.data_dir().join("inbox").display().to_string();
    let set = cli.run(&["config", "set", "drop_dir", &inbox]);
    assert!(set.status.success(), "{}", text(&set));
    let own = cli.home().join("crm-inbox").display().to_string();
    let set = cli.run(&["config", "set", "drop_dir", &own]);
    assert!(set.status.success(), "{}", text(&set));
}

#[cfg(unix)]
#[test]
fn a_folder_with_other_files_is_accepted_with_what_will_happen_to_them() {
    let cli = Cli::with_file_secrets();
    let folder = cli.dir.path().join("Documents");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    for name in [
        "report.pdf",
        "notes.txt",
        "passwd",
        "people.csv",
        "companies.json",
    ] {
        std::fs::write(folder.join(name), "x").unwrap();
    }
    let set = cli.run(&["config", "set", "drop_dir", &folder.display().to_string()]);
    assert!(set.status.success(), "{}", text(&set));
    let stderr = String::from_utf8_lossy(&set.stderr);
    assert!(
        stderr.contains("4 entries that are not import files") && stderr.contains("left alone"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 import files") && stderr.contains("imported now"),
        "{stderr}"
    );
    // Setting it moved nothing.
    assert!(folder.join("report.pdf").exists() && folder.join("people.csv").exists());
}

#[test]
fn ports_are_0_or_1024_to_65535() {
    let cli = Cli::with_file_secrets();
    for (key, value) in [
        ("ui_port", "0"),
        ("ui_port", "1024"),
        ("relay_port", "0"),
        ("relay_port", "65535"),
    ] {
        let set = cli.run(&["config", "set", key, value]);
        assert!(set.status.success(), "{key}={value}: {}", text(&set));
    }
    for (key, value, why) in [
        ("ui_port", "80", "below 1024"),
        ("relay_port", "1", "below 1024"),
        ("relay_port", "1023", "below 1024"),
        ("ui_port", "65536", "not a port"),
        ("relay_port", "-1", "not a whole number"),
    ] {
        let set = cli.run(&["config", "set", key, value]);
        assert_eq!(set.status.code(), Some(2), "{key}={value}");
        let message = String::from_utf8_lossy(&set.stderr);
        assert!(
            message.contains(key) && message.contains(why),
            "{key}={value}: {message}"
        );
    }
}

/// Every path under `dir`, without following links.
#[cfg(unix)]
fn every_path(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.symlink_metadata().unwrap().is_dir() {
            out.extend(every_path(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    path.symlink_metadata().unwrap().permissions().mode() & 0o777
}

/// The agent's own paths that are readable, writable or listable by others.
#[cfg(unix)]
fn not_private(data: &Path, own_files: &[PathBuf]) -> Vec<String> {
    every_path(data)
        .into_iter()
        .filter(|path| !own_files.contains(path))
        .filter(|path| {
            let meta = path.symlink_metadata().unwrap();
            let expected = if meta.is_dir() { 0o700 } else { 0o600 };
            mode(path) != expected
        })
        .map(|path| format!("{} {:o}", path.display(), mode(&path)))
        .collect()
}

#[cfg(unix)]
#[test]
fn every_path_the_agent_creates_is_private_and_is_tightened_after_a_restart() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::with_file_secrets();
    let data = cli.data_dir();
    // Secrets in the file store, a record, an import with a report beside the file.
    let mut set = cli
        .command(&["config", "set", "api_key", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin
        .take()
        .unwrap()
        .write_all(b"file-store-key-0123456789\n")
        .unwrap();
    assert!(set.wait_with_output().unwrap().status.success());
    let push = cli.run(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    assert!(push.status.success(), "{}", text(&push));
    let people = cli.dir.path().join("people.csv");
    std::fs::write(&people, "id,name,email\np1,Ada,ada@x.io\np2,Bob,nope\n").unwrap();
    let import = cli.run(&["import", &people.display().to_string()]);
    assert_eq!(import.status.code(), Some(3), "{}", text(&import));
    assert_eq!(mode(&cli.dir.path().join("people.csv.errors.csv")), 0o600);

    // The agent: agent.json, logs, the drop folder with its processed/ and failed/ and reports.
    let inbox = data.join("inbox");
    let mut agent = cli
        .command(&["--ui-port", "0", "--stability-delay-ms", "100", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let outcome = std::panic::catch_unwind(|| {
        wait_until("the agent started", Duration::from_secs(30), || {
            data.join("agent.json").exists() && inbox.join("failed").exists()
        });
        std::fs::write(
            inbox.join("people.csv.tmp"),
            "id,name,email\np3,Cy,cy@x.io\np4,Di,no\n",
        )
        .unwrap();
        std::fs::rename(inbox.join("people.csv.tmp"), inbox.join("people.csv")).unwrap();
        std::fs::write(inbox.join("companies.csv"), "").unwrap();
        wait_until("the files were imported", Duration::from_secs(30), || {
            inbox.join("processed/people.csv.errors.csv").exists()
                && inbox.join("failed/companies.csv.errors.csv").exists()
        });
    });
    let _ = agent.kill();
    let _ = agent.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    // The files the person dropped keep their own mode; everything the agent wrote is private.
    let own = vec![
        inbox.join("processed/people.csv"),
        inbox.join("failed/companies.csv"),
    ];
    for expected in [
        data.join("agent.json"),
        data.join("secrets.json"),
        data.join("store"),
        data.join("logs"),
        data.join("reports.jsonl"),
        inbox.join("processed/people.csv.errors.csv"),
    ] {
        assert!(expected.exists(), "{}", expected.display());
    }
    assert!(
        std::fs::read_dir(data.join("logs")).unwrap().count() > 0,
        "a log file"
    );
    assert_eq!(not_private(&data, &own), Vec::<String>::new());

    // Opened up (an older version, a copy): the next start tightens them, with one notice.
    for path in every_path(&data) {
        let open = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(open)).unwrap();
    }
    let status = cli.run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(stderr.matches("made private").count(), 1, "{stderr}");
    assert_eq!(not_private(&data, &own), Vec::<String>::new());
    for path in &own {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            0o644,
            "the person's {} keeps its mode",
            path.display()
        );
    }
    let again = cli.run(&["status"]);
    assert!(!text(&again).contains("made private"), "{}", text(&again));
}
