//! Migration 0002: what is known of each Twenty server (`#servers`) gains whether the workspace
//! held records before the first sync (`ServerFact::WorkspacePopulated`). The row's encoding
//! changes, so it is folded again from the log's `ServerLearned` events (the same `learn` as the
//! live fold), in one write.

use super::Migration;
use crate::domain::projection::KnownServers;
use crate::domain::{Envelope, Event};
use crate::store::{codec, keys};

pub const MIGRATION: Migration = Migration {
    version: 2,
    name: "server knowledge with the workspace's records",
    apply,
};

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    let tree = db.open_tree(keys::TREE)?;
    let mut servers = KnownServers::default();
    for entry in tree.range(keys::event(0)..=keys::event(u64::MAX)) {
        let (_, bytes) = entry?;
        let envelope = Envelope::decode(&bytes).map_err(|error| {
            sled::Error::Unsupported(format!("an event cannot be read: {error}"))
        })?;
        if let Event::ServerLearned { server, fact } = envelope.event {
            servers.servers.entry(server).or_default().learn(&fact);
        }
    }
    if servers == KnownServers::default() {
        tree.remove(keys::SERVERS)?;
    } else {
        tree.insert(keys::SERVERS, codec::encode(&servers))?;
    }
    tree.flush()?;
    Ok(())
}
