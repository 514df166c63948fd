//! Where Twenty Sync keeps its data: the data directory and the well-known folders inside it.

use std::path::{Path, PathBuf};

/// The environment variable that names the data directory (also `--data-dir`).
pub const DATA_DIR_ENV: &str = "TWENTY_SYNC_DATA_DIR";

/// The OS data directory for the app (e.g. `~/.local/share/twenty-sync` on Linux), or
/// `./twenty-sync-data` when the OS gives none.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("com", "twentysync", "twenty-sync")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("twenty-sync-data"))
}

/// The folder of daily-rolling log files.
pub fn logs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The default drop folder for imports.
pub fn inbox_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("inbox")
}

/// Subfolder of the drop folder for imported files.
pub const PROCESSED_DIR: &str = "processed";
/// Subfolder of the drop folder for files nothing could be used from.
pub const FAILED_DIR: &str = "failed";
/// Suffix of the error report written beside a file.
pub const REPORT_SUFFIX: &str = ".errors.csv";
