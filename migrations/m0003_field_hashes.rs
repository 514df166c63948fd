//! Migration 0003 (issue 15, every field): a record's mapping (`m`) gains the hash of each field
//! Twenty holds from us (`Mapping::field_hashes`: updates send only the fields that changed), and
//! what is known of each server (`#servers`) gains its data model. Existing mappings get an empty
//! set, which means "send every field next time", as format 2 always did; `#servers` is folded
//! again from the log (as in 0002). The log is not rewritten (schema-1 events are upcast when
//! read). One atomic batch, and a mapping already in the new shape is left as it is, so a
//! migration killed half-way runs again cleanly.

use serde::Deserialize;

use super::Migration;
use crate::domain::fields::FieldHashes;
use crate::domain::projection::KnownServers;
use crate::domain::Mapping;
use crate::store::{codec, keys};

pub const MIGRATION: Migration = Migration {
    version: 3,
    name: "mappings with the hash of each field pushed",
    apply,
};

/// A mapping as format 2 stored it.
#[derive(Deserialize)]
struct MappingV2 {
    twenty_id: String,
    fields_hash: [u8; 16],
    last_synced_ms: i64,
}

fn apply(db: &sled::Db) -> Result<(), sled::Error> {
    let tree = db.open_tree(keys::TREE)?;
    let mut batch = sled::Batch::default();
    for entry in tree.scan_prefix([keys::MAPPING]) {
        let (key, bytes) = entry?;
        if let Ok(old) = codec::decode::<MappingV2>(&bytes, "mapping") {
            let new = Mapping {
                twenty_id: old.twenty_id,
                fields_hash: old.fields_hash,
                last_synced_ms: old.last_synced_ms,
                field_hashes: FieldHashes::new(),
            };
            batch.insert(key, codec::encode(&new));
        } else if codec::decode::<Mapping>(&bytes, "mapping").is_err() {
            let shown = String::from_utf8_lossy(&key[1..]).into_owned();
            return Err(sled::Error::Unsupported(format!(
                "the mapping of {shown} cannot be read; restore the backup or rebuild the store"
            )));
        }
    }
    let servers = super::servers_from_log(&tree)?;
    if servers == KnownServers::default() {
        batch.remove(keys::SERVERS);
    } else {
        batch.insert(keys::SERVERS, codec::encode(&servers));
    }
    tree.apply_batch(batch)?;
    tree.flush()?;
    Ok(())
}
