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

/// The event seeds must include real envelopes (so the fuzzer starts from valid input, not only
/// from garbage) and each real one must still decode: a format change that breaks them shows here.
#[test]
fn the_event_seeds_are_real_envelopes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_event");
    let mut decoded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("intent-") {
            let bytes = std::fs::read(&path).unwrap();
            let envelope = twenty_sync::domain::Envelope::decode(&bytes)
                .unwrap_or_else(|e| panic!("{name} no longer decodes: {e}"));
            if bytes[0] == 1 {
                // Schema 1 (upcast when read): written again as the newest schema.
                let again = twenty_sync::domain::Envelope::decode(&envelope.encode()).unwrap();
                assert_eq!(again, envelope, "{name} does not round-trip");
            } else {
                assert_eq!(envelope.encode(), bytes, "{name} does not round-trip");
            }
            decoded += 1;
        }
    }
    assert!(
        decoded >= 3,
        "only {decoded} real envelopes among the seeds"
    );
}
