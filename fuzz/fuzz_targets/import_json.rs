//! Fuzz target `import_json`: runs `twenty_sync::fuzzing::import_json` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::import_json(data);
});
