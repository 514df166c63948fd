//! Safe with the person's files: what the agent keeps in its data directory is private (folders
//! 0700, files 0600 on Unix), and nothing it opens or writes in the drop folder follows a link.
//!
//! - [`restrict_new_files`] sets the process umask to 077 (the CLI's `main` and the desktop shell's
//!   `run` call it first thing), so every file a library writes for us (sled, tracing-appender) is
//!   private too.
//! - [`secure_data_dir`] creates the data directory 0700 and tightens what an older version (or a
//!   copy) left readable by others; the caller says so once.
//! - [`open_no_follow`], [`create_private_new`], [`open_append_private`]: `O_NOFOLLOW` opens.
//!
//! On other platforms the modes are left to the OS and links are checked with `lstat` only.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// The mode of every folder the agent creates in its data directory.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// The mode of every file the agent writes in its data directory (and of its error reports).
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// From now on, files and folders this process creates are readable by their owner only (umask
/// 077). Process-wide: call it at start, before other threads create files.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// `create_dir_all`, every folder it creates 0700.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(path)
}

#[cfg(unix)]
fn no_follow(options: &mut OpenOptions, extra: u32) {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let flags = (OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() | extra;
    // Small positive flag bits: the cast cannot wrap.
    options.custom_flags(flags as i32);
}

/// Creates a new file, 0600, refusing to write through anything already there (a link
/// included: `O_CREAT | O_EXCL` never follows one).
pub fn create_private_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
        no_follow(&mut options, 0);
    }
    options.open(path)
}

/// Opens a file for appending (created 0600 when missing); refuses a link.
pub fn open_append_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
        no_follow(&mut options, 0);
    }
    options.open(path)
}

/// Opens a file for reading without following a link as its last component, and without
/// blocking on a pipe. Check with [`File::metadata`] that it is a regular file before reading.
pub fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    no_follow(&mut options, rustix::fs::OFlags::NONBLOCK.bits());
    #[cfg(not(unix))]
    if path.symlink_metadata()?.file_type().is_symlink() {
        return Err(io::Error::other("is a link"));
    }
    options.open(path)
}

/// True when an open failed because the path is a link (`O_NOFOLLOW`).
pub fn is_link_error(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        matches!(error.raw_os_error(), Some(code)
            if code == Errno::LOOP.raw_os_error() || code == Errno::MLINK.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        error.kind() == io::ErrorKind::Other && error.to_string() == "is a link"
    }
}

/// What identifies a file on disk (device and inode on Unix), to tell that a path still names
/// the file the agent wrote or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(meta: &Metadata) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileId {
                dev: meta.dev(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            FileId {
                dev: 0,
                ino: meta.len(),
            }
        }
    }
}

/// What [`secure_data_dir`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tightened {
    /// Folders and files that were readable (or writable) by others and are now owner-only.
    pub paths: usize,
}

impl Tightened {
    /// The one notice to log, when something was tightened.
    pub fn notice(&self, data_dir: &Path) -> Option<String> {
        (self.paths > 0).then(|| {
            format!(
                "the data directory {} was readable by other users: {} folder{} and file{} made private (owner only)",
                data_dir.display(),
                self.paths,
                if self.paths == 1 { "" } else { "s" },
                if self.paths == 1 { "" } else { "s" },
            )
        })
    }
}

/// Creates the data directory (0700) and tightens what is in it: every folder to 0700, every
/// file to 0600. The drop folder's own contents are the person's files and are left as they
/// are, except the agent's `processed/` and `failed/` folders and its error reports. Links are
/// never followed. Errors on single entries are skipped (an entry of another owner).
pub fn secure_data_dir(data_dir: &Path) -> io::Result<Tightened> {
    create_private_dir_all(data_dir)?;
    let mut tightened = Tightened::default();
    tighten_tree(data_dir, 0, &mut tightened);
    Ok(tightened)
}

/// How deep [`secure_data_dir`] looks (sled and the backups are two levels deep).
const MAX_DEPTH: usize = 6;

fn tighten_tree(path: &Path, depth: usize, tightened: &mut Tightened) {
    let Ok(meta) = path.symlink_metadata() else {
        return;
    };
    if meta.is_dir() {
        tighten(path, &meta, PRIVATE_DIR_MODE, tightened);
        if depth >= MAX_DEPTH {
            return;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            let child = entry.path();
            if depth == 0 && entry.file_name() == "inbox" {
                tighten_inbox(&child, tightened);
            } else {
                tighten_tree(&child, depth + 1, tightened);
            }
        }
    } else if meta.is_file() {
        tighten(path, &meta, PRIVATE_FILE_MODE, tightened);
    }
}

/// The default drop folder: the folder itself, `processed/`, `failed/` and the error reports
/// in them (regular files only); the person's files stay as they are.
fn tighten_inbox(inbox: &Path, tightened: &mut Tightened) {
    let Ok(meta) = inbox.symlink_metadata() else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    tighten(inbox, &meta, PRIVATE_DIR_MODE, tightened);
    for dir in [crate::paths::PROCESSED_DIR, crate::paths::FAILED_DIR] {
        let dir = inbox.join(dir);
        let Ok(meta) = dir.symlink_metadata() else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        tighten(&dir, &meta, PRIVATE_DIR_MODE, tightened);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let report = entry
                .file_name()
                .to_string_lossy()
                .ends_with(crate::paths::REPORT_SUFFIX);
            match entry.path().symlink_metadata() {
                Ok(meta) if report && meta.is_file() => {
                    tighten(&entry.path(), &meta, PRIVATE_FILE_MODE, tightened)
                }
                _ => {}
            }
        }
    }
}

#[cfg(unix)]
fn tighten(path: &Path, meta: &Metadata, mode: u32, tightened: &mut Tightened) {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 == 0 {
        return;
    }
    // Changed through a handle opened without following links, so a link swapped in since the
    // `lstat` is never followed.
    let changed = open_no_follow(path)
        .and_then(|file| file.set_permissions(std::fs::Permissions::from_mode(mode)));
    if changed.is_ok() {
        tightened.paths += 1;
    }
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _meta: &Metadata, _mode: u32, _tightened: &mut Tightened) {}

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
    let mut file = create_private_new(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)
}

#[cfg(test)]
mod tests;
