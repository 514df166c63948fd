//! Opening the store: the data directory's lock, the sled database, its format version, the
//! numbered migrations of `migrations/` (after a copy into `backups/`), the check that the
//! projections agree with the log, and the search indexer's thread. Newer and damaged stores are
//! refused, never written over.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::{Result, StoreError};
use super::indexer::{self, Indexer};
use super::{keys, lock, Inner, Store, BACKUPS_DIR_NAME, STORE_DIR_NAME};
use crate::clock::Clock;
use crate::migrations;

/// What opening the store did besides opening it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenReport {
    /// Migrations applied, by number.
    pub migrated: Vec<u32>,
    /// Where the pre-migration copy went.
    pub backup: Option<PathBuf>,
    /// The projections disagreed with the log and were rebuilt.
    pub rebuilt: bool,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Keep the search index up with the log on a background thread (else only
    /// [`Store::catch_up_search_index`] does: for tests and benchmarks that measure without it).
    pub background_indexer: bool,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            background_indexer: true,
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, taking its lock and migrating it.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        Store::open_with_report(data_dir, clock).map(|(store, _)| store)
    }

    pub fn open_with_report(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<(Store, OpenReport)> {
        Store::open_with_options(data_dir, clock, StoreOptions::default())
    }

    pub fn open_with_options(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        options: StoreOptions,
    ) -> Result<(Store, OpenReport)> {
        // Private (0700 / 0600), and tightened once when an older version left it readable.
        let tightened =
            crate::safe_fs::secure_data_dir(data_dir).map_err(|source| StoreError::DataDir {
                path: data_dir.to_path_buf(),
                source,
            })?;
        if let Some(notice) = tightened.notice(data_dir) {
            tracing::warn!("{notice}");
        }
        let lock = lock::StoreLock::acquire(data_dir)?;
        let path = data_dir.join(STORE_DIR_NAME);
        let mut report = OpenReport::default();

        // sled may read a damaged or foreign log as empty: an existing database file must never
        // be taken for a new store (and written over by the initial migration).
        let existed = std::fs::metadata(path.join("db")).is_ok_and(|m| m.len() > 0);
        let db = open_sled(&path)?;
        let found = read_format_version(&db, &path)?;
        let db = match found {
            Some(version) if version > migrations::CURRENT_FORMAT => {
                return Err(StoreError::TooNew {
                    path,
                    found: version,
                    known: migrations::CURRENT_FORMAT,
                })
            }
            Some(version) if version == migrations::CURRENT_FORMAT => db,
            None if !existed && is_blank(&db) => {
                report.migrated = run_migrations(&db, &path, 0, None)?;
                // Reopening once makes sled write its first snapshot; from then on sled detects
                // damage to the log instead of recovering it as an empty one.
                drop(db);
                open_sled(&path)?
            }
            None => {
                return Err(StoreError::Corrupt {
                    path,
                    detail: "it holds data but no format version".to_string(),
                })
            }
            Some(version) => {
                db.flush().map_err(|e| StoreError::from_sled(&path, e))?;
                drop(db);
                let backup = backup_store(data_dir, &path, version, clock.now_ms())?;
                let db = open_sled(&path)?;
                report.migrated = run_migrations(&db, &path, version, Some(&backup))?;
                report.backup = Some(backup);
                db
            }
        };

        let tree = db
            .open_tree(keys::TREE)
            .map_err(|e| StoreError::from_sled(&path, e))?;
        let next_seq = match tree
            .range(keys::event(0)..=keys::event(u64::MAX))
            .next_back()
            .transpose()
            .map_err(|e| StoreError::from_sled(&path, e))?
        {
            Some((key, _)) => {
                keys::seq_of(&key).ok_or_else(|| StoreError::Corrupt {
                    path: path.clone(),
                    detail: "an event key is not a sequence number".to_string(),
                })? + 1
            }
            None => 1,
        };
        let indexer = Arc::new(Indexer::new(tree.clone(), &path, next_seq - 1));
        let store = Store {
            inner: Arc::new(Inner {
                tree,
                db,
                path,
                clock,
                next_seq: Mutex::new(next_seq),
                appended: tokio::sync::watch::Sender::new(next_seq - 1),
                indexer: indexer.clone(),
                tail: Default::default(),
                indexer_thread: Mutex::new(None),
                _lock: lock,
            }),
        };
        if !store.projections_match_log()? {
            tracing::warn!("the projections disagree with the event log; rebuilding them");
            store.rebuild_projections()?;
            report.rebuilt = true;
        }
        if options.background_indexer {
            let thread = indexer::spawn(indexer).map_err(|source| StoreError::Io {
                path: store.path().to_path_buf(),
                detail: format!("the search indexer could not start: {source}"),
            })?;
            *store
                .inner
                .indexer_thread
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(thread);
        }
        // What sled (and a backup) just created, when the process umask is not 077.
        for dir in [store.path().to_path_buf(), data_dir.join(BACKUPS_DIR_NAME)] {
            if dir.is_dir() {
                let _ = crate::safe_fs::secure_data_dir(&dir);
            }
        }
        Ok((store, report))
    }
}

