//! Tests for the pipeline: last-wins dedupe, chunked recording with resume checkpoints,
//! duplicates and dry runs.

use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::domain::event::ImportCheckpoint;
use crate::domain::projection::{import_notes_key, import_resume_key};
use crate::domain::{fields_hash, IntentDraft, IntentSource, PushOutcome, RecordKey};
use crate::import::DryRunPlan;

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        &dir.path().join("data"),
        ManualClock::starting_at(1_764_000_000_000),
    )
    .expect("store");
    Fixture { dir, store }
}

impl Fixture {
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn run(&self, path: &Path, options: &ImportOptions) -> Result<ImportOutcome, ImportError> {
        let name = super::super::display_name(path);
        run(&self.store, path, &name, options, self.dir.path()).map(|(outcome, staged)| {
            if let Some(staged) = staged {
                staged.discard();
            }
            outcome
        })
    }

    fn intents(&self) -> Vec<crate::domain::Intent> {
        self.store
            .events_after(0, usize::MAX)
            .expect("events")
            .into_iter()
            .filter_map(|e| match e.event {
                Event::IntentRecorded(intent) => Some(intent),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn the_last_row_of_a_repeated_id_wins_and_the_rows_are_named() {
    let f = fixture();
    let path = f.file(
        "people.csv",
        "id,name,email\np1,Ada,ada@x.io\np2,Bob,bob@x.io\np1,Ada L,ada@x.io\np1,Ada King,ada@x.io\n",
    );
    let outcome = f.run(&path, &ImportOptions::default()).expect("imported");
    assert_eq!(
        (outcome.rows_read, outcome.recorded, outcome.duplicate_rows),
        (4, 2, 2)
    );
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("person p1 appears in rows 1, 3, 4") && w.contains("row 4")),
        "{:?}",
        outcome.warnings
    );
    let intents = f.intents();
    let names: Vec<_> = intents
        .iter()
        .map(|i| i.fields.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["Bob", "Ada King"]);
    assert_eq!(
        intents[1].source,
        IntentSource::Import {
            file: "people.csv".into(),
            row: 4
        }
    );
}

fn big_csv(rows: u64) -> String {
    let mut text = String::from("type,id,name\n");
    for i in 1..=rows {
        text.push_str(&format!("company,c{i},Company {i}\n"));
    }
    text
}

#[test]
fn large_files_are_recorded_in_chunks_with_checkpoints() {
    let f = fixture();
    let path = f.file("big.csv", &big_csv(25));
    let options = ImportOptions {
        chunk_rows: 10,
        ..ImportOptions::default()
    };
    let outcome = f.run(&path, &options).expect("imported");
    assert_eq!(outcome.recorded, 25);
    let kinds: Vec<&str> = f
        .store
        .events_after(0, usize::MAX)
        .expect("events")
        .iter()
        .map(|e| e.event.kind_name())
        .filter(|k| *k != "IntentRecorded")
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ImportNoted",
            "ImportProgress",
            "ImportProgress",
            "ImportCompleted"
        ],
        "a chunked import notes when it began, with its first chunk"
    );
    // The resume key is gone once the import completed.
    assert_eq!(
        f.store
            .import_seq(&import_resume_key(&outcome.content_hash))
            .expect("read"),
        None
    );
    assert!(f
        .store
        .import_seq(&outcome.content_hash)
        .expect("read")
        .is_some());
}

