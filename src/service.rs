//! The headless service: a systemd **user** unit running `twenty-sync run` (`twenty-sync service
//! install | uninstall | status`). The unit's text ([`unit_text`]), where it goes
//! ([`unit_path`]: `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`) and the
//! `systemctl --user` calls that enable, start, stop and read it. Without a user systemd session
//! (no `systemctl`, or no user manager to talk to) the unit is still written, and the reports
//! carry the exact commands to run once there is one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The unit's file name (and its name for `systemctl --user`).
pub const UNIT_NAME: &str = "twenty-sync.service";

/// Keeps the user's services running after they log out (and starts them at boot).
pub const LINGER_HINT: &str = "loginctl enable-linger $USER";

/// Why a service command failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Neither `XDG_CONFIG_HOME` nor `HOME` says where the user's configuration lives.
    #[error("cannot tell where your configuration folder is: set HOME (or XDG_CONFIG_HOME) and run this again")]
    NoConfigHome,
    /// The path of this binary is unknown (it goes into the unit's `ExecStart`).
    #[error("cannot tell where this twenty-sync binary is ({0}); run it by its full path, e.g. /usr/bin/twenty-sync service install")]
    UnknownExe(String),
    /// The data directory given cannot be made a full path (it goes into the unit's `ExecStart`).
    #[error(
        "cannot tell the full path of the data directory ({0}); pass --data-dir with a full path"
    )]
    UnknownDataDir(String),
    /// The unit file could not be written or removed.
    #[error("cannot {action} {path}: {message}; check that the folder is yours and writable, then run this again")]
    File {
        action: &'static str,
        path: PathBuf,
        message: String,
    },
    /// `systemctl --user` answered with an error although a user session is there.
    #[error("`systemctl --user {command}` failed: {message}; see `journalctl --user -u twenty-sync` and run it again by hand")]
    Systemctl { command: String, message: String },
}

/// What goes into the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    /// The `twenty-sync` binary the service runs.
    pub exe: PathBuf,
    /// The data directory it runs on (written as `--data-dir`, so the service uses the folder
    /// the unit was installed for).
    pub data_dir: PathBuf,
}

/// The unit file's text.
pub fn unit_text(spec: &UnitSpec) -> String {
    let exec = [
        spec.exe.as_os_str(),
        "--data-dir".as_ref(),
        spec.data_dir.as_os_str(),
        "run".as_ref(),
    ]
    .iter()
    .map(|word| exec_word(&word.to_string_lossy()))
    .collect::<Vec<_>>()
    .join(" ");
    format!(
        "# Written by `twenty-sync service install`; remove it with `twenty-sync service uninstall`.\n\
         [Unit]\n\
         Description=Twenty Sync agent (keeps a directory in sync with Twenty CRM)\n\
         # A setting to fix or a data directory in use: stop after 5 failed starts in 5 minutes.\n\
         StartLimitIntervalSec=300\n\
         StartLimitBurst=5\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={exec}\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         # `run` logs to stderr (the journal: journalctl --user -u twenty-sync) and to daily files\n\
         # in the data directory's logs/ folder.\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n"
    )
}

/// One word of an `ExecStart` line: quoted when it holds a space or a quote, `%` and `$` doubled
/// (systemd's specifiers and variables), `\`, `"` and a line break escaped.
fn exec_word(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    if escaped.is_empty()
        || escaped.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '\'')
    {
        let quoted = escaped
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!("\"{quoted}\"")
    } else {
        escaped
    }
}

/// Where the unit goes: `$XDG_CONFIG_HOME/systemd/user/twenty-sync.service` (when it is an
/// absolute path), else `$HOME/.config/systemd/user/twenty-sync.service`.
pub fn unit_path(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, ServiceError> {
    let absolute = |name: &str| {
        env(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    let config = absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".config")))
        .ok_or(ServiceError::NoConfigHome)?;
    Ok(config.join("systemd").join("user").join(UNIT_NAME))
}

/// The unit path for this process's environment.
pub fn unit_path_from_env() -> Result<PathBuf, ServiceError> {
    unit_path(|name| std::env::var_os(name))
}

/// The `systemctl --user` commands that enable and start the service.
pub fn enable_commands() -> Vec<String> {
    vec![
        "systemctl --user daemon-reload".to_string(),
        format!("systemctl --user enable --now {UNIT_NAME}"),
    ]
}

