//! Fuzz target `import_ndjson`: runs `twenty_sync::fuzzing::import_ndjson` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::import_ndjson(data);
});
