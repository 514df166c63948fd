//! `fields`, `mapping show|set|unset` and `push --field`, each run on a data directory no agent
//! holds and on one a running agent holds, against a fake Twenty with the directory's custom
//! fields: the same exit codes and output on both sides, Twenty's standard fields said as such
//! until the model is read, targets checked against the fields in force, invalid values refused
//! before anything is recorded, and the values pushed into Twenty.

use fake_twenty::FakeConfig;
use serde_json::Value;

use super::sides::Side;

const STEPS: &[(&[&str], i32)] = &[
    (&["fields", "person"], 0),
    (&["fields", "--json"], 0),
    (&["fields", "--refresh"], 2),
    // Not a standard field: refused until the workspace's model is read.
    (
        &["mapping", "set", "company", "Listing URL", "listingUrl"],
        2,
    ),
    (&["mapping", "show"], 0),
    (&["config", "set", "enabled", "false"], 0),
    (&["config", "set", "base_url", "{twenty}"], 0),
    (&["fields", "--refresh"], 0),
    (&["fields", "company", "--json"], 0),
    (&["fields", "person"], 0),
    (
        &["mapping", "set", "company", "Listing URL", "listingUrl"],
        0,
    ),
    (&["mapping", "set", "company", "Town", "address.city"], 0),
    (&["mapping", "set", "person", "Ref", "external_id"], 0),
    (&["mapping", "set", "person", "Old", "ignore"], 0),
    (&["mapping", "set", "company", "X", "nosuchfield"], 2),
    (&["mapping", "set", "company", "X", "address.nowhere"], 2),
    (&["mapping", "set", "company", "X", "category.part"], 2),
    // The same column, spelled otherwise, replaces the override.
    (
        &["mapping", "set", "company", "listing-url", "linkedinLink"],
        0,
    ),
    (&["mapping", "show"], 0),
    (&["mapping", "show", "--json"], 0),
    (&["mapping", "unset", "person", "old"], 0),
    (&["mapping", "unset", "person", "old"], 1),
    (&["mapping", "show", "--json"], 0),
    // Invalid values: refused with the cell's message, nothing recorded.
    (
        &[
            "push",
            "company",
            "--external-id",
            "c1",
            "--name",
            "Acme",
            "--field",
            "category=Fintek",
            "--field",
            "employees=many",
        ],
        2,
    ),
    (
        &[
            "push",
            "company",
            "--external-id",
            "c1",
            "--field",
            "nosuch=1",
        ],
        2,
    ),
    (
        &["push", "company", "--external-id", "c1", "--field", "oops"],
        2,
    ),
    (
        &[
            "push",
            "company",
            "--external-id",
            "c1",
            "--field",
            "name=Acme",
            "--field",
            "domainName=acme.com",
            "--field",
            "category=fintech",
            "--field",
            "tags=Agency,Café",
            "--field",
            "address.city=Paris",
            "--field",
            "employees=1200",
            "--field",
            "Listing URL=https://dir.example/acme",
        ],
        0,
    ),
    (
        &[
            "push",
            "person",
            "--external-id",
            "p1",
            "--field",
            "name=Ada Lovelace",
            "--field",
            "emails.primaryEmail=ada@example.com",
            "--field",
            "jobTitle=Engineer",
            "--field",
            "seniority=boss",
        ],
        2,
    ),
    (
        &[
            "push",
            "person",
            "--external-id",
            "p1",
            "--field",
            "company_external_id=c1",
            "--field",
            "name=Ada Lovelace",
            "--field",
            "emails.primaryEmail=ada@example.com",
            "--field",
            "jobTitle=Engineer",
            "--field",
            "seniority=lead",
        ],
        0,
    ),
    (&["config", "set", "enabled", "true"], 0),
    (&["sync", "--until-idle"], 0),
];

