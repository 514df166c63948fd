//! HTTP-level tests of the fake: envelopes, duplicates, batches, auth and not-found per profile,
//! upsert, metadata, faults (drop-after-commit, down/up, 5xx, hang), rate limits, control API.
//! One module per topic; the shared client in `support`.

mod control;
mod errors;
mod faults;
mod field_values;
mod fields;
mod metadata;
mod rate_limits;
mod records;
mod support;
