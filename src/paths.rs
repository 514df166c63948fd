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

/// Writes a file only its owner may read (mode 0600 on Unix), atomically: the bytes go to a
/// temporary file beside it, created 0600 and synced, which then replaces the file.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temp);
    let mut file = crate::safe_fs::create_private_new(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)
}
