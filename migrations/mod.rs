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

/// What is known of each server, folded from the log's `ServerLearned` events with the live
/// fold's `learn` (for the migrations whose `#servers` row changed shape: 0002, 0003).
fn servers_from_log(
    tree: &sled::Tree,
) -> Result<crate::domain::projection::KnownServers, sled::Error> {
    use crate::domain::{Envelope, Event};
    use crate::store::keys;
    let mut servers = crate::domain::projection::KnownServers::default();
    for entry in tree.range(keys::event(0)..=keys::event(u64::MAX)) {
        let (_, bytes) = entry?;
        let envelope = Envelope::decode(&bytes).map_err(|error| {
            sled::Error::Unsupported(format!("an event cannot be read: {error}"))
        })?;
        if let Event::ServerLearned { server, fact } = envelope.event {
            servers.servers.entry(server).or_default().learn(&fact);
        }
    }
    Ok(servers)
}
