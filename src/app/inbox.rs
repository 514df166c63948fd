//! Copying a file into the drop folder from the UI (upload or file picker): a safe name (an
//! import file's ending), a size limit, and the bytes written to a new hidden `.tmp` file (which
//! the watcher ignores) then given its name, so the watcher never sees half a file. The copy is
//! 0600 and never written through a link: the temporary file is created new (`O_EXCL`), and
//! the final name is taken only if nothing is there (a link included), else `name-2`, ….

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest file the UI may copy into the drop folder.
pub const MAX_UPLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file was not copied into the drop folder.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The name is empty or has an ending the importer does not read: rename the file.
    #[error("'{name}' cannot be imported: use a .csv, .tsv, .json, .ndjson or .jsonl file")]
    BadName { name: String },
    /// Too big for the UI: copy it into the drop folder directly, or split it.
    #[error("the file is larger than {} MB; copy it into the drop folder directly or split it", MAX_UPLOAD_BYTES / (1024 * 1024))]
    TooLarge,
    /// The drop folder cannot be written: check its permissions and free space.
    #[error("cannot write into the drop folder {path}: {detail}; check that it exists, that it may be written and that the disk has space")]
    Io { path: PathBuf, detail: String },
}

/// A file name safe to create in the drop folder: the last path component, only letters,
/// digits, spaces and `-_.()`, no leading dot, at most 120 characters, an accepted ending.
pub fn safe_file_name(name: &str) -> Result<String, UploadError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches(['.', ' ']).to_string();
    let cleaned: String = if cleaned.chars().count() > 120 {
        let ext = cleaned.rsplit_once('.').map(|(_, e)| e.to_string());
        let head: String = cleaned.chars().take(100).collect();
        match ext {
            Some(ext) => format!("{head}.{ext}"),
            None => head,
        }
    } else {
        cleaned
    };
    if crate::import::is_import_name(&cleaned) {
        Ok(cleaned)
    } else {
        Err(UploadError::BadName {
            name: last.to_string(),
        })
    }
}

/// A file being written into the drop folder.
pub struct InboxWriter {
    temp: PathBuf,
    target_dir: PathBuf,
    name: String,
    file: Option<File>,
    written: u64,
}

impl InboxWriter {
    /// Starts `<drop dir>/<name>.tmp` (creating the drop folder if needed).
    pub fn create(drop_dir: &Path, name: &str) -> Result<InboxWriter, UploadError> {
        let name = safe_file_name(name)?;
        let io = |e: std::io::Error| UploadError::Io {
            path: drop_dir.to_path_buf(),
            detail: e.to_string(),
        };
        crate::safe_fs::create_private_dir_all(drop_dir).map_err(io)?;
        let temp = drop_dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let file = crate::safe_fs::create_private_new(&temp).map_err(io)?;
        Ok(InboxWriter {
            temp,
            target_dir: drop_dir.to_path_buf(),
            name,
            file: Some(file),
            written: 0,
        })
    }

    /// Appends bytes; refuses (and removes the partial file) past [`MAX_UPLOAD_BYTES`].
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), UploadError> {
        self.written += bytes.len() as u64;
        if self.written > MAX_UPLOAD_BYTES {
            self.abort();
            return Err(UploadError::TooLarge);
        }
        let result = match self.file.as_mut() {
            Some(file) => file.write_all(bytes),
            None => Err(std::io::Error::other("the file was already closed")),
        };
        result.map_err(|e| self.fail(e))
    }

    /// Flushes to disk and renames into place (`name`, or `name-2`, `name-3` … when taken).
    /// Returns the final path.
    pub fn finish(mut self) -> Result<PathBuf, UploadError> {
        let Some(file) = self.file.take() else {
            return Err(self.fail(std::io::Error::other("the file was already closed")));
        };
        file.sync_all().map_err(|e| self.fail(e))?;
        drop(file);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let target = free_name(&self.target_dir, &self.name);
            match place_new(&self.temp, &target) {
                Ok(()) => return Ok(target),
                // Taken meanwhile (by a file or a link): the next free name.
                Err(error)
                    if error.kind() == std::io::ErrorKind::AlreadyExists && attempts < 20 => {}
                Err(error) => return Err(self.fail(error)),
            }
        }
    }

    /// Removes the partial file.
    pub fn abort(&mut self) {
        self.file = None;
        let _ = std::fs::remove_file(&self.temp);
    }

    fn fail(&mut self, error: std::io::Error) -> UploadError {
        self.abort();
        UploadError::Io {
            path: self.target_dir.clone(),
            detail: error.to_string(),
        }
    }
}

