//! `twenty-sync import` on bad, huge, hostile and half-written files: clear refusals, exit codes,
//! nothing lost.

use std::path::{Path, PathBuf};
use std::process::Output;

/// `twenty-sync --data-dir <data> <args>` with a clean environment.
pub(super) fn twenty_sync(data: &Path, args: &[&str]) -> Output {
    crate::support::twenty_sync(data)
        .args(args)
        .output()
        .expect("the binary runs")
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    fn import(&self, files: &[&Path], extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["import"];
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        args.extend(names.iter().map(String::as_str));
        args.extend(extra);
        let out = twenty_sync(&self.data(), &args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn intents(&self) -> u64 {
        let out = twenty_sync(&self.data(), &["status", "--json"]);
        let status: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("status is JSON");
        status["intents"].as_u64().expect("intents")
    }
}

fn assert_refused(case: &Case, name: &str, bytes: &[u8], expected: &str) {
    let path = case.write(name, bytes);
    let (code, _, stderr) = case.import(&[&path], &[]);
    assert_eq!(code, 2, "{name}: {stderr}");
    assert!(stderr.contains(expected), "{name}: {stderr}");
    assert!(
        path.exists(),
        "{name}: a named file is never moved or deleted"
    );
    assert_eq!(case.intents(), 0, "{name}: nothing recorded");
}

#[test]
fn empty_header_only_and_binary_files_are_refused_clearly() {
    let case = Case::new();
    assert_refused(&case, "companies.csv", b"", "is empty");
    assert_refused(
        &case,
        "companies2.csv",
        b"external_id,name\r\n",
        "has no data rows",
    );
    assert_refused(&case, "companies3.json", b"[ ]", "has no data rows");
    let mut binary = b"\x00\x01\x02ELF".to_vec();
    binary.extend((0..5000u32).map(|i| (i * 7 % 256) as u8));
    assert_refused(&case, "companies4.csv", &binary, "is not a text file");
    assert_refused(
        &case,
        "people.xlsx",
        b"PK\x03\x04\x14\x00rest",
        "Excel .xlsx workbook",
    );
}

#[test]
fn a_10_mb_single_line_is_refused_without_loading_it() {
    let case = Case::new();
    let mut text = b"type,external_id,name\ncompany,c1,Acme\ncompany,c2,".to_vec();
    text.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    text.push(b'\n');
    assert_refused(
        &case,
        "big-line.csv",
        &text,
        "line 3 holds a record longer than",
    );
    // One JSON object as large.
    let mut json = b"[{\"type\":\"company\",\"id\":\"c1\",\"name\":\"".to_vec();
    json.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    json.extend_from_slice(b"\"}]");
    assert_refused(&case, "big-line.json", &json, "holds a record longer than");
}

#[test]
fn missing_external_id_or_name_columns_are_named() {
    let case = Case::new();
    assert_refused(
        &case,
        "people.csv",
        b"name,email\nAda,ada@example.com\n",
        "has no external_id column",
    );
    assert_refused(
        &case,
        "companies.csv",
        b"id,website\nc1,acme.com\n",
        "has no name column",
    );
    assert_refused(
        &case,
        "export.csv",
        b"id,name\nc1,Acme\n",
        "add a `type` column (company or person) or name the file companies",
    );
}

#[test]
fn valid_rows_are_recorded_and_invalid_ones_reported_escaped() {
    let case = Case::new();
    let path = case.write(
        "people.csv",
        "External ID;Full Name;E-mail;Company;Notes\n\
         p1;Ada Lovelace;ada@example.com;Analytical Engines;x\n\
         p2;Bob;=HYPERLINK(\"http://evil\");;y\n\
         ;No Id;noid@example.com;;\n\
         p3;Grace Hopper;grace@example.com;;\n",
    );
    let (code, stdout, stderr) = case.import(&[&path], &[]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("4 rows read, 2 recorded, 2 invalid"),
        "{stdout}"
    );
    assert!(
        stdout.contains("column 'Notes' matches no field and is ignored"),
        "{stdout}"
    );
    assert_eq!(case.intents(), 2);
    let report = std::fs::read_to_string(case.dir.path().join("people.csv.errors.csv"))
        .expect("the report is beside the file");
    assert!(report.starts_with("row,column,value,message\n"), "{report}");
    assert!(
        report.contains("2,E-mail,\"'=HYPERLINK("),
        "formula escaped: {report}"
    );
    assert!(report.contains("3,External ID,,is required"), "{report}");
}

#[test]
fn a_wrong_delimiter_is_explained() {
    let case = Case::new();
    assert_refused(
        &case,
        "companies.csv",
        b"external_id|name\nc1|Acme\n",
        "has no column twenty-sync recognises (found: external_id|name)",
    );
    // Header with commas, rows with semicolons: every row is reported, nothing recorded.
    let path = case.write("companies2.csv", "external_id,name\nc1;Acme\nc2;Beta\n");
    let (code, _, _) = case.import(&[&path], &[]);
    assert_eq!(code, 2);
    let report =
        std::fs::read_to_string(case.dir.path().join("companies2.csv.errors.csv")).expect("report");
    assert!(
        report.contains("has 1 values but the header has 2 columns"),
        "{report}"
    );
    assert_eq!(case.intents(), 0);
}

#[test]
fn unbalanced_quotes_refuse_the_file_naming_the_line() {
    let case = Case::new();
    assert_refused(
        &case,
        "companies.csv",
        b"id,name\nc1,Acme\nc2,\"Beta\nc3,Gamma\n",
        "the quoted value that starts on line 3 is never closed",
    );
}

#[test]
fn latin1_text_is_read_as_windows_1252_with_a_warning() {
    let case = Case::new();
    let path = case.write(
        "companies.csv",
        b"id,name,city\nc1,Caf\xe9 M\xfcller \x80,K\xf6ln\n",
    );
    let (code, stdout, _) = case.import(&[&path], &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("read as Windows-1252"), "{stdout}");
    let events = twenty_sync(&case.data(), &["events", "--json"]);
    let text = String::from_utf8_lossy(&events.stdout);
    assert!(
        text.contains("Café Müller €") && text.contains("Köln"),
        "{text}"
    );
}

#[test]
fn utf16_json_and_ndjson_files_are_read() {
    let case = Case::new();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "type\tid\tname\r\ncompany\tc1\tZoë\r\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let tsv = case.write("export.tsv", utf16);
    let json = case.write(
        "people.json",
        r#"[{"id": 7, "first_name": "Ada", "last_name": "Lovelace", "email": "ADA@Example.com", "company_id": "c1"}]"#,
    );
    let ndjson = case.write(
        "mixed.ndjson",
        "{\"type\":\"company\",\"id\":\"c2\",\"name\":\"Beta\"}\n{\"type\":\"person\",\"id\":\"p2\",\"name\":\"Bo\",\"email\":\"bo@beta.io\"}\n",
    );
    let (code, stdout, stderr) = case.import(&[&tsv, &json, &ndjson], &["--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("JSON output");
    let formats: Vec<&str> = summary["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["outcome"]["format"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(formats, vec!["csv (tab)", "json", "ndjson"]);
    assert_eq!(case.intents(), 4);
}

#[test]
fn dry_run_records_nothing_and_the_same_file_twice_is_one_import() {
    let case = Case::new();
    let path = case.write("companies.csv", "id,name\nc1,Acme\nc2,Beta\n");
    let (code, stdout, _) = case.import(&[&path], &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("would create 2, update 0, leave 0 unchanged"),
        "{stdout}"
    );
    assert_eq!(case.intents(), 0);

    let (code, _, _) = case.import(&[&path], &[]);
    assert_eq!(code, 0);
    assert_eq!(case.intents(), 2);
    let (code, stdout, _) = case.import(&[&path], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("already imported"), "{stdout}");
    assert_eq!(case.intents(), 2, "zero new intents");
}

#[test]
fn mixed_results_over_several_files_exit_3_and_none_exit_2() {
    let case = Case::new();
    let good = case.write("companies.csv", "id,name\nc1,Acme\n");
    let bad = case.write("companies-empty.csv", "");
    assert_eq!(case.import(&[&good, &bad], &[]).0, 3);
    let missing = case.dir.path().join("nope.csv");
    let (code, _, stderr) = case.import(&[&missing], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nope.csv does not exist; check the file's name and folder")
            && !stderr.contains("disappeared"),
        "a file that never existed is said not to exist: {stderr}"
    );
}

#[cfg(unix)]
pub(super) fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(unix)]
#[test]
fn permission_denied_is_explained() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::new();
    let path = case.write("companies.csv", "id,name\nc1,Acme\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if running_as_root() {
        // root reads files whatever their mode, so chmod cannot deny it here; the code path is
        // covered by the injected-error unit tests (`errors_say_what_to_do_and_where_files_go`).
        eprintln!("skipped the permission-denied assertion: running as root, which chmod 000 does not stop");
        return;
    }
    let (code, _, stderr) = case.import(&[&path], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert!(path.exists());
}