/// Whether `systemctl --user` can reach a user manager, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "session", rename_all = "snake_case")]
pub enum Session {
    Available,
    /// No user manager answers (no `systemctl`, or no user session): why, in words.
    Unavailable {
        reason: String,
    },
}

/// `systemctl --user`, run from `PATH`.
#[derive(Debug, Clone)]
pub struct Systemctl {
    program: OsString,
}

impl Default for Systemctl {
    fn default() -> Self {
        Systemctl {
            program: "systemctl".into(),
        }
    }
}

/// One `systemctl --user` call's outcome: success, and its first line of output.
struct Answer {
    ok: bool,
    text: String,
}

impl Systemctl {
    fn call(&self, args: &[&str]) -> Result<Answer, std::io::Error> {
        let output = Command::new(&self.program)
            .arg("--user")
            .args(args)
            .env("SYSTEMD_PAGER", "")
            .output()?;
        let pick = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or_default()
                .to_string()
        };
        let (out, err) = (pick(&output.stdout), pick(&output.stderr));
        Ok(Answer {
            ok: output.status.success(),
            text: if out.is_empty() { err } else { out },
        })
    }

    /// Whether a user manager answers.
    pub fn session(&self) -> Session {
        match self.call(&["show-environment"]) {
            Ok(answer) if answer.ok => Session::Available,
            Ok(answer) => Session::Unavailable {
                reason: format!(
                    "there is no user systemd session to talk to ({})",
                    if answer.text.is_empty() {
                        "systemctl --user refused".to_string()
                    } else {
                        answer.text
                    }
                ),
            },
            Err(error) => Session::Unavailable {
                reason: format!("systemctl cannot be run ({error}): this system has no systemd"),
            },
        }
    }

    /// Runs `systemctl --user ARGS`, an error naming the command when it fails.
    fn must(&self, args: &[&str]) -> Result<(), ServiceError> {
        let command = args.join(" ");
        match self.call(args) {
            Ok(answer) if answer.ok => Ok(()),
            Ok(answer) => Err(ServiceError::Systemctl {
                command,
                message: answer.text,
            }),
            Err(error) => Err(ServiceError::Systemctl {
                command,
                message: error.to_string(),
            }),
        }
    }

    /// `systemctl --user ARGS`'s first line of output (`enabled`, `active`, …), whatever its
    /// exit status.
    fn read(&self, args: &[&str]) -> Option<String> {
        self.call(args)
            .ok()
            .map(|answer| answer.text)
            .filter(|text| !text.is_empty())
    }
}

/// What `service install` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    pub unit_path: PathBuf,
    /// The unit existed with other content and was replaced.
    pub replaced: bool,
    /// Enabled and started through `systemctl --user`.
    pub started: bool,
    /// Why it was not started (no user session), when it was not.
    pub not_started_because: Option<String>,
    /// The commands to run by hand when it was not started.
    pub commands: Vec<String>,
}

/// Writes the unit and, when a user session answers, enables and starts it.
pub fn install(
    spec: &UnitSpec,
    unit_path: &Path,
    systemctl: &Systemctl,
) -> Result<Installed, ServiceError> {
    let text = unit_text(spec);
    let before = std::fs::read_to_string(unit_path).ok();
    let replaced = before.as_deref().is_some_and(|old| old != text);
    let file_error = |action, error: std::io::Error| ServiceError::File {
        action,
        path: unit_path.to_path_buf(),
        message: error.to_string(),
    };
    if let Some(dir) = unit_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| file_error("create the folder of", e))?;
    }
    std::fs::write(unit_path, &text).map_err(|e| file_error("write", e))?;
    match systemctl.session() {
        Session::Available => {
            systemctl.must(&["daemon-reload"])?;
            systemctl.must(&["enable", UNIT_NAME])?;
            // A reinstall (another binary, another data directory) restarts a running one.
            systemctl.must(&["restart", UNIT_NAME])?;
            Ok(Installed {
                unit_path: unit_path.to_path_buf(),
                replaced,
                started: true,
                not_started_because: None,
                commands: Vec::new(),
            })
        }
        Session::Unavailable { reason } => Ok(Installed {
            unit_path: unit_path.to_path_buf(),
            replaced,
            started: false,
            not_started_because: Some(reason),
            commands: enable_commands(),
        }),
    }
}

/// What `service uninstall` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uninstalled {
    pub unit_path: PathBuf,
    /// There was a unit file to remove.
    pub removed: bool,
    /// Stopped and disabled through `systemctl --user`.
    pub stopped: bool,
    /// Why it could not be stopped (no user session), when it was not.
    pub not_stopped_because: Option<String>,
}