#[test]
fn fields_mapping_and_push_values_mean_the_same_with_and_without_an_agent() {
    let config = || FakeConfig::august_2025().directory();
    let alone = Side::new("without an agent", config());
    let mut beside = Side::new("beside a running agent", config());
    beside.start_agent();
    for side in [&alone, &beside] {
        let run = side.run(&["config", "set", "api_key", "-"], Some("{key}\n"));
        assert_eq!(run.code, 0, "{}: {}", side.name, run.stderr);
    }
    for (number, (args, code)) in STEPS.iter().enumerate() {
        let without = alone.run(args, None);
        let with = beside.run(args, None);
        let context = || {
            format!(
                "step {number}: {args:?}\n--- without an agent (exit {}):\n{}\n{}\n--- beside the agent (exit {}):\n{}\n{}\n--- the agent's log:\n{}",
                without.code, without.stdout, without.stderr, with.code, with.stdout, with.stderr,
                beside.agent_log()
            )
        };
        assert_eq!(without.code, *code, "{}", context());
        assert!(
            with.stderr.contains("(asking the agent") || with.code == 2,
            "the command did not go through the agent: {}",
            context()
        );
        let comparable = |side: &Side, run: &super::sides::Run| {
            let stderr: Vec<String> = side
                .normalize(&run.stderr)
                .lines()
                .filter(|line| !line.starts_with("<time>"))
                .map(str::to_string)
                .collect();
            (run.code, side.normalize(&run.stdout), stderr)
        };
        assert_eq!(
            comparable(&alone, &without),
            comparable(&beside, &with),
            "{}",
            context()
        );
        if *args == ["fields", "person"] && number == 0 {
            assert!(
                without.stdout.contains("Twenty's standard fields")
                    && without.stdout.contains("twenty-sync fields --refresh"),
                "{}",
                context()
            );
        }
        if args.first() == Some(&"push") && *code == 2 {
            assert!(
                without.stderr.contains("nothing was recorded")
                    || without.stderr.contains("FIELD=VALUE"),
                "{}",
                context()
            );
        }
    }
    for side in [&alone, &beside] {
        let fields = side.run(&["fields", "company", "--json"], None);
        let report: Value = serde_json::from_str(&fields.stdout).unwrap();
        assert!(report["note"].is_null(), "{}", fields.stdout);
        let category = report["kinds"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|field| field["name"] == "category")
            .unwrap_or_else(|| panic!("no category field: {}", fields.stdout));
        assert_eq!(category["type"], "SELECT");
        assert_eq!(category["origin"], "custom");
        assert_eq!(category["options"][1]["value"], "FINTECH");
        let shown = side.run(&["mapping", "show", "--json"], None);
        let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
        assert_eq!(
            shown["overrides"],
            serde_json::json!([
                {"kind": "company", "column": "Town", "target": "address.addressCity"},
                {"kind": "company", "column": "listing-url", "target": "linkedinLink.primaryLinkUrl"},
                {"kind": "person", "column": "Ref", "target": "external_id"},
            ]),
            "{}",
            side.name
        );
        let twenty = side.twenty.get();
        let company = &twenty.find_by_external_id("companies", "c1")[0];
        assert_eq!(company["name"], "Acme", "{}: {company}", side.name);
        assert_eq!(company["category"], "FINTECH", "{}: {company}", side.name);
        assert_eq!(
            company["tags"],
            serde_json::json!(["AGENCY", "CAFE"]),
            "{}: {company}",
            side.name
        );
        assert_eq!(company["address"]["addressCity"], "Paris");
        assert_eq!(company["employees"], 1200);
        assert_eq!(
            company["listingUrl"]["primaryLinkUrl"],
            "https://dir.example/acme"
        );
        let person = &twenty.find_by_external_id("people", "p1")[0];
        assert_eq!(person["jobTitle"], "Engineer", "{}: {person}", side.name);
        assert_eq!(person["seniority"], "LEAD", "{}: {person}", side.name);
        assert_eq!(person["name"]["firstName"], "Ada");
        assert_eq!(person["emails"]["primaryEmail"], "ada@example.com");
    }
}