/// Opens sled, turning its errors and panics on damaged files into a clear refusal.
///
/// sled's own file lock outlives a dropped handle for a moment (its flusher thread lets go last).
/// We hold the data directory's lock, so a busy sled lock can only be our own closing handle:
/// wait for it, briefly.
pub(super) fn open_sled(path: &Path) -> Result<sled::Db> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(64 * 1024 * 1024)
        .flush_every_ms(Some(1_000));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()));
        return match opened {
            Ok(Ok(db)) => Ok(db),
            Ok(Err(sled::Error::Io(io))) if is_lock_busy(&io) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Ok(Err(sled::Error::Io(io))) if io.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(StoreError::DataDir {
                    path: path.to_path_buf(),
                    source: io,
                })
            }
            Ok(Err(sled::Error::Io(io))) if is_lock_busy(&io) => Err(StoreError::Io {
                path: path.to_path_buf(),
                detail: format!("the database file stayed locked: {io}"),
            }),
            Ok(Err(error)) => Err(match StoreError::from_sled(path, error) {
                StoreError::Io { path, detail } => StoreError::Corrupt { path, detail },
                other => other,
            }),
            Err(_) => Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: "the database files could not be read".to_string(),
            }),
        };
    }
}

/// sled reports its busy file lock as an I/O error wrapping `WouldBlock`.
fn is_lock_busy(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::WouldBlock
        || error.to_string().contains("could not acquire lock")
}

fn read_format_version(db: &sled::Db, path: &Path) -> Result<Option<u32>> {
    let tree = db
        .open_tree(keys::TREE)
        .map_err(|e| StoreError::from_sled(path, e))?;
    match tree
        .get(keys::FORMAT_VERSION)
        .map_err(|e| StoreError::from_sled(path, e))?
    {
        Some(bytes) => {
            let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: "the format version is malformed".to_string(),
            })?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
        None => Ok(None),
    }
}

/// True for a store that was just created: no tree holds anything.
fn is_blank(db: &sled::Db) -> bool {
    db.tree_names().iter().all(|name| {
        db.open_tree(name)
            .map(|tree| tree.is_empty())
            .unwrap_or(false)
    })
}

fn run_migrations(
    db: &sled::Db,
    path: &Path,
    from: u32,
    backup: Option<&Path>,
) -> Result<Vec<u32>> {
    let mut applied = Vec::new();
    for migration in migrations::MIGRATIONS.iter().filter(|m| m.version > from) {
        let failed = |detail: String| StoreError::MigrationFailed {
            path: path.to_path_buf(),
            to: migration.version,
            detail,
            backup: backup.map(Path::to_path_buf).unwrap_or_default(),
        };
        (migration.apply)(db).map_err(|e| failed(e.to_string()))?;
        db.open_tree(keys::TREE)
            .and_then(|tree| tree.insert(keys::FORMAT_VERSION, &migration.version.to_be_bytes()))
            .map_err(|e| failed(e.to_string()))?;
        db.flush().map_err(|e| failed(e.to_string()))?;
        applied.push(migration.version);
    }
    Ok(applied)
}

/// Copies the sled folder to `backups/store-v<version>-<time>` before a migration touches it.
fn backup_store(data_dir: &Path, store: &Path, version: u32, now_ms: i64) -> Result<PathBuf> {
    let backup = data_dir
        .join(BACKUPS_DIR_NAME)
        .join(format!("store-v{version}-{now_ms}"));
    copy_dir(store, &backup).map_err(|source| StoreError::DataDir {
        path: backup.clone(),
        source,
    })?;
    Ok(backup)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    crate::safe_fs::create_private_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
