//! Migration 0002: what is known of each Twenty server (`#servers`) gains whether the workspace
//! held records before the first sync (`ServerFact::WorkspacePopulated`). The row's encoding
//! changes, so it is folded again from the log's `ServerLearned` events (the same `learn` as the
//! live fold), in one write.

use super::Migration;
use crate::domain::projection::KnownServers;
use crate::store::{codec, keys};

pub const MIGRATION: Migration = Migration {
    version: 2,
    name: "server knowledge with the workspace's records",
    apply,
};

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    let tree = db.open_tree(keys::TREE)?;
    let servers = super::servers_from_log(&tree)?;
    if servers == KnownServers::default() {
        tree.remove(keys::SERVERS)?;
    } else {
        tree.insert(keys::SERVERS, codec::encode(&servers))?;
    }
    tree.flush()?;
    Ok(())
}
