//! Migration 0002: the search index (`s` keys: external id, Twenty id, name, e-mail), a projection
//! like the others. The migration only asks for it: it leaves `#rebuild_projections`, and the
//! store, once open, rebuilds every projection from the log and removes the request in the same
//! atomic batch (so an interrupted rebuild is done again at the next open).

use super::Migration;

pub const MIGRATION: Migration = Migration {
    version: 2,
    name: "search index",
    apply,
};

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    db.open_tree("main")?
        .insert(b"#rebuild_projections", &[][..])?;
    Ok(())
}
