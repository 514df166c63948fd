//! Fuzz target `api_request`: runs `twenty_sync::fuzzing::api_request` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::api_request(data);
});
