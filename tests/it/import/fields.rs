//! Imports map any column to any field of the workspace, through the real binary on real files:
//! a directory's CSV (address parts, LinkedIn, a select, a multi-select, employees, a custom
//! "Listing URL") records intents carrying those values; a wrong select value is a row error
//! naming the options; `--map` overrides a header for one run; a dry run lists the cell errors;
//! and, end to end against the fake Twenty with the directory's fields (both flavours), the
//! records in Twenty carry every mapped value.

use std::sync::Arc;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::{json, Value};
use twenty_sync::app::fields::refresh_data_model;
use twenty_sync::clock::SystemClock;
use twenty_sync::store::Store;
use twenty_sync::twenty::{ClientConfig, RequestBudget, TwentyClient};

use super::running::{said, wait_for, Folder};

const HEADER: &str = "id,name,website,Address Street 1,Address City,Address Postcode,Address Country,linkedinLink,Category,Tags,Employees,Listing URL,Notes";

/// A directory export: two good companies.
fn directory_csv() -> String {
    format!(
        "{HEADER}\n\
         c1,Acme,acme.example,1 Main St,Lyon,69001,France,https://www.linkedin.com/company/acme,Fintech,\"Agency, Café\",120,https://dir.example/acme,call back\n\
         c2,Beta,beta.example,,Paris,,,,agency,fintech,1 500,https://dir.example/beta,\n"
    )
}

/// A folder pushing to `fake`, whose data model was read once (as `fields --refresh` does).
fn folder_knowing(runtime: &tokio::runtime::Runtime, fake: &FakeTwenty) -> Folder {
    let folder = Folder::for_twenty(&fake.base_url(), &fake.api_key());
    let store = Store::open(&folder.data(), Arc::new(SystemClock)).expect("store");
    let mut config = ClientConfig::new(fake.base_url(), fake.api_key());
    config.timeout = Duration::from_secs(5);
    let client = TwentyClient::new(config, RequestBudget::new(100_000, 1_000)).expect("client");
    runtime
        .block_on(refresh_data_model(&store, &client))
        .expect("the data model is read");
    drop(store);
    folder
}

/// The `values` of every IntentRecorded, by external id.
fn recorded_values(folder: &Folder) -> Vec<(String, Value)> {
    let run = folder.run(&["events", "--json"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let events: Value = serde_json::from_str(&run.stdout).expect("events are JSON");
    events
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["kind"] == "IntentRecorded")
        .map(|e| {
            (
                e["external_id"].as_str().unwrap_or_default().to_string(),
                e["details"]["values"].clone(),
            )
        })
        .collect()
}

fn values_of(folder: &Folder, external_id: &str) -> Value {
    recorded_values(folder)
        .into_iter()
        .rev()
        .find(|(id, _)| id == external_id)
        .map(|(_, values)| values)
        .unwrap_or_else(|| panic!("no intent for {external_id}"))
}

#[test]
fn a_directory_csv_records_every_mapped_field_and_refuses_a_wrong_select_value() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current().directory()));
    let folder = folder_knowing(&runtime, &fake);
    let mut text = directory_csv();
    text.push_str("c3,Gamma,gamma.example,,,,,,Fintek,,,,\n");
    folder.write("companies.csv", text);
    let run = folder.run(&["import", "companies.csv"]);
    assert_eq!(run.code, 3, "{}", said(&run));
    assert!(
        run.stdout.contains("3 rows read, 2 recorded, 1 invalid"),
        "{}",
        said(&run)
    );
    assert!(
        run.stdout
            .contains("column 'Notes' matches no field and is ignored"),
        "{}",
        said(&run)
    );
    assert!(
        run.stdout.contains("row 3, Category 'Fintek': "),
        "{}",
        said(&run)
    );

    let acme = values_of(&folder, "c1");
    assert_eq!(acme["category"], "FINTECH", "{acme}");
    assert_eq!(acme["tags"], json!(["AGENCY", "CAFE"]), "{acme}");
    assert_eq!(acme["employees"], 120, "{acme}");
    assert_eq!(acme["address"]["addressStreet1"], "1 Main St", "{acme}");
    assert_eq!(acme["address"]["addressCity"], "Lyon", "{acme}");
    assert_eq!(acme["address"]["addressPostcode"], "69001", "{acme}");
    assert_eq!(acme["address"]["addressCountry"], "France", "{acme}");
    assert!(
        acme["linkedinLink"]["primaryLinkUrl"]
            .as_str()
            .is_some_and(|url| url.contains("linkedin.com/company/acme")),
        "{acme}"
    );
    assert!(
        acme["listingUrl"]["primaryLinkUrl"]
            .as_str()
            .is_some_and(|url| url.contains("dir.example/acme")),
        "{acme}"
    );
    let beta = values_of(&folder, "c2");
    assert_eq!(beta["employees"], 1500, "{beta}");
    assert_eq!(beta["category"], "AGENCY", "{beta}");

    let report = std::fs::read_to_string(folder.path("companies.csv.errors.csv"))
        .expect("the report is written beside the file");
    let line = report
        .lines()
        .find(|line| line.starts_with("3,"))
        .unwrap_or_else(|| panic!("row 3 is reported: {report}"));
    assert!(line.starts_with("3,Category,Fintek,"), "{report}");
    for option in ["Agency", "Fintech", "In progress"] {
        assert!(line.contains(option), "the options are named: {report}");
    }
}

