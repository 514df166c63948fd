//! Defect 12 of issue 13, through the real binary: the secret-storage warning is said once per
//! command (it was said twice, once with colour codes), and colour codes reach stderr only on a
//! terminal without `NO_COLOR` (`run` wrote them into redirected output).

use std::path::Path;
use std::process::Command;

use fake_twenty::FakeConfig;

use super::sides::Side;
use super::support::Cli;

const KEY: &str = "cli-secret-key-0123456789";
const ESC: char = '\u{1b}';

/// No session bus: the OS keyring does not answer, secrets go to the 0600 file (with a warning).
fn without_keyring(command: &mut Command) -> &mut Command {
    command
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("DISPLAY")
}

fn warnings(stderr: &str) -> usize {
    stderr.matches("readable only by you").count()
}

#[test]
fn the_secret_storage_warning_is_said_once_per_command() {
    let cli = Cli::new();
    let run = |args: &[&str]| -> super::support::Run {
        without_keyring(&mut cli.command(args))
            .output()
            .unwrap()
            .into()
    };
    for args in [
        &["config", "set", "api_key", KEY][..],
        &["config", "show"],
        &["config", "show", "--json"],
        &["test-connection", "--json"],
        &["sync", "--until-idle"],
    ] {
        let output = run(args);
        assert_eq!(warnings(&output.stderr), 1, "{args:?}: {}", output.stderr);
        assert!(
            !output.stderr.contains(ESC),
            "{args:?}: {:?}",
            output.stderr
        );
    }
    // Commands that do not read the settings say nothing about them.
    let status = run(&["status"]);
    assert_eq!(warnings(&status.stderr), 0, "{}", status.stderr);
}

#[test]
fn the_secret_storage_warning_is_said_once_beside_a_running_agent() {
    let mut side = Side::new("beside a running agent", FakeConfig::current());
    // The agent as the commands: the keyring is tried and does not answer.
    side.envs
        .retain(|(key, _)| key != "TWENTY_SYNC_SECRET_STORE");
    side.envs.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    ));
    side.start_agent();
    for args in [
        &["config", "set", "api_key", KEY][..],
        &["config", "show"],
        &["test-connection"],
    ] {
        let output: super::support::Run = without_keyring(&mut side.command(args))
            .output()
            .unwrap()
            .into();
        assert_eq!(warnings(&output.stderr), 1, "{args:?}: {}", output.stderr);
    }
}

#[test]
fn run_writes_no_colour_codes_into_redirected_output() {
    let mut side = Side::new("an agent", FakeConfig::current());
    side.start_agent();
    side.stop_agent();
    let log = side.agent_log();
    assert!(log.contains("INFO"), "the agent logged nothing: {log}");
    assert!(
        !log.contains(ESC),
        "colour codes in redirected output: {log:?}"
    );
}

/// A data directory left readable by others: the next command tightens it and says so in one
/// log line (`WARN …`), the line the colour checks look at.
fn loose_data_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn colour_codes_only_on_a_terminal_without_no_color() {
    let cli = Cli::new();
    loose_data_dir(&cli.data_dir());
    let piped = cli.run(&["status"]);
    assert!(piped.stderr.contains("WARN"), "{}", piped.stderr);
    assert!(!piped.stderr.contains(ESC), "{:?}", piped.stderr);

    // A terminal: `script` gives the command a pseudo-terminal (skipped where it is missing).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped the terminal half: `script` (util-linux) is not installed");
        return;
    }
    let on_terminal = |no_color: Option<&str>| {
        loose_data_dir(&cli.data_dir());
        let line = format!(
            "'{}' --data-dir '{}' status",
            crate::support::BIN,
            cli.data_dir().display()
        );
        let mut command = Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::null());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TWENTY_") {
                command.env_remove(name);
            }
        }
        command.env_remove("RUST_LOG").env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        String::from_utf8_lossy(&command.output().unwrap().stdout).into_owned()
    };
    let coloured = on_terminal(None);
    assert!(coloured.contains("WARN"), "{coloured}");
    assert!(
        coloured.contains(ESC),
        "a terminal gets colour: {coloured:?}"
    );
    let plain = on_terminal(Some("1"));
    assert!(plain.contains("WARN"), "{plain}");
    assert!(!plain.contains(ESC), "NO_COLOR=1: {plain:?}");
}
