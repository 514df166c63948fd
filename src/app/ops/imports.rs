//! Imports through the agent: a named file imported by the running agent (`twenty-sync import`
//! while the agent holds the store: the agent reads the file by its path — same machine, same
//! user — and records it exactly as the command would), the job's progress and result, and
//! every file the agent is reading now (the Imports screen's progress bars).
//!
//! An import can take minutes, so it is a job: [`StartImport`] answers at once with its number;
//! [`ImportJob`] answers its progress until it is done, then its [`ImportResult`] (once: the job
//! is forgotten when its result was read, or ten minutes after it finished).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{OpError, Operation};
use crate::app::Live;
use crate::import::{
    self, FileProgress, ImportError, ImportFields, ImportOptions, ImportResult, ReadProgress,
};

/// How long a finished job's result waits to be read.
const KEEP_RESULTS: Duration = Duration::from_secs(600);

/// Import a file the agent can read, by its full path (`twenty-sync import` beside a running
/// agent). The file stays where it is; the report of invalid rows is written beside it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartImport {
    pub path: String,
    /// Record nothing: count what would be created, updated or left unchanged.
    #[serde(default)]
    pub dry_run: bool,
    /// This run's column choices over the stored mapping: `COLUMN=FIELD[.PART]` each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub map: Vec<String>,
}

/// The job that imports the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStarted {
    pub job: u64,
}

impl Operation for StartImport {
    type Reply = ImportStarted;

    async fn run(self, live: &Live) -> Result<ImportStarted, OpError> {
        let path = PathBuf::from(&self.path);
        if !path.is_absolute() {
            return Err(OpError::BadRequest {
                message: "give the file's full path: the agent does not know your working folder"
                    .into(),
                field: Some("path".into()),
            });
        }
        let handle = live.handle().clone();
        if in_folder(&path, &handle.drop_dir()) {
            return Err(OpError::BadRequest {
                message: format!(
                    "{} is in the drop folder, which the running agent imports by itself; wait for it there (Imports shows it)",
                    path.display()
                ),
                field: Some("path".into()),
            });
        }
        let fields = import_fields(handle.store(), &handle.settings(), &self.map)?;
        let progress = Arc::new(ReadProgress::new(
            &path,
            "command",
            self.dry_run,
            handle.store().clock().now_ms(),
        ));
        let shown = handle.import_board().show(progress.clone());
        let jobs = live.import_jobs().clone();
        let job = jobs.start(progress.clone());
        let dry_run = self.dry_run;
        let work = tokio::task::spawn_blocking(move || {
            let _shown = shown;
            let options = ImportOptions {
                dry_run,
                progress: Some(progress),
                fields: Arc::new(fields),
                ..ImportOptions::default()
            };
            let result = import::import_file(handle.store(), &path, &options);
            jobs.finish(job, as_the_agent_read_it(&path, result, &handle.drop_dir()));
        });
        drop(work);
        Ok(ImportStarted { job })
    }
}

/// The fields in force for the agent's settings, with one run's `--map` on top.
pub fn import_fields(
    store: &crate::store::Store,
    settings: &crate::config::Settings,
    map: &[String],
) -> Result<ImportFields, OpError> {
    crate::app::fields::fields_in_force(store, settings)?
        .for_import()
        .with_one_run_map(map)
        .map_err(|e| OpError::BadRequest {
            message: e.to_string(),
            field: Some("map".into()),
        })
}

/// Whether `path` is directly inside `folder` (both resolved, links followed).
fn in_folder(path: &Path, folder: &Path) -> bool {
    let resolve = |p: &Path| std::fs::canonicalize(p).ok();
    match (path.parent().and_then(resolve), resolve(folder)) {
        (Some(parent), Some(folder)) => parent == folder,
        _ => false,
    }
}

/// The result of an import the agent ran for someone who could read the file themselves: when
/// the agent cannot see or read it, say so (it runs as another user, or in a sandbox).
fn as_the_agent_read_it(
    path: &Path,
    result: Result<import::ImportOutcome, ImportError>,
    drop_dir: &Path,
) -> ImportResult {
    match result {
        Err(
            ImportError::NotFound { .. }
            | ImportError::Vanished { .. }
            | ImportError::PermissionDenied { .. },
        ) => ImportResult {
            path: path.to_path_buf(),
            exit_code: 2,
            outcome: None,
            error: Some(format!(
                "the running agent cannot read {}: it runs as another user or in a sandbox; copy the file into the drop folder ({}) or stop the agent and import it again",
                path.display(),
                drop_dir.display()
            )),
        },
        other => ImportResult::new(path, other),
    }
}

/// How an import job is doing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportJob {
    pub job: u64,
}

/// A job's progress while it runs, then its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJobState {
    /// How far the reading got (until the result is there).
    pub progress: Option<FileProgress>,
    /// The file's result, once the import finished (answered once).
    pub result: Option<ImportResult>,
}

impl Operation for ImportJob {
    type Reply = ImportJobState;

    async fn run(self, live: &Live) -> Result<ImportJobState, OpError> {
        live.import_jobs().state(self.job).ok_or_else(|| {
            OpError::NotFound(format!(
                "no import job {} (it finished more than ten minutes ago, or the agent restarted); import the file again",
                self.job
            ))
        })
    }
}

/// Every file the agent is reading now (drop folder and `import` alike), oldest first. Live
/// updates carry the same list as `reading`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingImports {}

/// The files being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingFiles {
    pub files: Vec<FileProgress>,
}

impl Operation for ReadingImports {
    type Reply = ReadingFiles;

    async fn run(self, live: &Live) -> Result<ReadingFiles, OpError> {
        Ok(ReadingFiles {
            files: live.handle().import_board().files(),
        })
    }
}

/// The import jobs of a running agent.
#[derive(Debug, Default)]
pub struct ImportJobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Job>>,
}

#[derive(Debug)]
struct Job {
    progress: Arc<ReadProgress>,
    finished: Option<(Instant, ImportResult)>,
}

impl ImportJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn start(&self, progress: Arc<ReadProgress>) -> u64 {
        let job = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut jobs = self.lock();
        jobs.retain(|_, job| {
            job.finished
                .as_ref()
                .is_none_or(|(at, _)| at.elapsed() < KEEP_RESULTS)
        });
        jobs.insert(
            job,
            Job {
                progress,
                finished: None,
            },
        );
        job
    }

    fn finish(&self, job: u64, result: ImportResult) {
        if let Some(entry) = self.lock().get_mut(&job) {
            entry.finished = Some((Instant::now(), result));
        }
    }

    fn state(&self, job: u64) -> Option<ImportJobState> {
        let mut jobs = self.lock();
        let entry = jobs.get(&job)?;
        if entry.finished.is_none() {
            return Some(ImportJobState {
                progress: Some(entry.progress.snapshot()),
                result: None,
            });
        }
        let (_, result) = jobs.remove(&job)?.finished?;
        Some(ImportJobState {
            progress: None,
            result: Some(result),
        })
    }
}
