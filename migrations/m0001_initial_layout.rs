//! Migration 0001: the initial layout: one sled tree, `main`, holding the event log and every
//! projection under one-byte prefixes (see `src/store/keys.rs` for the table), so that an append
//! and its projection changes are one atomic batch.

use super::Migration;

pub const MIGRATION: Migration = Migration {
    version: 1,
    name: "initial layout",
    apply,
};

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    db.open_tree("main")?;
    Ok(())
}
