//! Tests of the ledger of written reports: only the very file written is opened.

use super::*;

#[cfg(unix)]
#[test]
fn only_the_reports_written_are_opened_never_a_link_or_a_replacement() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join(LEDGER_FILE);
    let drop = root.path().join("drop");
    std::fs::create_dir_all(drop.join("processed")).expect("dir");
    std::fs::create_dir_all(drop.join("failed")).expect("dir");
    let report = drop.join("processed/a.csv.errors.csv");
    std::fs::write(&report, "row,column,value,message\n").expect("write");
    record(&ledger, &report, 1).expect("recorded");
    let first = known(&ledger);
    assert!(open_known(&first, &drop, "processed", "a.csv.errors.csv").is_some());
    // Not written by the agent.
    std::fs::write(drop.join("processed/b.csv.errors.csv"), "x").expect("write");
    assert!(open_known(&first, &drop, "processed", "b.csv.errors.csv").is_none());
    // Replaced by a link to a secret, or by another file: refused.
    let secret = root.path().join("secrets.json");
    std::fs::write(&secret, "{\"api_key\":\"k\"}").expect("write");
    std::fs::remove_file(&report).expect("remove");
    std::os::unix::fs::symlink(&secret, &report).expect("link");
    assert!(open_known(&first, &drop, "processed", "a.csv.errors.csv").is_none());
    std::fs::remove_file(&report).expect("remove");
    std::fs::hard_link(&secret, &report).expect("hard link");
    assert!(open_known(&first, &drop, "processed", "a.csv.errors.csv").is_none());
    // A link as the folder itself.
    let failed_report = drop.join("failed/c.csv.errors.csv");
    std::fs::write(&failed_report, "x").expect("write");
    record(&ledger, &failed_report, 2).expect("recorded");
    let elsewhere = root.path().join("elsewhere");
    std::fs::rename(drop.join("failed"), &elsewhere).expect("move");
    std::os::unix::fs::symlink(&elsewhere, drop.join("failed")).expect("link");
    assert!(open_known(&known(&ledger), &drop, "failed", "c.csv.errors.csv").is_none());
    // A ledger that is a link knows nothing.
    let other = root.path().join("other.jsonl");
    std::fs::rename(&ledger, &other).expect("move");
    std::os::unix::fs::symlink(&other, &ledger).expect("link");
    assert!(known(&ledger).is_empty());
}
