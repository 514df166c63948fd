//! Tests of the Twenty client: wire-format goldens, error classification from real bodies,
//! retry and budget timing under paused tokio time, secret scrubbing, and HTTP behaviour
//! against the `fake-twenty` server (both profiles) and a small local axum server.

mod budget;
mod errors;
mod fake_http;
mod local_http;
mod retry;
mod target;
mod wire;
