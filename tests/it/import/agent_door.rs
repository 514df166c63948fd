//! `twenty-sync import` beside a running agent (which holds the store) works through the
//! agent's local API and means exactly what it means without one: the same output, the same
//! `--json`, the same exit codes, for valid, invalid, repeated and missing files, in a dry run
//! too; and a progress bar on a terminal either way.

use std::path::Path;

use super::running::{companies_csv, said, Folder, Run};

/// The same files in a folder: a valid one with an ignored column, one with invalid rows.
fn with_files(folder: &Folder) {
    folder.write(
        "companies.csv",
        "id,name,website,notes\nc1,Acme,acme.com,x\nc2,Beta,,\n",
    );
    folder.write(
        "people.csv",
        "id,name,email,company_id\np1,Ada,ada@x.io,c1\np2,Bob,nope,\n,No Id,noid@x.io,\n",
    );
}

/// The commands of the comparison, in order (each changes what the next one sees).
const RUNS: &[&[&str]] = &[
    &["import", "companies.csv", "people.csv", "--dry-run"],
    &[
        "import",
        "companies.csv",
        "people.csv",
        "--dry-run",
        "--json",
    ],
    &["import", "companies.csv", "people.csv"],
    &["import", "companies.csv", "--json"],
    &["import", "nonexist.csv"],
    &["import", "people.csv", "--dry-run"],
];

/// What may differ between two runs of the same command: timings, the timestamps the report
/// names get when taken, event numbers, the absolute folder, and the note that the agent was
/// asked.
fn normalised(run: &Run, folder: &Folder) -> (i32, String, String) {
    let root = folder.dir.path().display().to_string();
    let clean = |text: &str| {
        let text = text.replace(&root, "<folder>");
        let mut out = String::new();
        let mut rest = text.as_str();
        // `"duration_ms": 12` → `"duration_ms": N`, `event #42` → `event #N`, and
        // `-20261201T185343786Z` (a report name's timestamp) → `-<stamp>`.
        while let Some((at, len, replacement)) = next_variable(rest) {
            out.push_str(&rest[..at]);
            out.push_str(replacement);
            rest = &rest[at + len..];
        }
        out.push_str(rest);
        out
    };
    let stderr: String = run
        .stderr
        .lines()
        .filter(|line| !line.starts_with("(asking the agent"))
        .map(|line| format!("{line}\n"))
        .collect();
    (run.code, clean(&run.stdout), clean(&stderr))
}

