//! Tests for the stability tracker, on fake instants.

use std::time::Duration;

use super::*;

fn sig(size: u64) -> Signature {
    Signature {
        size,
        modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(size)),
    }
}

#[test]
fn a_file_is_due_only_after_the_delay_without_change() {
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    let path = Path::new("/drop/people.csv");
    let mut tracker = StabilityTracker::new(Duration::from_secs(2));
    tracker.observe(path, sig(10), at(0));
    assert!(tracker.due(at(1_999)).is_empty());
    assert_eq!(tracker.due(at(2_000)), vec![path.to_path_buf()]);
    // Still being written: every change restarts the wait.
    tracker.observe(path, sig(20), at(1_500));
    assert!(tracker.due(at(3_000)).is_empty());
    tracker.observe(path, sig(20), at(3_000));
    assert_eq!(tracker.due(at(3_500)), vec![path.to_path_buf()]);
    // Deferred after a passing failure.
    tracker.defer(path, at(10_000));
    assert!(tracker.due(at(9_999)).is_empty());
    assert_eq!(tracker.due(at(10_000)).len(), 1);
    tracker.forget(path);
    assert!(tracker.is_empty());
}

#[test]
fn due_files_come_oldest_first() {
    let start = Instant::now();
    let mut tracker = StabilityTracker::new(Duration::from_secs(1));
    tracker.observe(Path::new("/d/b"), sig(1), start + Duration::from_millis(10));
    tracker.observe(Path::new("/d/a"), sig(1), start + Duration::from_millis(20));
    let due = tracker.due(start + Duration::from_secs(5));
    assert_eq!(due, vec![PathBuf::from("/d/b"), PathBuf::from("/d/a")]);
    assert_eq!(tracker.len(), 2);
}
