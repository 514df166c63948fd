//! When a drop-folder file is quiet: a file is taken once its size and modification time have
//! not changed for the stability delay (a copy or a download in progress keeps changing). Pure:
//! time is passed in, so the tests use fake instants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// What the watcher compares to decide a file stopped changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

impl Signature {
    pub fn of(meta: &std::fs::Metadata) -> Signature {
        Signature {
            size: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Tracked {
    signature: Signature,
    since: Instant,
    not_before: Option<Instant>,
}

/// Remembers when each waiting file last changed. Pure: time is passed in.
#[derive(Debug, Default)]
pub struct StabilityTracker {
    delay: Duration,
    files: HashMap<PathBuf, Tracked>,
}

impl StabilityTracker {
    pub fn new(delay: Duration) -> StabilityTracker {
        StabilityTracker {
            delay,
            files: HashMap::new(),
        }
    }

    /// Records what a file looks like now; a new or changed file starts waiting again.
    pub fn observe(&mut self, path: &Path, signature: Signature, now: Instant) {
        match self.files.get_mut(path) {
            Some(tracked) if tracked.signature == signature => {}
            Some(tracked) => {
                tracked.signature = signature;
                tracked.since = now;
            }
            None => {
                self.files.insert(
                    path.to_path_buf(),
                    Tracked {
                        signature,
                        since: now,
                        not_before: None,
                    },
                );
            }
        }
    }

    /// Stops tracking a file (imported, moved, gone).
    pub fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// Keeps a file waiting at least until `until` (a retry after a passing failure).
    pub fn defer(&mut self, path: &Path, until: Instant) {
        if let Some(tracked) = self.files.get_mut(path) {
            tracked.not_before = Some(until);
        }
    }

    /// The signature last observed for a file.
    pub fn signature(&self, path: &Path) -> Option<Signature> {
        self.files.get(path).map(|t| t.signature)
    }

    /// Files unchanged for the whole delay (and not deferred), oldest change first.
    pub fn due(&self, now: Instant) -> Vec<PathBuf> {
        let mut due: Vec<(Instant, &PathBuf)> = self
            .files
            .iter()
            .filter(|(_, t)| {
                now.saturating_duration_since(t.since) >= self.delay
                    && t.not_before.is_none_or(|at| at <= now)
            })
            .map(|(path, t)| (t.since, path))
            .collect();
        due.sort();
        due.into_iter().map(|(_, path)| path.clone()).collect()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests;
