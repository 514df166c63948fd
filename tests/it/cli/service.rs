//! `twenty-sync service install | status | uninstall`, the real binary against a temporary
//! `XDG_CONFIG_HOME`: the unit it writes (and `systemd-analyze verify` of it when available),
//! what it asks `systemctl --user` (a stand-in `systemctl` first on `PATH` records the calls), and
//! what it says when there is no user systemd session (the exact commands, `enable-linger`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{twenty_sync, Run};

/// A temporary home: the config folder, the data directory, and a `bin/` with a stand-in
/// `systemctl` that logs its arguments and answers as `session_ok` says.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(session_ok: bool) -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let log = dir.path().join("systemctl.log");
        let script = if session_ok {
            format!(
                "#!/bin/sh\necho \"$*\" >> '{log}'\ncase \"$2\" in\n  is-enabled) echo enabled ;;\n  is-active) echo active ;;\nesac\nexit 0\n",
                log = log.display()
            )
        } else {
            format!(
                "#!/bin/sh\necho \"$*\" >> '{log}'\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n",
                log = log.display()
            )
        };
        let fake = bin.join("systemctl");
        std::fs::write(&fake, script).expect("fake systemctl");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Home { dir }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data dir")
    }

    fn unit(&self) -> PathBuf {
        self.dir
            .path()
            .join("config/systemd/user/twenty-sync.service")
    }

    fn run(&self, args: &[&str]) -> Run {
        let path = format!("{}:/usr/bin:/bin", self.dir.path().join("bin").display());
        twenty_sync(&self.data_dir())
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("HOME", self.dir.path())
            .env("PATH", path)
            .output()
            .expect("runs")
            .into()
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("systemctl.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn exe() -> &'static Path {
    Path::new(crate::support::BIN)
}

#[test]
fn without_a_user_session_the_unit_is_written_and_the_commands_are_named() {
    let home = Home::new(false);
    let run = home.run(&["service", "install"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let unit = std::fs::read_to_string(home.unit()).expect("the unit is written");
    let exec = format!(
        "ExecStart={} --data-dir \"{}\" run",
        exe().display(),
        home.data_dir().display()
    );
    assert!(unit.lines().any(|line| line == exec), "{exec}\n{unit}");
    assert!(unit.contains("\nRestart=on-failure\n"), "{unit}");
    for said in [
        "NOT started: there is no user systemd session",
        "Failed to connect to bus",
        "systemctl --user daemon-reload",
        "systemctl --user enable --now twenty-sync.service",
        "loginctl enable-linger $USER",
    ] {
        assert!(
            run.stdout.contains(said),
            "{said:?} missing:\n{}",
            run.stdout
        );
    }
    assert_eq!(home.calls(), ["--user show-environment"]);

    let status = home.run(&["service", "status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(status.stdout.contains("(installed)"), "{}", status.stdout);
    assert!(
        status.stdout.contains(&exec["ExecStart=".len()..]),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("no user systemd session"),
        "{}",
        status.stdout
    );
    let json = home.run(&["service", "status", "--json"]).json();
    assert_eq!(json["installed"], true);
    assert_eq!(json["session"], "unavailable");

    let gone = home.run(&["service", "uninstall"]);
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert!(!home.unit().exists());
    assert!(gone
        .stdout
        .contains("systemctl --user disable --now twenty-sync.service"));
    let again = home.run(&["service", "uninstall"]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("not installed"), "{}", again.stdout);
    let status = home.run(&["service", "status", "--json"]).json();
    assert_eq!(status["installed"], false);
}

#[test]
fn with_a_user_session_it_is_enabled_started_read_and_stopped() {
    let home = Home::new(true);
    let run = home.run(&["service", "install"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("enabled and started"), "{}", run.stdout);
    assert!(run.stdout.contains("enable-linger"), "{}", run.stdout);
    assert_eq!(
        home.calls(),
        [
            "--user show-environment",
            "--user daemon-reload",
            "--user enable twenty-sync.service",
            "--user restart twenty-sync.service"
        ]
    );
    let status = home.run(&["service", "status", "--json"]).json();
    assert_eq!(status["installed"], true);
    assert_eq!(status["enabled"], "enabled");
    assert_eq!(status["active"], "active");
    assert_eq!(status["session"], "available");

    // A second install with the same binary and folder rewrites nothing.
    let again = home.run(&["service", "install", "--json"]).json();
    assert_eq!(again["replaced"], false);
    assert_eq!(again["started"], true);

    let gone = home.run(&["service", "uninstall"]);
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert!(
        gone.stdout.contains("stopped and disabled"),
        "{}",
        gone.stdout
    );
    assert!(!home.unit().exists());
    let calls = home.calls();
    assert!(
        calls.ends_with(&[
            "--user show-environment".to_string(),
            "--user disable --now twenty-sync.service".to_string(),
            "--user daemon-reload".to_string()
        ]),
        "{calls:?}"
    );
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let home = Home::new(false);
    let run = home.run(&["service", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(home.unit())
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output();
    let output = match verify {
        Ok(output) => output,
        Err(error) => {
            println!("skipped: systemd-analyze cannot be run here ({error})");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Only what it says about our unit counts (it may complain of the host's own units).
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("twenty-sync.service"))
        .collect();
    assert!(
        output.status.success() && ours.is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}