#[test]
fn map_overrides_a_header_for_one_run_and_a_dry_run_lists_the_cell_errors() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current().directory()));
    let folder = folder_knowing(&runtime, &fake);
    folder.write(
        "companies.csv",
        "id,name,Fiche,Kind of business,Staff\n\
         c1,Acme,https://dir.example/acme,Fintech,12\n\
         c2,Beta,https://dir.example/beta,Bakery,many\n",
    );

    let run = folder.run(&[
        "import",
        "companies.csv",
        "--dry-run",
        "--map",
        "Fiche=listingUrl",
        "--map",
        "Kind of business=category",
        "--map",
        "Staff=employees",
    ]);
    assert_eq!(run.code, 3, "{}", said(&run));
    assert!(
        run.stdout.contains("row 2, Kind of business 'Bakery': "),
        "{}",
        said(&run)
    );
    assert!(
        run.stdout.contains("row 2, Staff 'many': "),
        "{}",
        said(&run)
    );
    assert!(run.stdout.contains("Agency"), "{}", said(&run));
    assert!(
        !run.stdout.contains("matches no field"),
        "every column is mapped: {}",
        said(&run)
    );
    assert!(
        recorded_values(&folder).is_empty(),
        "a dry run records nothing"
    );

    let bad = folder.run(&["import", "companies.csv", "--map", "Fiche=nowhere"]);
    assert_eq!(bad.code, 2, "{}", said(&bad));
    assert!(
        bad.stderr.contains("--map Fiche=nowhere"),
        "the column and the target are named: {}",
        said(&bad)
    );
    assert!(recorded_values(&folder).is_empty());

    let run = folder.run(&[
        "import",
        "companies.csv",
        "--map",
        "Fiche=listingUrl",
        "--map",
        "Kind of business=category",
    ]);
    assert_eq!(run.code, 3, "Bakery is still no category: {}", said(&run));
    let acme = values_of(&folder, "c1");
    assert_eq!(acme["category"], "FINTECH", "{acme}");
    assert!(
        acme["listingUrl"]["primaryLinkUrl"]
            .as_str()
            .is_some_and(|url| url.contains("dir.example/acme")),
        "{acme}"
    );
    assert!(
        run.stdout
            .contains("column 'Staff' matches no field and is ignored"),
        "without --map the column is ignored again: {}",
        said(&run)
    );
}

