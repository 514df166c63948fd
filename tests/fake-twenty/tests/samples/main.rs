//! One test per section of `shared/twenty/real-server-samples.md`: each sends the documented
//! request to the fake in the matching profile (Aug-2025 build = `Legacy2025`, 2.4.0 =
//! `Current`) and asserts the literal status, body and, where the samples list them, headers.
//! The sections live in one module per topic; the shared client and sample literals in `support`.

mod errors;
mod external_id;
mod measured;
mod metadata;
mod records;
mod server;
mod support;
mod v2_4;
