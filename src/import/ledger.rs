//! The error reports the agent itself wrote into the drop folder: one JSON line per report
//! (its path, device and inode) in `<data dir>/reports.jsonl` (0600). The imports history and
//! the report endpoint show only these, opened without following a link and checked to be the
//! very file that was written, so a file or link someone else put in `processed/` or `failed/`
//! is never read or served.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::safe_fs::{self, FileId};
use crate::store::Store;

/// The ledger's file name in the data directory.
pub const LEDGER_FILE: &str = "reports.jsonl";

/// One report the agent wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenReport {
    pub path: PathBuf,
    pub id: FileId,
    pub at_ms: i64,
}

/// The ledger of the store's data directory.
pub fn ledger_of(store: &Store) -> PathBuf {
    let data_dir = store.data_dir();
    data_dir.join(LEDGER_FILE)
}

/// The key a report is known by: its absolute path.
fn key(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Notes that the agent wrote `report` (a regular file it just placed).
pub fn record(ledger: &Path, report: &Path, at_ms: i64) -> std::io::Result<()> {
    let meta = report.symlink_metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("the report is not a regular file"));
    }
    let entry = WrittenReport {
        path: key(report),
        id: FileId::of(&meta),
        at_ms,
    };
    let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut file = safe_fs::open_append_private(ledger)?;
    file.write_all(&line)?;
    file.sync_data()
}

/// Every report the agent wrote, by absolute path (the newest entry of a path wins). A missing
/// or unreadable ledger (or a link in its place) knows nothing.
pub fn known(ledger: &Path) -> HashMap<PathBuf, FileId> {
    let mut known = HashMap::new();
    let Ok(file) = safe_fs::open_no_follow(ledger) else {
        return known;
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return known;
    }
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else {
            break;
        };
        if let Ok(entry) = serde_json::from_str::<WrittenReport>(&line) {
            known.insert(entry.path, entry.id);
        }
    }
    known
}

/// Opens `<drop dir>/<dir>/<name>` only if it is a report the agent wrote: `dir` is a real
/// folder (not a link), the file is opened without following a link, is a regular file, and
/// is the same file (device and inode) the ledger names.
pub fn open_known(
    known: &HashMap<PathBuf, FileId>,
    drop_dir: &Path,
    dir: &str,
    name: &str,
) -> Option<File> {
    let folder = drop_dir.join(dir);
    if !folder.symlink_metadata().ok()?.is_dir() {
        return None;
    }
    let path = folder.join(name);
    let expected = known.get(&key(&path))?;
    let file = safe_fs::open_no_follow(&path).ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && FileId::of(&meta) == *expected).then_some(file)
}

#[cfg(test)]
mod tests;