#[test]
fn an_interrupted_import_resumes_after_its_checkpoint_recording_each_row_once() {
    let f = fixture();
    let path = f.file("big.csv", &big_csv(25));
    let hash = blake3::hash(big_csv(25).as_bytes()).to_hex().to_string();
    // Simulate a crash after the first chunk: its intents and checkpoint are in the log.
    let mut first_chunk: Vec<Event> = (1..=10u64)
        .map(|i| {
            let draft = IntentDraft {
                values: Default::default(),
                external_id: Some(format!("c{i}")),
                fields: crate::domain::IntentFields {
                    name: Some(format!("Company {i}")),
                    ..Default::default()
                },
            };
            let source = IntentSource::Import {
                file: "big.csv".into(),
                row: i,
            };
            Event::IntentRecorded(
                draft
                    .into_intent(EntityKind::Company, uuid::Uuid::now_v7(), source, 0)
                    .expect("valid"),
            )
        })
        .collect();
    first_chunk.push(Event::ImportProgress(ImportCheckpoint {
        file_name: "big.csv".into(),
        content_hash: hash.clone(),
        through_row: 10,
        recorded: 10,
    }));
    f.store.append(first_chunk).expect("append");

    let options = ImportOptions {
        chunk_rows: 10,
        ..ImportOptions::default()
    };
    let outcome = f.run(&path, &options).expect("resumed");
    assert_eq!(outcome.resumed_after_row, Some(10));
    assert_eq!(outcome.recorded, 25);
    let notes_seq = f.store.import_seq(&import_notes_key(&hash)).expect("read");
    let notes = notes_seq.and_then(|seq| f.store.event(seq).expect("read"));
    assert!(
        matches!(notes.map(|e| e.event), Some(Event::ImportNoted(n)) if n.resumed_after_row == Some(10)),
        "the resumed part is noted as resumed"
    );
    let mut ids: Vec<String> = f.intents().into_iter().map(|i| i.external_id).collect();
    assert_eq!(ids.len(), 25, "each row exactly once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25);
    // Dropped again: a duplicate, nothing new.
    let again = f.run(&path, &options).expect("duplicate");
    assert!(again.duplicate_of_seq.is_some());
    assert_eq!(f.intents().len(), 25);
}

#[test]
fn the_same_content_is_imported_once() {
    let f = fixture();
    let path = f.file("companies.csv", "id,name\nc1,Acme\n");
    let first = f.run(&path, &ImportOptions::default()).expect("imported");
    let copy = f.file("companies-copy.csv", "id,name\nc1,Acme\n");
    let second = f.run(&copy, &ImportOptions::default()).expect("duplicate");
    assert_eq!(second.duplicate_of_seq, first.import_seq);
    assert_eq!(second.recorded, 0);
    assert_eq!(second.exit_code(), 0);
    assert_eq!(f.intents().len(), 1);
    assert_eq!(f.store.counters().expect("counters").imports, 2);
}

#[test]
fn a_dry_run_compares_with_the_mappings_and_records_nothing() {
    let f = fixture();
    let path = f.file("companies.csv", "id,name\nc1,Acme\nc2,Beta\nc3,Gamma\n");
    // c1 was pushed with the same fields, c2 with other fields, c3 never.
    let intent = |id: &str, name: &str| {
        let draft = IntentDraft {
            values: Default::default(),
            external_id: Some(id.into()),
            fields: crate::domain::IntentFields {
                name: Some(name.into()),
                ..Default::default()
            },
        };
        draft
            .into_intent(
                EntityKind::Company,
                uuid::Uuid::now_v7(),
                IntentSource::Cli,
                0,
            )
            .expect("valid")
    };
    for (id, name) in [("c1", "Acme"), ("c2", "Old Beta")] {
        let intent = intent(id, name);
        f.store
            .append(vec![
                Event::IntentRecorded(intent.clone()),
                Event::PushSucceeded {
                    field_hashes: Default::default(),
                    intent_id: intent.id,
                    key: RecordKey::new(EntityKind::Company, id),
                    twenty_id: format!("t-{id}"),
                    outcome: PushOutcome::Created,
                    fields_hash: fields_hash(EntityKind::Company, &intent.fields, &intent.values),
                },
            ])
            .expect("append");
    }
    let before = f.store.last_seq();
    let options = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let outcome = f.run(&path, &options).expect("dry run");
    assert_eq!(
        outcome.dry_run,
        Some(DryRunPlan {
            create: 1,
            update: 1,
            unchanged: 1
        })
    );
    assert_eq!(outcome.recorded, 0);
    assert_eq!(f.store.last_seq(), before, "nothing recorded");
}

#[test]
fn a_dry_run_lists_every_invalid_row_and_stages_the_report() {
    let f = fixture();
    let path = f.file(
        "people.csv",
        "id,name,email\np1,Ada,nope\n,Bob,bob@x.io\np3,Cy,cy@x.io\n",
    );
    let options = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let name = super::super::display_name(&path);
    let (outcome, staged) = run(&f.store, &path, &name, &options, f.dir.path()).expect("dry run");
    let listed: Vec<(u64, &str)> = outcome
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(listed, vec![(1, "email"), (2, "id")]);
    assert_eq!(outcome.problems[0].value, "nope");
    assert!(staged.is_some(), "a dry run writes the report too");
    assert_eq!(f.store.last_seq(), 0);
}

#[test]
fn people_whose_company_row_is_invalid_are_warned_about_and_noted() {
    let f = fixture();
    let path = f.file(
        "contacts.csv",
        "type,id,name,email,company_id\ncompany,c-9,,,\nperson,p1,Ada,ada@x.io,c-9\nperson,p2,Bob,bob@x.io,c-1\ncompany,c-1,Acme,,\n",
    );
    let outcome = f.run(&path, &ImportOptions::default()).expect("imported");
    let orphan: Vec<&String> = outcome
        .warnings
        .iter()
        .filter(|w| w.contains("without a company"))
        .collect();
    assert_eq!(orphan.len(), 1, "{:?}", outcome.warnings);
    assert!(orphan[0].contains("company c-9 (row 1)") && orphan[0].contains("(row 2)"));
    let noted = f
        .store
        .events_after(0, usize::MAX)
        .expect("events")
        .into_iter()
        .find_map(|e| match e.event {
            Event::ImportNoted(notes) => Some(notes),
            _ => None,
        })
        .expect("the warnings are recorded");
    assert!(noted.warnings.contains(orphan[0]));
}

#[test]
fn a_file_with_no_valid_row_records_nothing() {
    let f = fixture();
    let path = f.file("people.csv", "id,name,email\np1,Ada,nope\n,Bob,bob@x.io\n");
    let outcome = f.run(&path, &ImportOptions::default()).expect("read");
    assert!(outcome.nothing_usable());
    assert_eq!((outcome.invalid, outcome.exit_code()), (2, 2));
    assert_eq!(f.store.last_seq(), 0);
}

#[test]
fn too_many_rows_are_refused() {
    let f = fixture();
    let path = f.file("big.csv", &big_csv(5));
    let options = ImportOptions {
        max_rows: 3,
        ..ImportOptions::default()
    };
    assert!(matches!(
        f.run(&path, &options),
        Err(ImportError::TooManyRows { limit: 3, .. })
    ));
    assert_eq!(f.store.last_seq(), 0);
}

#[test]
fn a_file_refused_after_its_report_began_leaves_no_temporary_file() {
    let f = fixture();
    let path = f.file(
        "people.csv",
        "id,name,email\np0,Bad,nope\np1,A,a@x.io\np2,B,b@x.io\np3,C,c@x.io\np4,D,d@x.io\n",
    );
    let options = ImportOptions {
        max_rows: 3,
        ..ImportOptions::default()
    };
    assert!(matches!(
        f.run(&path, &options),
        Err(ImportError::TooManyRows { limit: 3, .. })
    ));
    let mut names: Vec<_> = std::fs::read_dir(f.dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["data", "people.csv"]);
}

#[test]
fn file_level_problems_are_errors() {
    let f = fixture();
    type Expect = fn(&ImportError) -> bool;
    let cases: Vec<(&str, &[u8], Expect)> = vec![
        ("companies-empty.csv", b"", |e| {
            matches!(e, ImportError::Empty { .. })
        }),
        ("companies-header.csv", b"id,name\n", |e| {
            matches!(e, ImportError::NoRows { .. })
        }),
        ("companies-list.json", b"[]", |e| {
            matches!(e, ImportError::NoRows { .. })
        }),
        ("companies-bin.csv", b"\x00\x01\x02\x03garbage", |e| {
            matches!(e, ImportError::Binary { .. })
        }),
        ("export.csv", b"id,name\nc1,x\n", |e| {
            matches!(e, ImportError::UnknownKind { .. })
        }),
        ("export.json", b"[{\"id\":1,\"name\":\"x\"}]", |e| {
            matches!(e, ImportError::UnknownKind { .. })
        }),
    ];
    for (name, bytes, expected) in cases {
        let path = f.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let error = f.run(&path, &ImportOptions::default()).expect_err(name);
        assert!(expected(&error), "{name}: {error}");
        assert_eq!(
            error.disposition(),
            super::super::Disposition::Fail,
            "{name}"
        );
    }
    let missing = f.run(&f.dir.path().join("missing.csv"), &ImportOptions::default());
    assert!(
        matches!(&missing, Err(ImportError::NotFound { .. })),
        "{missing:?}"
    );
    assert!(missing
        .expect_err("missing")
        .to_string()
        .contains("missing.csv does not exist"));
    assert!(matches!(
        f.run(f.dir.path(), &ImportOptions::default()),
        Err(ImportError::NotAFile { .. })
    ));
    assert_eq!(f.store.last_seq(), 0);
}

#[test]
fn progress_is_reported() {
    let f = fixture();
    let text = "id,name\nc1,Acme\n";
    let path = f.file("companies.csv", text);
    let progress = Arc::new(ReadProgress::new(&path, "command", false, 0));
    let options = ImportOptions {
        progress: Some(progress.clone()),
        ..ImportOptions::default()
    };
    f.run(&path, &options).expect("imported");
    let seen = progress.snapshot();
    assert_eq!(seen.bytes_total, text.len() as u64);
    assert_eq!((seen.rows_done, seen.rows_total), (1, Some(1)));
    assert_eq!(seen.step, ImportStep::Recording);
    assert_eq!(seen.percent, 100);
}
