//! Fuzz target `import_csv`: runs `twenty_sync::fuzzing::import_csv` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::import_csv(data);
});
