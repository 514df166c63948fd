//! Fuzz target `decode_event`: runs `twenty_sync::fuzzing::decode_event` on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = twenty_sync::fuzzing::decode_event(data);
});
