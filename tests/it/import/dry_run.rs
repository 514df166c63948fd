//! `twenty-sync import --dry-run` tells the truth: what would be created, updated or left
//! unchanged against the store's mappings (after a real push to the fake Twenty), every invalid
//! row with its row, column, value and reason, the error report written beside the file, and
//! never the word "recorded" — in text and in `--json`.

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::Value;

use super::running::{said, Folder};

#[test]
fn a_dry_run_counts_against_the_mappings_lists_every_invalid_row_and_writes_the_report() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current()));
    let folder = Folder::for_twenty(&fake.base_url(), &fake.api_key());
    let first = folder.write("companies.csv", "id,name\nc1,Acme\nc2,Beta\n");
    let run = folder.run(&["import", first.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let run = folder.run(&["sync", "--until-idle"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    assert_eq!(fake.records("companies").len(), 2);

    // c1 unchanged, c2 renamed, c3 new; row 4 has no name, row 5 a website that is none.
    let next = folder.write(
        "companies-next.csv",
        "id,name,website\nc1,Acme,\nc2,Beta Ltd,\nc3,Gamma,\nc4,,\nc5,Epsilon,not a website\n",
    );
    let requests = fake.request_count();
    let run = folder.run(&["import", "companies-next.csv", "--dry-run"]);
    assert_eq!(run.code, 3, "some rows are invalid: {}", said(&run));
    assert!(
        run.stdout
            .contains("would create 1, update 1, leave 1 unchanged"),
        "{}",
        said(&run)
    );
    assert!(
        run.stdout.contains("row 4, name: a company needs a name"),
        "{}",
        said(&run)
    );
    assert!(
        run.stdout.contains("row 5, website 'not a website': "),
        "{}",
        said(&run)
    );
    let report = folder.path("companies-next.csv.errors.csv");
    let text = std::fs::read_to_string(&report).expect("the report is written beside the file");
    assert!(text.contains("4,name,,a company needs a name"), "{text}");
    assert!(text.contains("5,website,not a website,"), "{text}");
    assert!(
        run.stdout
            .contains("invalid rows are listed in ./companies-next.csv.errors.csv"),
        "{}",
        said(&run)
    );
    for output in [&run.stdout, &run.stderr] {
        assert!(
            !output.to_lowercase().contains("recorded"),
            "a dry run records nothing and never says so: {}",
            said(&run)
        );
    }
    assert_eq!(fake.request_count(), requests, "pure planning: no request");

    let run = folder.run(&[
        "import",
        next.to_str().expect("utf-8"),
        "--dry-run",
        "--json",
    ]);
    assert_eq!(run.code, 3, "{}", said(&run));
    assert!(
        !run.stdout.contains("recorded") && !run.stderr.contains("recorded"),
        "{}",
        said(&run)
    );
    let json: Value = run.json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["exit_code"], 3);
    let outcome = &json["files"][0]["outcome"];
    assert_eq!(
        outcome["dry_run"],
        serde_json::json!({"create": 1, "update": 1, "unchanged": 1})
    );
    let problems: Vec<(u64, &str, &str)> = outcome["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().expect("row"),
                p["column"].as_str().expect("column"),
                p["value"].as_str().expect("value"),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![(4, "name", ""), (5, "website", "not a website")]
    );
    assert!(outcome["problems"][0]["message"].is_string());
    let placed = outcome["error_report"]
        .as_str()
        .expect("a report was written");
    assert!(std::path::Path::new(placed).exists(), "{placed}");

    // Nothing was recorded by either dry run.
    let status = folder.run(&["status", "--json"]).json();
    assert_eq!(status["intents"], 2, "{status}");
    drop(fake);
}

#[test]
fn a_dry_run_of_a_file_imported_before_says_so_without_claiming_anything_was_recorded() {
    let folder = Folder::new();
    folder.write("companies.csv", "id,name\nc1,Acme\n");
    assert_eq!(folder.run(&["import", "companies.csv"]).code, 0);
    let run = folder.run(&["import", "companies.csv", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    assert!(run.stdout.contains("already imported"), "{}", said(&run));
    assert!(
        !run.stdout.contains("recorded") && !run.stderr.contains("recorded"),
        "{}",
        said(&run)
    );
}
