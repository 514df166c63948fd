//! Runs every fuzz target's function (`twenty_sync::fuzzing`) over its committed seed corpus
//! (`fuzz/corpus/<target>/`) and over the crash reproducers (`fuzz/regressions/<target>/`), so CI
//! checks them without the fuzzer toolchain.

use std::path::Path;

use twenty_sync::fuzzing::TARGETS;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_survives_its_corpus_and_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, target) in TARGETS {
        let corpus = files(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "no seed corpus for {name}");
        let regressions = files(&root.join("regressions").join(name));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} panicked on {}", file.display());
        }
    }
}

#[test]
fn decoding_the_seed_events_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_event");
    let decoded = files(&dir)
        .iter()
        .filter(|f| twenty_sync::fuzzing::decode_event(&std::fs::read(f).unwrap()))
        .count();
    assert!(
        decoded >= 3,
        "the seed corpus holds real events ({decoded} decoded)"
    );
}

/// Writes real encoded events as seeds: `cargo test --test fuzz_corpus -- --ignored`.
#[test]
#[ignore]
fn write_decode_event_seeds() {
    use twenty_sync::domain::{
        EntityKind, Envelope, Event, IntentDraft, IntentFields, IntentSource,
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_event");
    std::fs::create_dir_all(&dir).unwrap();
    let draft = IntentDraft {
        external_id: Some("c1".into()),
        fields: IntentFields {
            name: Some("Acme".into()),
            website: Some("acme.com".into()),
            ..IntentFields::default()
        },
    };
    let sources = [
        IntentSource::Cli,
        IntentSource::Import {
            file: "companies.csv".into(),
            row: 7,
        },
        IntentSource::Relay {
            origin: "laptop".into(),
        },
    ];
    for (i, source) in sources.into_iter().enumerate() {
        let intent = twenty_sync::app::record::build_intent(
            EntityKind::Company,
            &draft,
            source,
            1_764_000_000_000,
        )
        .unwrap();
        let envelope = Envelope {
            schema_version: twenty_sync::domain::event::SCHEMA_VERSION,
            id: intent.id,
            seq: i as u64 + 1,
            recorded_at_ms: 1_764_000_000_000,
            event: Event::IntentRecorded(intent),
        };
        std::fs::write(dir.join(format!("intent-{i}")), envelope.encode()).unwrap();
    }
    std::fs::write(dir.join("garbage"), b"\x01\xff\xff\xff\xff\x00").unwrap();
}