/// Stops and disables the service (when a user session answers) and removes the unit.
pub fn uninstall(unit_path: &Path, systemctl: &Systemctl) -> Result<Uninstalled, ServiceError> {
    let exists = unit_path.exists();
    let (stopped, not_stopped_because) = match systemctl.session() {
        Session::Available if exists => {
            systemctl.must(&["disable", "--now", UNIT_NAME])?;
            (true, None)
        }
        Session::Available => (false, None),
        Session::Unavailable { reason } => (false, Some(reason)),
    };
    if exists {
        std::fs::remove_file(unit_path).map_err(|error| ServiceError::File {
            action: "remove",
            path: unit_path.to_path_buf(),
            message: error.to_string(),
        })?;
        if stopped {
            systemctl.must(&["daemon-reload"])?;
        }
    }
    Ok(Uninstalled {
        unit_path: unit_path.to_path_buf(),
        removed: exists,
        stopped,
        not_stopped_because,
    })
}

/// What `service status` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub unit_path: PathBuf,
    pub installed: bool,
    /// The unit's `ExecStart` line, when installed.
    pub exec_start: Option<String>,
    /// `systemctl --user is-enabled` (`enabled`, `disabled`, …), when a session answers.
    pub enabled: Option<String>,
    /// `systemctl --user is-active` (`active`, `failed`, `inactive`, …), when a session answers.
    pub active: Option<String>,
    #[serde(flatten)]
    pub session: Session,
}

/// The unit file and, when a user session answers, whether it is enabled and running.
pub fn status(unit_path: &Path, systemctl: &Systemctl) -> ServiceStatus {
    let text = std::fs::read_to_string(unit_path).ok();
    let exec_start = text.as_deref().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .map(str::to_string)
    });
    let session = systemctl.session();
    let (enabled, active) = match (&session, text.is_some()) {
        (Session::Available, true) => (
            systemctl.read(&["is-enabled", UNIT_NAME]),
            systemctl.read(&["is-active", UNIT_NAME]),
        ),
        _ => (None, None),
    };
    ServiceStatus {
        unit_path: unit_path.to_path_buf(),
        installed: text.is_some(),
        exec_start,
        enabled,
        active,
        session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_runs_this_binary_on_its_data_directory_and_restarts_on_failure() {
        let text = unit_text(&UnitSpec {
            exe: "/usr/bin/twenty-sync".into(),
            data_dir: "/home/ada/.local/share/twenty-sync".into(),
        });
        assert!(text.contains(
            "\nExecStart=/usr/bin/twenty-sync --data-dir /home/ada/.local/share/twenty-sync run\n"
        ));
        for line in ["Restart=on-failure", "WantedBy=default.target", "Type=exec"] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }

    #[test]
    fn exec_words_are_quoted_and_escaped_for_systemd() {
        assert_eq!(exec_word("/opt/bin/twenty-sync"), "/opt/bin/twenty-sync");
        assert_eq!(exec_word("/home/a b/data"), "\"/home/a b/data\"");
        assert_eq!(exec_word("/data/100%"), "/data/100%%");
        assert_eq!(exec_word("/data/$HOME"), "/data/$$HOME");
        assert_eq!(exec_word("/a \"q\"\\b"), "\"/a \\\"q\\\"\\\\b\"");
        assert_eq!(exec_word("/a\nb"), "\"/a\\nb\"");
    }

    #[test]
    fn the_unit_goes_under_xdg_config_home_else_home() {
        let env = |xdg: Option<&str>, home: Option<&str>| {
            let (xdg, home) = (xdg.map(OsString::from), home.map(OsString::from));
            move |name: &str| match name {
                "XDG_CONFIG_HOME" => xdg.clone(),
                "HOME" => home.clone(),
                _ => None,
            }
        };
        let path = unit_path(env(Some("/x/cfg"), Some("/home/ada"))).expect("path");
        assert_eq!(
            path,
            PathBuf::from("/x/cfg/systemd/user/twenty-sync.service")
        );
        let path = unit_path(env(Some("relative"), Some("/home/ada"))).expect("path");
        assert_eq!(
            path,
            PathBuf::from("/home/ada/.config/systemd/user/twenty-sync.service")
        );
        assert!(matches!(
            unit_path(env(None, None)),
            Err(ServiceError::NoConfigHome)
        ));
    }
}
