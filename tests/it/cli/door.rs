//! The agent is the one door: every command run twice, on a data directory no agent holds and on
//! one a real `twenty-sync run` holds, each against its own fake Twenty, with the same story
//! (record, configure, test the connection, sync, a refused record, an outage). Exit codes,
//! stdout and stderr must be the same, once ids, times, addresses, logs and the few values only a
//! running agent knows (its live state, requests in the last minute) are masked.

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::Value;

use super::sides::{Run, Side};

/// One step of the story, done on both sides.
enum Step {
    /// A command and the exit code it must end with; outputs must match.
    Cli(&'static [&'static str], i32),
    /// A command reading its standard input (`{key}` is each side's key).
    WithStdin(&'static [&'static str], &'static str, i32),
    /// Something done to both fake servers.
    Twenty(fn(&FakeTwenty)),
}

use Step::{Cli, Twenty, WithStdin};

const COMPANY: &[&str] = &[
    "push",
    "company",
    "--external-id",
    "c1",
    "--name",
    "Acme",
    "--website",
    "acme.com",
];
const PERSON: &[&str] = &[
    "push",
    "person",
    "--external-id",
    "p1",
    "--name",
    "Ada Lovelace",
    "--email",
    "ada@example.com",
    "--company-external-id",
    "c1",
];
const TAKEN: &[&str] = &[
    "push",
    "person",
    "--external-id",
    "p2",
    "--name",
    "Bo",
    "--email",
    "taken@example.com",
];
const INVALID: &[&str] = &[
    "push",
    "person",
    "--external-id",
    "p0",
    "--name",
    "Zed",
    "--email",
    "nope",
];
const SYNC: &[&str] = &["sync", "--until-idle"];

fn story() -> Vec<Step> {
    vec![
        Cli(&["config", "show"], 0),
        Cli(&["config", "show", "--json"], 0),
        Cli(&["status"], 0),
        Cli(&["status", "--json"], 0),
        Cli(&["events"], 0),
        Cli(&["mappings"], 0),
        Cli(&["retry-failed"], 0),
        Cli(COMPANY, 0),
        Cli(PERSON, 0),
        Cli(INVALID, 2),
        Cli(&["status", "--json"], 0),
        Cli(&["events", "--json"], 0),
        // Nothing configured yet: the same advice on both sides.
        Cli(&["test-connection"], 2),
        Cli(SYNC, 2),
        // Paused while it is set up, so that the agent does not push before `sync` asks.
        Cli(&["config", "set", "enabled", "false"], 0),
        Cli(&["config", "set", "base_url", "{twenty}"], 0),
        WithStdin(&["config", "set", "api_key", "-"], "{key}\n", 0),
        Cli(&["config", "set", "rate_limit", "0"], 2),
        Cli(&["config", "set", "nosuchkey", "1"], 2),
        Cli(&["config", "show"], 0),
        Cli(&["config", "show", "--json"], 0),
        // The stored server and key are used; the missing field is reported, then created.
        Cli(&["test-connection", "--no-create", "--json"], 1),
        Cli(&["test-connection", "--no-create"], 1),
        Cli(&["test-connection"], 0),
        Cli(&["test-connection", "--json"], 0),
        Cli(SYNC, 2),
        Cli(&["config", "set", "enabled", "true"], 0),
        Cli(SYNC, 0),
        Cli(&["status"], 0),
        Cli(&["status", "--json"], 0),
        Cli(&["mappings"], 0),
        Cli(&["mappings", "--json"], 0),
        Cli(&["events", "--tail", "8"], 0),
        Cli(&["events", "--json", "--tail", "300"], 0),
        // A record Twenty refuses: parked (exit 1), listed, queued again, parked again.
        Twenty(|fake| {
            fake.insert_record(
                "people",
                serde_json::json!({"externalId": "someone-else", "emails": {"primaryEmail": "taken@example.com"}}),
            );
        }),
        Cli(TAKEN, 0),
        Cli(SYNC, 1),
        Cli(&["mappings"], 0),
        Cli(&["retry-failed"], 0),
        Cli(SYNC, 1),
        Cli(&["status", "--json"], 0),
        Cli(&["failures"], 0),
        Cli(&["failures", "--json"], 0),
        // The audit trail names the CLI on both sides.
        Cli(&["dismiss", "person", "p2"], 0),
        Cli(&["events", "--tail", "2"], 0),
        Cli(&["dismiss", "person", "p2"], 1),
        // Twenty down: exit 4, the intent stays queued; back up: pushed.
        Twenty(|fake| fake.faults().down(true)),
        Cli(
            &["push", "company", "--external-id", "c2", "--name", "Beta"],
            0,
        ),
        Cli(SYNC, 4),
        Cli(&["status", "--json"], 0),
        Twenty(|fake| fake.faults().down(false)),
        // p2 was dismissed: nothing is parked any more.
        Cli(SYNC, 0),
        Cli(&["mappings", "--json"], 0),
        Cli(&["events", "--json", "--tail", "300"], 0),
        Cli(&["config", "show", "--json"], 0),
    ]
}

/// What only a running agent knows: its live state, since when, the requests it sent.
const LIVE_FIELDS: &[&str] = &[
    "state",
    "since",
    "next_retry_at",
    "requests_last_minute",
    "rate_limit",
    "last_error",
];

