//! `StoreError`: everything that can go wrong opening or writing the store, each variant saying
//! what the person should do about it.

use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store: stop it or use another data dir. Not retryable by itself.
    #[error("the store in {data_dir} is in use by {holder}; stop that process or use another --data-dir")]
    InUse { data_dir: PathBuf, holder: String },

    /// The data directory cannot be created, read or written: fix permissions or pick another one.
    #[error("cannot use the data directory {path}: {source}; check that it exists and that you may read and write it, or pass another --data-dir")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The on-disk data is damaged. Nothing was overwritten; the person must restore or move it.
    #[error("the store in {path} is damaged ({detail}); it was left untouched: move it aside or restore a copy from the backups folder, then start again")]
    Corrupt { path: PathBuf, detail: String },

    /// The store was written by a newer twenty-sync: upgrade the binary.
    #[error("the store in {path} has format version {found}, but this twenty-sync only knows up to {known}; install a newer twenty-sync")]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    /// A migration failed; the backup taken before it is intact.
    #[error("migrating the store in {path} to format {to} failed ({detail}); your data is safe in the backup {backup}")]
    MigrationFailed {
        path: PathBuf,
        to: u32,
        detail: String,
        backup: PathBuf,
    },

    /// The disk is full: nothing was recorded. Free some space and try again.
    #[error(
        "the disk holding {path} is full; nothing was recorded: free some space and try again"
    )]
    DiskFull { path: PathBuf },

    /// Any other I/O failure while reading or writing; nothing was recorded by the failed call.
    #[error("reading or writing the store in {path} failed: {detail}; nothing was recorded by this call, try again")]
    Io { path: PathBuf, detail: String },
}

impl StoreError {
    /// Maps a sled error on the store in `path` to what the person should do about it.
    pub(crate) fn from_sled(path: &std::path::Path, error: sled::Error) -> StoreError {
        match error {
            sled::Error::Io(io) if is_disk_full(&io) => StoreError::DiskFull {
                path: path.to_path_buf(),
            },
            sled::Error::Io(io) => StoreError::Io {
                path: path.to_path_buf(),
                detail: io.to_string(),
            },
            sled::Error::Corruption { .. } => StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: error.to_string(),
            },
            other => StoreError::Io {
                path: path.to_path_buf(),
                detail: other.to_string(),
            },
        }
    }
}

fn is_disk_full(error: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    error.kind() == std::io::ErrorKind::StorageFull || error.raw_os_error() == Some(ENOSPC)
}