/// The next variable part of a text: (where, how long, what it becomes).
fn next_variable(text: &str) -> Option<(usize, usize, &'static str)> {
    let digits = |from: usize| text[from..].bytes().take_while(u8::is_ascii_digit).count();
    let mut found: Vec<(usize, usize, &'static str)> = Vec::new();
    for (marker, replacement) in [
        ("\"duration_ms\": ", "\"duration_ms\": N"),
        ("\"import_seq\": ", "\"import_seq\": N"),
        ("\"duplicate_of_seq\": ", "\"duplicate_of_seq\": N"),
        ("event #", "event #N"),
    ] {
        if let Some(at) = text.find(marker) {
            let count = digits(at + marker.len());
            if count > 0 {
                found.push((at, marker.len() + count, replacement));
            }
        }
    }
    let bytes = text.as_bytes();
    let stamp = (0..bytes.len().saturating_sub(20)).find(|&i| {
        bytes[i] == b'-'
            && bytes[i + 1..i + 9].iter().all(u8::is_ascii_digit)
            && bytes[i + 9] == b'T'
    });
    if let Some(at) = stamp {
        let len = 1 + text[at + 1..].find('Z').map_or(0, |z| z + 1);
        found.push((at, len, "-<stamp>"));
    }
    found.into_iter().min_by_key(|(at, _, _)| *at)
}

#[test]
fn import_with_and_without_a_running_agent_prints_the_same_and_exits_the_same() {
    let alone = Folder::new();
    let beside = Folder::new();
    with_files(&alone);
    with_files(&beside);
    // The store exists before the agent starts, in both folders.
    assert_eq!(alone.run(&["status"]).code, 0);
    let agent = beside.start_agent();
    for args in RUNS {
        let expected = alone.run(args);
        let actual = beside.run(args);
        assert!(
            !actual.stderr.contains("in use by pid"),
            "{args:?} fought the agent: {}",
            said(&actual)
        );
        assert_eq!(
            normalised(&actual, &beside),
            normalised(&expected, &alone),
            "{args:?} beside the agent:\n{}\nwithout one:\n{}",
            said(&actual),
            said(&expected)
        );
    }
    // The missing file is said not to exist, either way.
    let missing = beside.run(&["import", "nonexist.csv"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("nonexist.csv does not exist")
            && !missing.stderr.contains("disappeared"),
        "{}",
        said(&missing)
    );
    // A file in the drop folder is the agent's own to import, never twice.
    std::fs::create_dir_all(beside.data().join("inbox")).expect("inbox");
    std::fs::write(
        beside.data().join("inbox/companies-3.csv"),
        "id,name\nc9,Nine\n",
    )
    .expect("write");
    let own = beside.run(&["import", "data/inbox/companies-3.csv"]);
    assert_eq!(own.code, 2, "{}", said(&own));
    assert!(
        own.stderr.contains("is in the drop folder"),
        "{}",
        said(&own)
    );
    // What the agent recorded is the same as what the command recorded alone.
    let through_agent = super::running::wait_for(
        "the drop folder's file",
        std::time::Duration::from_secs(30),
        || Some(agent.call(twenty_sync::app::ops::Status {})).filter(|s| s.intents == 4),
    );
    drop(agent);
    let by_itself = alone.run(&["status", "--json"]).json();
    assert_eq!(
        by_itself["intents"].as_u64(),
        Some(through_agent.intents - 1)
    );
    assert_eq!(through_agent.intents - 1, 3, "and c9 from the drop folder");
}

/// Runs `command` on a pseudo-terminal (`script`), returning what the terminal showed, or `None`
/// when `script` is not installed.
fn on_a_terminal(folder: &Folder, args: &[&str]) -> Option<(i32, String)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|path| Path::new(path).exists())?;
    let mut line = format!(
        "'{}' --data-dir '{}'",
        crate::support::BIN,
        folder.data().display()
    );
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let shown = folder.path("terminal.txt");
    let mut command = std::process::Command::new(script);
    command
        .args(["-qefc", &line])
        .arg(&shown)
        .current_dir(folder.dir.path());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TWENTY_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    let status = command.output().expect("script runs").status;
    let text = std::fs::read_to_string(&shown).unwrap_or_default();
    Some((status.code().unwrap_or(-1), text))
}

#[test]
fn a_big_file_shows_its_progress_on_a_terminal_with_and_without_an_agent() {
    let alone = Folder::new();
    let beside = Folder::new();
    for folder in [&alone, &beside] {
        folder.write("companies-big.csv", companies_csv(30_000, "Company"));
        assert_eq!(folder.run(&["status"]).code, 0);
    }
    let agent = beside.start_agent();
    for (folder, how) in [(&alone, "alone"), (&beside, "beside the agent")] {
        let Some((code, shown)) = on_a_terminal(folder, &["import", "companies-big.csv"]) else {
            eprintln!("skipped: `script` (util-linux) is not installed, so no terminal");
            return;
        };
        assert_eq!(code, 0, "{how}: {shown}");
        assert!(
            shown.contains("companies-big.csv: recording") && shown.contains(" of 30,000 rows"),
            "{how}: no progress bar: {shown}"
        );
        assert!(
            shown.contains("companies-big.csv: 30,000 rows read, 30,000 recorded"),
            "{how}: {shown}"
        );
    }
    // Not on a terminal: no bar at all.
    beside.write("companies-two.csv", companies_csv(3, "Other"));
    let plain = beside.run(&["import", "companies-two.csv"]);
    assert_eq!(plain.code, 0, "{}", said(&plain));
    assert!(!plain.stderr.contains('%'), "{}", said(&plain));
    drop(agent);
}
