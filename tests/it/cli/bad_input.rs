//! Bad input: a clear error on stderr, exit code 2, and nothing recorded.

use super::support::*;

fn assert_refused(cli: &Cli, args: &[&str], expected: &str) {
    let run = cli.run(args);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one sentence: {}",
        run.stderr
    );
}

#[test]
fn invalid_records_are_refused_and_nothing_is_recorded() {
    let cli = Cli::new();
    let long = "x".repeat(256);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["push", "company", "--external-id", "", "--name", "Acme"],
            "external_id",
        ),
        (
            vec!["push", "company", "--external-id", "  ", "--name", "Acme"],
            "external_id",
        ),
        (
            vec!["push", "company", "--external-id", &long, "--name", "Acme"],
            "longer than 255",
        ),
        (
            vec![
                "push",
                "company",
                "--external-id",
                "a\u{1}b",
                "--name",
                "Acme",
            ],
            "control characters",
        ),
        (
            vec!["push", "company", "--external-id", "c1", "--name", ""],
            "needs a name",
        ),
        (
            vec![
                "push",
                "company",
                "--external-id",
                "c1",
                "--name",
                "Acme",
                "--website",
                "not a url",
            ],
            "not a website",
        ),
        (
            vec![
                "push",
                "company",
                "--external-id",
                "c1",
                "--name",
                "Acme",
                "--website",
                "ftp://acme.com",
            ],
            "website",
        ),
        (
            vec![
                "push",
                "person",
                "--external-id",
                "p1",
                "--name",
                "Ada",
                "--email",
                "",
            ],
            "needs an email",
        ),
        (
            vec![
                "push",
                "person",
                "--external-id",
                "p1",
                "--name",
                "Ada",
                "--email",
                "ada@",
            ],
            "not an email",
        ),
        (
            vec![
                "push",
                "person",
                "--external-id",
                "p1",
                "--name",
                "Ada",
                "--email",
                "ada@example",
            ],
            "not an email",
        ),
    ];
    for (args, expected) in &cases {
        assert_refused(&cli, args, expected);
    }
    // Nothing was recorded: the store was never even created.
    assert!(!cli.data_dir().join("store").exists());
}

#[test]
fn usage_errors_exit_with_2() {
    let cli = Cli::new();
    for args in [
        vec!["push", "person", "--external-id", "p1", "--name", "Ada"],
        vec!["push", "planet", "--external-id", "p1"],
        vec!["status", "--bogus"],
        vec![
            "push",
            "person",
            "--external-id",
            "p1",
            "--name",
            "A",
            "--email",
            "a@b.co",
            "--company-name",
            "X",
        ],
    ] {
        assert_eq!(cli.run(&args).code, 2, "{args:?}");
    }
}

#[test]
fn an_unusable_data_dir_is_a_clear_error() {
    let cli = Cli::new();
    // A data dir that is a file.
    std::fs::write(cli.data_dir(), b"not a directory").unwrap();
    let run = cli.run(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot use the data directory"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--data-dir"), "{}", run.stderr);
}

#[test]
fn a_damaged_store_is_refused_and_left_alone() {
    let cli = Cli::new();
    cli.ok(&["push", "company", "--external-id", "c1", "--name", "Acme"]);
    cli.ok(&["status"]);
    let db = cli.data_dir().join("store").join("db");
    let garbage = vec![0x5Au8; 100_000];
    std::fs::write(&db, &garbage).unwrap();
    let run = cli.run(&["status"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is damaged"), "{}", run.stderr);
    assert!(
        std::fs::read(&db).unwrap() == garbage,
        "the damaged file was modified"
    );
}
