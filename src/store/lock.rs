//! The single-process lock on a data directory: a `store.lock` file holding the owner's pid, locked
//! with an OS advisory lock so a crashed owner never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::error::{Result, StoreError};

pub const LOCK_FILE_NAME: &str = "store.lock";

/// Held for as long as the store is open; the OS releases it when the process ends.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl StoreLock {
    pub fn acquire(data_dir: &Path) -> Result<StoreLock> {
        let path = data_dir.join(LOCK_FILE_NAME);
        let data_dir_error = |source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(data_dir_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("pid {pid}"),
                    Err(_) => "another process".to_string(),
                };
                return Err(StoreError::InUse {
                    data_dir: data_dir.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(source)) => return Err(data_dir_error(source)),
        }
        file.set_len(0).map_err(data_dir_error)?;
        file.seek(SeekFrom::Start(0)).map_err(data_dir_error)?;
        write!(file, "{}", std::process::id()).map_err(data_dir_error)?;
        file.sync_all().map_err(data_dir_error)?;
        Ok(StoreLock { _file: file })
    }
}
