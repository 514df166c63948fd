//! Tests of the Twenty client.
