//! Fuzz target `twenty_response`: runs `twenty_sync::fuzzing::twenty_response` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::twenty_response(data);
});
