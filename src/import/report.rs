//! The error report `<file>.errors.csv`: one line per problem (row, column, value, message),
//! streamed to a hidden temporary file and moved into place at the end. Cells that a spreadsheet
//! would execute (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading
//! apostrophe. Reports are created 0600 and never written through a link.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Escapes a cell so spreadsheets show it as text instead of running it as a formula.
pub fn escape_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

const HEADER: [&str; 4] = ["row", "column", "value", "message"];

/// Our own hidden temporary file: removed when dropped, unless it was [`kept`](Self::keep)
/// (moved to its final place). An import that stops half-way, by an error or a panic, leaves
/// nothing behind.
#[derive(Debug)]
struct OwnTemp {
    path: PathBuf,
    /// True once the file exists (was created by us) and is not yet in its place.
    owned: bool,
}

impl OwnTemp {
    fn new(path: PathBuf) -> OwnTemp {
        OwnTemp { path, owned: false }
    }

    /// Hands the file over to a new guard; this one no longer removes it.
    fn hand_over(&mut self) -> OwnTemp {
        OwnTemp {
            path: self.path.clone(),
            owned: std::mem::replace(&mut self.owned, false),
        }
    }

    /// The file reached its place: nothing to remove.
    fn keep(&mut self) {
        self.owned = false;
    }
}

impl Drop for OwnTemp {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes report lines as they come; the file is created on the first line. Dropped before
/// [`ReportWriter::finish`], it removes its temporary file.
pub struct ReportWriter {
    // Declared before `temp`: the file is closed before it is removed.
    writer: Option<csv::Writer<BufWriter<File>>>,
    temp: OwnTemp,
    lines: u64,
    failure: Option<String>,
}

impl ReportWriter {
    /// A writer whose temporary file (hidden, so the watcher ignores it) lives in `staging`.
    pub fn new(staging: &Path, file_name: &str) -> ReportWriter {
        ReportWriter {
            writer: None,
            temp: OwnTemp::new(staging.join(format!(".twenty-sync-{file_name}.errors.csv.tmp"))),
            lines: 0,
            failure: None,
        }
    }

    /// Adds one problem. A report that cannot be written never stops the import; the failure is
    /// returned by [`ReportWriter::finish`].
    pub fn add(&mut self, row: Option<u64>, column: &str, value: &str, message: &str) {
        if self.failure.is_some() {
            return;
        }
        if let Err(error) = self.try_add(row, column, value, message) {
            self.failure = Some(error.to_string());
        }
    }

    fn try_add(
        &mut self,
        row: Option<u64>,
        column: &str,
        value: &str,
        message: &str,
    ) -> Result<(), csv::Error> {
        if self.writer.is_none() {
            // Our own hidden name: a leftover of a crash (or a link planted there) is removed,
            // never written through.
            let _ = std::fs::remove_file(&self.temp.path);
            let file = crate::safe_fs::create_private_new(&self.temp.path)?;
            self.temp.owned = true;
            let mut writer = csv::Writer::from_writer(BufWriter::new(file));
            writer.write_record(HEADER)?;
            self.writer = Some(writer);
        }
        let row = row.map(|r| r.to_string()).unwrap_or_default();
        if let Some(writer) = self.writer.as_mut() {
            writer.write_record([
                row.as_str(),
                &escape_cell(column),
                &escape_cell(value),
                &escape_cell(message),
            ])?;
        }
        self.lines += 1;
        Ok(())
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes the report; `Ok(None)` when nothing was reported. On a failure the temporary
    /// file is removed.
    pub fn finish(mut self) -> Result<Option<StagedReport>, String> {
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        let Some(writer) = self.writer.take() else {
            return Ok(None);
        };
        writer
            .into_inner()
            .map_err(|e| e.to_string())
            .and_then(|buffered| buffered.into_inner().map_err(|e| e.to_string()))
            .and_then(|file| file.sync_all().map_err(|e| e.to_string()))?;
        Ok(Some(StagedReport {
            temp: self.temp.hand_over(),
            lines: self.lines,
        }))
    }
}

/// A finished report waiting for its final place: dropped without being
/// [placed](StagedReport::place), it removes its temporary file.
#[derive(Debug)]
pub struct StagedReport {
    temp: OwnTemp,
    pub lines: u64,
}

impl StagedReport {
    /// Moves the report to `dir/name` (with a timestamp when the name is taken). When it cannot
    /// be moved, the temporary file is removed.
    pub fn place(mut self, dir: &Path, name: &str, now_ms: i64) -> io::Result<PathBuf> {
        let target = unique_path(dir, name, now_ms);
        move_file(&self.temp.path, &target)?;
        self.temp.keep();
        Ok(target)
    }

    /// Removes the temporary file (our own, never a person's file), as dropping it does.
    pub fn discard(self) {
        drop(self);
    }
}

/// Writes a one-line report explaining why a whole file was refused.
pub fn write_file_error(dir: &Path, name: &str, message: &str, now_ms: i64) -> io::Result<PathBuf> {
    let target = unique_path(dir, name, now_ms);
    let file = crate::safe_fs::create_private_new(&target)?;
    let mut writer = csv::Writer::from_writer(BufWriter::new(file));
    writer.write_record(HEADER)?;
    writer.write_record(["", "", "", &escape_cell(message)])?;
    writer.flush()?;
    let file = writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    file.sync_all()?;
    Ok(target)
}

/// `dir/name`, or `dir/<stem>-<UTC timestamp>[-n].<ext>` when that is taken.
pub fn unique_path(dir: &Path, name: &str, now_ms: i64) -> PathBuf {
    let plain = dir.join(name);
    if !exists(&plain) {
        return plain;
    }
    let stamp = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.format("%Y%m%dT%H%M%S%3fZ").to_string())
        .unwrap_or_else(|| now_ms.to_string());
    // Keep compound endings such as `.errors.csv` together.
    let (stem, ext) = match name.strip_suffix(super::REPORT_SUFFIX) {
        Some(stem) => (stem, &super::REPORT_SUFFIX[1..]),
        None => match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, ext),
            _ => (name, ""),
        },
    };
    let join = |suffix: String| {
        if ext.is_empty() {
            format!("{stem}-{suffix}")
        } else {
            format!("{stem}-{suffix}.{ext}")
        }
    };
    let mut candidate = dir.join(join(stamp.clone()));
    let mut n = 2u32;
    while exists(&candidate) {
        candidate = dir.join(join(format!("{stamp}-{n}")));
        n += 1;
    }
    candidate
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Renames, or copies then removes the original when the rename crosses file systems. The copy
/// opens neither end through a link and keeps the original's permissions.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
            let mut source = crate::safe_fs::open_no_follow(from)?;
            let meta = source.metadata()?;
            if !meta.is_file() {
                return Err(io::Error::other("not a regular file"));
            }
            let mut target = crate::safe_fs::create_private_new(to)?;
            io::copy(&mut source, &mut target)?;
            target.set_permissions(meta.permissions())?;
            target.sync_all()?;
            std::fs::remove_file(from)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests;
