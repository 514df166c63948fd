//! Tests for the watcher loop, under paused time.

use std::time::Duration;

use super::*;
use crate::clock::ManualClock;

fn store_in(dir: &Path) -> Store {
    Store::open(
        &dir.join("data"),
        ManualClock::starting_at(1_764_000_000_000),
    )
    .expect("store")
}

#[tokio::test(start_paused = true)]
async fn the_watcher_imports_existing_files_after_the_stability_delay_and_stops() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = store_in(root.path());
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::write(inbox.join("companies.csv"), "id,name\nc1,Acme\n").expect("write");
    std::fs::write(inbox.join("notes.txt.part"), "partial").expect("write");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut config = WatchConfig::new(&inbox);
    config.reports = Some(tx);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(watch_drop_folder(store.clone(), config, async {
        let _ = stopped.await;
    }));
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a report in time")
        .expect("a report");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited for stability"
    );
    assert!(
        matches!(report.outcome, DropOutcome::Imported { .. }),
        "{report:?}"
    );
    assert!(inbox.join("processed/companies.csv").exists());
    assert!(
        inbox.join("notes.txt.part").exists(),
        "temporary files are left alone"
    );
    assert_eq!(store.counters().expect("counters").intents, 1);
    let _ = stop.send(());
    watcher.await.expect("joined").expect("stopped cleanly");
}
