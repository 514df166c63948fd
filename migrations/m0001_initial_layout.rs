//! Migration 0001: the initial layout: the `events` log (u64 big-endian sequence → bincode
//! envelope), the projection trees `mappings`, `pending`, `queue`, `failed`, `imports`, and `meta`
//! (format version, counters).

use super::Migration;

pub const MIGRATION: Migration = Migration {
    version: 1,
    name: "initial layout",
    apply,
};

const TREES: [&str; 7] = [
    "events", "mappings", "pending", "queue", "failed", "imports", "meta",
];

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    for name in TREES {
        db.open_tree(name)?;
    }
    Ok(())
}
