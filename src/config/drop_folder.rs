//! Which folders may be the drop folder. Refused, with one sentence saying what to choose
//! instead: the root of the file system, the top-level system folders (`/etc`, `/usr`, `/bin`,
//! `/sbin`, `/lib*`, `/boot`, `/dev`, `/proc`, `/sys` and everything inside them; `/var`, `/run`
//! and `/tmp` themselves), the home folder itself and the data directory itself (its `inbox/`
//! is the default and fine). The path is compared as written (made absolute, `.` and `..`
//! resolved) and, when it exists, with its links resolved.

use std::path::{Component, Path, PathBuf};

/// Top-level folders refused together with everything inside them.
#[cfg(unix)]
const SYSTEM_TREES: [&str; 8] = ["etc", "usr", "bin", "sbin", "boot", "dev", "proc", "sys"];
/// Top-level folders refused themselves (their subfolders may belong to an application).
#[cfg(unix)]
const SYSTEM_FOLDERS: [&str; 3] = ["var", "run", "tmp"];

/// The home folder of the person running twenty-sync, if the OS says.
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf())
}

/// `path` made absolute with `.` and `..` resolved, without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The forms a folder is compared in: as written, and with links resolved when it exists.
fn forms(path: &Path) -> Vec<PathBuf> {
    let mut forms = vec![lexical(path)];
    if let Ok(canonical) = path.canonicalize() {
        if !forms.contains(&canonical) {
            forms.push(canonical);
        }
    }
    forms
}

fn same_folder(a: &Path, b: &Path) -> bool {
    let theirs = forms(b);
    forms(a).iter().any(|form| theirs.contains(form))
}

/// Whether `path` lies strictly inside `folder`, in any of their forms.
fn inside(path: &Path, folder: &Path) -> bool {
    let folders = forms(folder);
    forms(path)
        .iter()
        .any(|form| folders.iter().any(|f| form != f && form.starts_with(f)))
}

/// Why `path` may not be the drop folder, as one sentence; `None` when it may. `data_dir` and
/// `home` are the data directory and the home folder, when known.
pub fn refusal(path: &Path, data_dir: Option<&Path>, home: Option<&Path>) -> Option<String> {
    let shown = path.display();
    for form in forms(path) {
        if form.parent().is_none() {
            return Some(format!(
                "'{shown}' is the root of the file system; choose a folder of its own for the files to import (for example ~/twenty-sync-inbox)"
            ));
        }
        if let Some(reason) = system_folder(&form) {
            return Some(format!(
                "'{shown}' is {reason}; choose a folder of its own for the files to import (for example ~/twenty-sync-inbox)"
            ));
        }
    }
    if let Some(home) = home {
        if same_folder(path, home) {
            return Some(format!(
                "'{shown}' is your home folder; choose a folder of its own inside it (for example {})",
                home.join("twenty-sync-inbox").display()
            ));
        }
    }
    if let Some(data_dir) = data_dir {
        let inbox = crate::paths::inbox_dir(data_dir);
        let what = if same_folder(path, data_dir) {
            Some("twenty-sync's data directory")
        } else if inside(path, data_dir) && !same_folder(path, &inbox) {
            // The agent keeps everything there private (0700/0600) and would tighten the
            // person's files too.
            Some("inside twenty-sync's data directory")
        } else {
            None
        };
        if let Some(what) = what {
            return Some(format!(
                "'{shown}' is {what}; use its inbox folder ({}, the default) or a folder of its own",
                inbox.display()
            ));
        }
    }
    None
}

#[cfg(unix)]
fn system_folder(form: &Path) -> Option<String> {
    let mut components = form.components();
    if components.next() != Some(Component::RootDir) {
        return None;
    }
    let top = match components.next() {
        Some(Component::Normal(top)) => top.to_string_lossy().into_owned(),
        _ => return None,
    };
    let inside = components.next().is_some();
    let tree = SYSTEM_TREES.contains(&top.as_str()) || top.starts_with("lib");
    if tree && inside {
        Some(format!("inside the system folder /{top}"))
    } else if tree || (!inside && SYSTEM_FOLDERS.contains(&top.as_str())) {
        Some(format!("the system folder /{top}"))
    } else {
        None
    }
}

#[cfg(not(unix))]
fn system_folder(_form: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests;
