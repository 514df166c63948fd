//! The key layout of the store's one sled tree. Every record of the store lives in the tree
//! `main`, under a one-byte prefix, so that one atomic sled batch can append events and update
//! their projections together. Part of the on-disk format: change it only with a migration.
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `E` | sequence number (u64, big-endian) | event envelope (bincode) |
//! | `m` | record key (kind byte + external id) | mapping |
//! | `p` | record key | pending entry |
//! | `q` | sequence number | record key (the queue, in log order) |
//! | `f` | record key | parked failure |
//! | `d` | record key | what is known of a record's failure beyond Twenty's message (conflict, dismissal) |
//! | `i` | content hash (`resume:<hash>`, `notes:<hash>`) | sequence number of the first import (of the latest checkpoint of an unfinished one, of the latest `ImportNoted`) |
//! | `r` | intent id (16 bytes) | sequence number of an intent received as a relay |
//! | `s` | search term: class byte (`0` external id, `1` Twenty id, `2` name or e-mail, `3` later word of a name), normalised text, NUL, record key | for class `0`, what the index holds of the record (its newest name and e-mail, its Twenty id); else empty. Written by the indexer, behind the log: an older binary that ignores them leaves the store valid |
//! | `#` | name | store metadata (format version, counters, `#config`: the persisted configuration, `#forwarded`: what the upstream relay accepted, `#servers`: what is known of each Twenty server, `#search_watermark`: the sequence number of the last event the search index holds, absent = none) |

use crate::domain::projection::search::{normalise, IndexTerm, TermClass};
use crate::domain::RecordKey;

/// The name of the sled tree holding everything.
pub const TREE: &str = "main";

pub const EVENT: u8 = b'E';
pub const MAPPING: u8 = b'm';
pub const PENDING: u8 = b'p';
pub const QUEUE: u8 = b'q';
pub const FAILED: u8 = b'f';
pub const FAILURE_DETAIL: u8 = b'd';
pub const IMPORT: u8 = b'i';
pub const RELAYED: u8 = b'r';
pub const SEARCH: u8 = b's';

pub const FORMAT_VERSION: &[u8] = b"#format_version";
pub const COUNTERS: &[u8] = b"#counters";
/// The persisted configuration ([`crate::domain::StoredConfig`]); never holds a secret value.
pub const CONFIG: &[u8] = b"#config";
/// What the upstream relay accepted ([`crate::domain::ForwardCounters`]).
pub const FORWARDED: &[u8] = b"#forwarded";
/// What is known of each Twenty server ([`crate::domain::projection::KnownServers`]).
pub const SERVERS: &[u8] = b"#servers";
/// The sequence number of the last event the search index holds; written with the index's
/// entries, in their batch.
pub const SEARCH_WATERMARK: &[u8] = b"#search_watermark";

fn prefixed(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + rest.len());
    key.push(prefix);
    key.extend_from_slice(rest);
    key
}

pub fn event(seq: u64) -> [u8; 9] {
    let mut key = [EVENT; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

pub fn queue(seq: u64) -> [u8; 9] {
    let mut key = [QUEUE; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The sequence number in an `E` or `q` key.
pub fn seq_of(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.get(1..9)?.try_into().ok()?))
}

pub fn mapping(key: &RecordKey) -> Vec<u8> {
    prefixed(MAPPING, &key.to_bytes())
}

pub fn pending(key: &RecordKey) -> Vec<u8> {
    prefixed(PENDING, &key.to_bytes())
}

pub fn failed(key: &RecordKey) -> Vec<u8> {
    prefixed(FAILED, &key.to_bytes())
}

pub fn failure_detail(key: &RecordKey) -> Vec<u8> {
    prefixed(FAILURE_DETAIL, &key.to_bytes())
}

pub fn import(content_hash: &str) -> Vec<u8> {
    prefixed(IMPORT, content_hash.as_bytes())
}

pub fn relayed(intent_id: &uuid::Uuid) -> Vec<u8> {
    prefixed(RELAYED, intent_id.as_bytes())
}

/// A term of the search index.
pub fn search_term(term: &IndexTerm) -> Vec<u8> {
    prefixed(SEARCH, &term.to_bytes())
}

/// What the search index holds of a record: its external-id term.
pub fn search_record(key: &RecordKey) -> Vec<u8> {
    search_term(&IndexTerm::new(
        TermClass::ExternalId,
        &normalise(&key.external_id),
        key,
    ))
}

/// The intent id in an `r` key.
pub fn relayed_id_of(key: &[u8]) -> Option<uuid::Uuid> {
    uuid::Uuid::from_slice(key.get(1..)?).ok()
}

/// The record key in an `m`, `p`, `f` or `d` key.
pub fn record_of(key: &[u8]) -> Option<RecordKey> {
    RecordKey::from_bytes(key.get(1..)?)
}