impl Drop for InboxWriter {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.abort();
        }
    }
}

/// Gives `temp` the name `target` only if nothing is there: a hard link (which never follows or
/// replaces anything) then removing `temp`; where the file system has no hard links, a rename
/// right after checking that the name is free.
fn place_new(temp: &Path, target: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(temp, target) {
        Ok(()) => {
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Err(error),
        Err(_) => {
            if target.symlink_metadata().is_ok() {
                return Err(std::io::ErrorKind::AlreadyExists.into());
            }
            std::fs::rename(temp, target)
        }
    }
}

fn free_name(dir: &Path, name: &str) -> PathBuf {
    let plain = dir.join(name);
    if plain.symlink_metadata().is_err() {
        return plain;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2u32..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|candidate| candidate.symlink_metadata().is_err())
        .unwrap_or(plain)
}

/// The drop folder the agent watches: the setting, else `<data dir>/inbox`.
pub fn drop_dir(settings: &crate::config::Settings, data_dir: &Path) -> PathBuf {
    settings
        .drop_dir
        .clone()
        .unwrap_or_else(|| crate::paths::inbox_dir(data_dir))
}

/// What choosing a folder as the drop folder would do, shown before it is saved (the UI) and
/// after `config set drop_dir`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DropDirCheck {
    /// The folder as given (empty: back to the default `<data dir>/inbox`).
    pub path: String,
    /// Why it cannot be the drop folder (one sentence); `None` when it can.
    pub refused: Option<String>,
    /// Import files in it now: imported as soon as it is saved.
    pub imports: usize,
    /// Other entries: left exactly where they are.
    pub left_alone: usize,
    /// What the person should know, one sentence each (what `imports` and `left_alone` mean).
    pub warnings: Vec<String>,
}

/// Checks a folder before it becomes the drop folder: refused (see
/// [`crate::config::drop_folder`]), or accepted with what will be imported and left alone.
pub fn check_drop_dir(path: &str, data_dir: &Path) -> DropDirCheck {
    let text = path.trim();
    let folder = if text.is_empty() {
        crate::paths::inbox_dir(data_dir)
    } else {
        PathBuf::from(text)
    };
    let home = crate::config::drop_folder::home_dir();
    let refused = (!text.is_empty())
        .then(|| crate::config::drop_folder::refusal(&folder, Some(data_dir), home.as_deref()))
        .flatten();
    let mut check = DropDirCheck {
        path: text.to_string(),
        refused,
        imports: 0,
        left_alone: 0,
        warnings: Vec::new(),
    };
    if check.refused.is_some() {
        return check;
    }
    let survey = crate::import::drop::survey_folder(&folder);
    check.imports = survey.imports;
    check.left_alone = survey.left_alone;
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if survey.left_alone > 0 {
        check.warnings.push(format!(
            "{} already holds {} that {} not import files ({}); {} will be left alone: not moved, not opened",
            folder.display(),
            plural(survey.left_alone, "entry", "entries"),
            if survey.left_alone == 1 { "is" } else { "are" },
            crate::import::IMPORT_EXTENSIONS.map(|ext| format!(".{ext}")).join(", "),
            if survey.left_alone == 1 { "it" } else { "they" },
        ));
    }
    if survey.imports > 0 {
        check.warnings.push(format!(
            "{} in {} will be imported now (and moved to its processed/ folder)",
            plural(survey.imports, "import file", "import files"),
            folder.display(),
        ));
    }
    check
}