/// stdout and stderr of a run, masked: log lines dropped, live status fields removed.
fn comparable(side: &Side, args: &[&str], run: &Run) -> (i32, String, String) {
    let status = args.first() == Some(&"status");
    let mut stdout = side.normalize(&run.stdout);
    if status && args.contains(&"--json") {
        let mut json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!("{}: {args:?} is not JSON ({e}): {}", side.name, run.stdout)
        });
        for field in LIVE_FIELDS {
            json.as_object_mut().unwrap().remove(*field);
        }
        stdout = side.normalize(&serde_json::to_string_pretty(&json).unwrap());
    } else if status {
        let live = [
            "state:",
            "since:",
            "next retry:",
            "requests:",
            "last error:",
        ];
        stdout = stdout
            .lines()
            .filter(|line| !live.iter().any(|prefix| line.starts_with(prefix)))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let stderr = side
        .normalize(&run.stderr)
        .lines()
        .filter(|line| !is_log_line(line))
        .collect::<Vec<_>>()
        .join("\n");
    (run.code, stdout, stderr)
}

/// A `tracing` line (`<time>  INFO …`): a process's log, not its answer.
fn is_log_line(line: &str) -> bool {
    line.strip_prefix("<time>").is_some_and(|rest| {
        let level = rest.trim_start();
        ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
            .iter()
            .any(|name| level.starts_with(name))
    })
}

#[test]
fn every_command_means_the_same_with_and_without_a_running_agent() {
    let alone = Side::new("without an agent", FakeConfig::current());
    let mut beside = Side::new("beside a running agent", FakeConfig::current());
    beside.start_agent();
    for (number, step) in story().into_iter().enumerate() {
        let (args, stdin, code) = match step {
            Twenty(change) => {
                change(alone.twenty.get());
                change(beside.twenty.get());
                continue;
            }
            Cli(args, code) => (args, None, code),
            WithStdin(args, stdin, code) => (args, Some(stdin), code),
        };
        let without = alone.run(args, stdin);
        let with = beside.run(args, stdin);
        let context = || {
            format!(
                "step {number}: {args:?}\n--- without an agent (exit {}):\n{}\n{}\n--- beside the agent (exit {}):\n{}\n{}\n--- the agent's log:\n{}",
                without.code,
                without.stdout,
                without.stderr,
                with.code,
                with.stdout,
                with.stderr,
                beside.agent_log()
            )
        };
        assert_eq!(without.code, code, "{}", context());
        // Only input refused before any store is opened does not reach the agent.
        assert!(
            with.stderr.contains("(asking the agent") || with.code == 2,
            "the command did not go through the agent: {}",
            context()
        );
        assert_eq!(
            comparable(&alone, args, &without),
            comparable(&beside, args, &with),
            "{}",
            context()
        );
    }
    // The agent did the pushing on its side, into its own fake.
    assert_eq!(
        beside
            .twenty
            .get()
            .find_by_external_id("companies", "c2")
            .len(),
        1
    );
    assert_eq!(
        alone
            .twenty
            .get()
            .find_by_external_id("companies", "c2")
            .len(),
        1
    );
}

/// Defect 3: beside a running agent, `push` was refused ("the store … is in use"),
/// `test-connection` asked for the environment variables and `sync --until-idle` said syncing
/// was off, although the server and key were stored.
#[test]
fn beside_a_running_agent_the_stored_settings_are_used_and_push_records() {
    let mut side = Side::new("beside a running agent", FakeConfig::current());
    side.start_agent();
    let ok = |args: &[&str], stdin: Option<&str>| {
        let run = side.run(args, stdin);
        assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        run
    };
    ok(&["config", "set", "base_url", "{twenty}"], None);
    ok(&["config", "set", "api_key", "-"], Some("{key}\n"));
    let report = ok(&["test-connection", "--json"], None).json();
    assert_eq!(report["ok"], true, "{report}");
    assert!(side.twenty.get().has_field("companies", "externalId"));
    let pushed = ok(COMPANY, None);
    assert!(
        pushed.stdout.starts_with("recorded company c1"),
        "{}",
        pushed.stdout
    );
    let synced = ok(SYNC, None);
    assert!(synced.stdout.starts_with("in sync:"), "{}", synced.stdout);
    assert_eq!(
        side.twenty
            .get()
            .find_by_external_id("companies", "c1")
            .len(),
        1
    );
}

/// `sync --until-idle` through the agent waits without holding up the agent's other requests.
#[test]
fn a_waiting_sync_does_not_hold_up_other_commands() {
    let mut config = FakeConfig::current();
    config.with_external_id = true;
    let mut side = Side::new("beside a running agent", config);
    side.start_agent();
    for (args, stdin) in [
        (&["config", "set", "enabled", "false"][..], None),
        (&["config", "set", "base_url", "{twenty}"], None),
        (&["config", "set", "api_key", "-"], Some("{key}\n")),
        (COMPANY, None),
    ] {
        let run = side.run(args, stdin);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    // Every request to Twenty takes two seconds now: the push takes a few.
    side.twenty.get().faults().slow(2_000);
    assert_eq!(
        side.run(&["config", "set", "enabled", "true"], None).code,
        0
    );
    let sync = side.command(SYNC).output_in_background();
    let started = std::time::Instant::now();
    let status = side.run(&["status", "--json"], None);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "status waited {:?} for the sync",
        started.elapsed()
    );
    assert!(!sync.is_finished(), "the sync should still be waiting");
    let synced: Run = sync.join().unwrap().into();
    assert_eq!(synced.code, 0, "{}{}", synced.stdout, synced.stderr);
    assert_eq!(
        side.twenty
            .get()
            .find_by_external_id("companies", "c1")
            .len(),
        1
    );
}

/// Runs a command on a thread: its output when joined.
trait InBackground {
    fn output_in_background(self) -> std::thread::JoinHandle<std::process::Output>;
}

impl InBackground for std::process::Command {
    fn output_in_background(mut self) -> std::thread::JoinHandle<std::process::Output> {
        std::thread::spawn(move || self.output().unwrap())
    }
}
