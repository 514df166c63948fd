//! Numbered, forward-only migrations of the store's on-disk format, run in order by the store when
//! it opens a store whose format version is older than [`CURRENT_FORMAT`].
//!
//! Rules: never edit a shipped migration; add `mNNNN_what_it_does.rs` with the next number, list it
//! in [`MIGRATIONS`] and raise [`CURRENT_FORMAT`]. A migration receives the open database after a
//! backup copy was taken, and must leave it consistent when it returns `Ok`. Event envelopes whose
//! encoding changes need an upcaster here and a new `SCHEMA_VERSION`.

mod m0001_initial_layout;
mod m0002_server_knowledge;
mod m0003_field_hashes;

/// One step of the on-disk format.
pub struct Migration {
    /// The format version the store has after this migration.
    pub version: u32,
    pub name: &'static str,
    pub apply: fn(&sled::Db) -> Result<(), sled::Error>,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    m0001_initial_layout::MIGRATION,
    m0002_server_knowledge::MIGRATION,
    m0003_field_hashes::MIGRATION,
];

/// The format version this binary writes.
pub const CURRENT_FORMAT: u32 = 3;