#[test]
fn json_files_give_lists_and_objects_directly() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current().directory()));
    let folder = folder_knowing(&runtime, &fake);
    folder.write(
        "companies.json",
        r#"[{"id": "c1", "name": "Acme", "tags": ["Fintech", "agency"],
             "address": {"addressCity": "Lyon", "addressCountry": "France"},
             "aliases": ["ACME", "Acme Inc"], "extra": {"source": "dir", "n": 1}}]"#,
    );
    let run = folder.run(&["import", "companies.json"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    let acme = values_of(&folder, "c1");
    assert_eq!(acme["tags"], json!(["AGENCY", "FINTECH"]), "{acme}");
    assert_eq!(acme["address"]["addressCity"], "Lyon", "{acme}");
    assert_eq!(acme["aliases"], json!(["ACME", "Acme Inc"]), "{acme}");
    assert_eq!(acme["extra"], json!({"n": 1, "source": "dir"}), "{acme}");
}

#[test]
fn pushed_records_carry_every_mapped_value_on_both_flavours() {
    for config in [FakeConfig::august_2025(), FakeConfig::current()] {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let fake = runtime.block_on(FakeTwenty::start(config.directory()));
        let folder = folder_knowing(&runtime, &fake);
        folder.write("companies.csv", directory_csv());
        folder.write(
            "people.csv",
            "id,first name,last name,email,Emails Additional,Seniority,Nickname,job title,city,company_id\n\
             p1,Ada,Lovelace,ada@example.com,\"ada@work.example, a.l@example.org\",senior,Countess,Analyst,London,c1\n",
        );
        let run = folder.run(&["import", "companies.csv", "people.csv"]);
        assert_eq!(run.code, 0, "{}", said(&run));
        let run = folder.run(&["sync", "--until-idle"]);
        assert_eq!(run.code, 0, "{}", said(&run));

        let records = fake.records("companies");
        let acme = records
            .iter()
            .find(|r| r["externalId"] == "c1")
            .unwrap_or_else(|| panic!("Acme is in Twenty: {records:?}"));
        assert_eq!(acme["name"], "Acme", "{acme}");
        assert_eq!(acme["category"], "FINTECH", "{acme}");
        assert_eq!(acme["tags"], json!(["AGENCY", "CAFE"]), "{acme}");
        assert_eq!(acme["employees"], 120, "{acme}");
        assert_eq!(acme["address"]["addressStreet1"], "1 Main St", "{acme}");
        assert_eq!(acme["address"]["addressCity"], "Lyon", "{acme}");
        assert_eq!(acme["address"]["addressPostcode"], "69001", "{acme}");
        assert_eq!(acme["address"]["addressCountry"], "France", "{acme}");
        assert!(
            acme["linkedinLink"]["primaryLinkUrl"]
                .as_str()
                .is_some_and(|url| url.contains("linkedin.com/company/acme")),
            "{acme}"
        );
        assert!(
            acme["listingUrl"]["primaryLinkUrl"]
                .as_str()
                .is_some_and(|url| url.contains("dir.example/acme")),
            "{acme}"
        );
        assert!(
            acme["domainName"]["primaryLinkUrl"]
                .as_str()
                .is_some_and(|url| url.contains("acme.example")),
            "{acme}"
        );
        let beta = records
            .iter()
            .find(|r| r["externalId"] == "c2")
            .expect("Beta is in Twenty");
        assert_eq!(beta["employees"], 1500, "{beta}");

        let people = fake.records("people");
        let ada = people
            .iter()
            .find(|r| r["externalId"] == "p1")
            .unwrap_or_else(|| panic!("Ada is in Twenty: {people:?}"));
        assert_eq!(ada["name"]["firstName"], "Ada", "{ada}");
        assert_eq!(ada["emails"]["primaryEmail"], "ada@example.com", "{ada}");
        assert_eq!(
            ada["emails"]["additionalEmails"],
            json!(["ada@work.example", "a.l@example.org"]),
            "{ada}"
        );
        assert_eq!(ada["seniority"], "SENIOR", "{ada}");
        assert_eq!(ada["nickname"], "Countess", "{ada}");
        assert_eq!(ada["companyId"], acme["id"], "the company link: {ada}");

        // Someone edits Ada's job title in Twenty; the directory then changes her city only.
        let ada_id = ada["id"].as_str().expect("an id").to_string();
        fake.edit_record(
            "people",
            &ada_id,
            json!({"jobTitle": "Countess of Lovelace"}),
        )
        .expect("an edit in Twenty");
        folder.write(
            "people-2.csv",
            "id,first name,last name,email,Emails Additional,Seniority,Nickname,job title,city,company_id\n\
             p1,Ada,Lovelace,ada@example.com,\"ada@work.example, a.l@example.org\",senior,Countess,Analyst,Paris,c1\n",
        );
        let run = folder.run(&["import", "people-2.csv"]);
        assert_eq!(run.code, 0, "{}", said(&run));
        let run = folder.run(&["sync", "--until-idle"]);
        assert_eq!(run.code, 0, "{}", said(&run));
        let ada = fake
            .records("people")
            .into_iter()
            .find(|r| r["externalId"] == "p1")
            .expect("Ada is still in Twenty");
        assert_eq!(ada["city"], "Paris", "the directory's change: {ada}");
        assert_eq!(
            ada["jobTitle"], "Countess of Lovelace",
            "the edit made in Twenty survives: {ada}"
        );
        assert_eq!(ada["seniority"], "SENIOR", "{ada}");
        assert_eq!(
            ada["emails"]["additionalEmails"],
            json!(["ada@work.example", "a.l@example.org"]),
            "{ada}"
        );
    }
}

#[test]
fn beside_a_running_agent_map_and_the_drop_folder_use_the_fields_in_force() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeTwenty::start(FakeConfig::current().directory()));
    let folder = folder_knowing(&runtime, &fake);
    let _agent = folder.start_agent();

    folder.write(
        "companies.csv",
        "id,name,Fiche,Category\nc1,Acme,https://dir.example/acme,Fintech\n",
    );
    let bad = folder.run(&["import", "companies.csv", "--map", "Fiche=nowhere"]);
    assert_eq!(bad.code, 2, "{}", said(&bad));
    assert!(bad.stderr.contains("--map Fiche=nowhere"), "{}", said(&bad));
    let run = folder.run(&["import", "companies.csv", "--map", "Fiche=listingUrl"]);
    assert_eq!(run.code, 0, "{}", said(&run));
    assert!(!run.stdout.contains("matches no field"), "{}", said(&run));
    let acme = values_of(&folder, "c1");
    assert_eq!(acme["category"], "FINTECH", "{acme}");
    assert!(
        acme["listingUrl"]["primaryLinkUrl"]
            .as_str()
            .is_some_and(|url| url.contains("dir.example/acme")),
        "{acme}"
    );

    // A file dropped into the agent's drop folder is mapped the same way.
    let inbox = folder.data().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let staged = inbox.join(".companies-drop.csv.tmp");
    std::fs::write(
        &staged,
        "id,name,Tags,Employees\nd1,Delta,\"Agency, Fintech\",42\n",
    )
    .expect("write");
    std::fs::rename(&staged, inbox.join("companies-drop.csv")).expect("rename");
    let delta = wait_for("the dropped file's intent", Duration::from_secs(30), || {
        recorded_values(&folder)
            .into_iter()
            .find(|(id, _)| id == "d1")
            .map(|(_, values)| values)
    });
    assert_eq!(delta["tags"], json!(["AGENCY", "FINTECH"]), "{delta}");
    assert_eq!(delta["employees"], 42, "{delta}");
}
