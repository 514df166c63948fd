//! The scenarios of issue 14's targets, each run for one flavour and one strategy: a first sync
//! into an empty workspace (its 429s are scenario 5) followed by changes in a new process, a sync
//! into a workspace already holding some of the records, and a push that crashes or gets a 5xx
//! after Twenty committed a batch.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use fake_twenty::FakeTwenty;
use tokio::task::JoinHandle;
use twenty_sync::store::Store;

use crate::engine::{connect_engine, push_until_idle, Strategy};
use crate::original::{MappingTable, Original};
use crate::report::{thousands, Row, Target};
use crate::workspace::{intents, open_store, seed_existing, tally, Flavour, Outcome, Tally};

/// The sizes and the time scale of a run of the benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Companies (and as many people) of the first sync.
    pub records: usize,
    /// Records (half companies, half people) of the sync into a populated workspace…
    pub adopt_records: usize,
    /// …of which Twenty already holds this many.
    pub adopt_existing: usize,
    /// Records (half companies, half people) of the fault runs.
    pub fault_records: usize,
    /// The per-record strategy runs on this many times fewer records (then multiplied).
    pub sample: usize,
    pub scale: f64,
}

/// One run's context: the flavour, the strategy, the sizes.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub flavour: Flavour,
    pub strategy: Strategy,
    pub sizes: Sizes,
}

/// A fault the fake injects into the next write once two batch creates went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Committed, then the process dies before it records the answer (the connection is
    /// dropped, the pushing task aborted, the store reopened by a new pusher).
    KillAfterCommit,
    /// Committed, then answered 500 `Data validation error.` (2.4.0 did).
    ErrorAfterCommit,
}

impl Run {
    fn row(&self, scenario: &str, tally: Tally) -> Row {
        Row {
            scenario: scenario.to_string(),
            flavour: self.flavour,
            strategy: self.strategy,
            tally,
            note: String::new(),
            targets: Vec::new(),
        }
    }

    fn engine(&self) -> bool {
        self.strategy != Strategy::PerRecord
    }

    /// Companies per kind the strategy really pushes, and the factor its counts are multiplied by.
    fn sampled(&self, per_kind: usize) -> (usize, usize) {
        match self.strategy {
            Strategy::PerRecord => ((per_kind / self.sizes.sample).max(1), self.sizes.sample),
            _ => (per_kind, 1),
        }
    }

    /// Scenarios 1, 5 and 2: the whole directory into an empty workspace, then 10 changed
    /// companies in a new process, then the same 10 again (unchanged).
    pub async fn first_sync_then_changes(&self, changes: bool) -> Vec<Row> {
        let scale = self.sizes.scale;
        let fake = self.flavour.start(self.strategy, scale).await;
        let (per_kind, factor) = self.sampled(self.sizes.records);
        let first = format!(
            "1. {} + {} new",
            thousands(self.sizes.records),
            thousands(self.sizes.records)
        );
        let mut rows = Vec::new();
        let dir = tempfile::tempdir().expect("a temp dir");
        let table = MappingTable::default();
        let edits = intents(0..10, " (edited)", false);
        let phases: Vec<(String, Vec<twenty_sync::domain::Event>)> = {
            let mut phases = vec![(first, intents(0..per_kind, "", true))];
            if changes {
                phases.push(("2. 10 changed, new process".into(), edits.clone()));
                phases.push(("2. 0 changed, new process".into(), edits));
            }
            phases
        };
        for (index, (scenario, events)) in phases.into_iter().enumerate() {
            fake.clear_requests();
            let started = Instant::now();
            let records = events.len();
            let (outcome, error) = if self.engine() {
                let store = open_store(dir.path());
                store.append(events).expect("the intents are recorded");
                let result = async {
                    let mut pusher = connect_engine(&store, &fake, self.strategy, scale).await?;
                    push_until_idle(&mut pusher, scale).await
                }
                .await;
                (Outcome::of_store(&store, &HashSet::new()), result.err())
            } else {
                let mut original = Original::connect(&fake, table.clone(), scale);
                // The original syncs a record when it is edited: unchanged ones are not sent.
                if index < 2 {
                    original.sync(&events, false).await;
                }
                (self.original_outcome(&original), None)
            };
            let factor = if index == 0 { factor } else { 1 };
            let mut row = self.row(
                &scenario,
                tally(&fake, records, outcome, started.elapsed(), factor),
            );
            row.note = error.map(|e| format!("stopped: {e}")).unwrap_or_default();
            if index > 0 && factor == 1 && self.sizes.sample > 1 && !self.engine() {
                row.note = format!("in the workspace of the 1/{} sample", self.sizes.sample);
            }
            if index == 2 && !self.engine() {
                row.note
                    .push_str("; not sent: the original syncs on an edit");
            }
            rows.push(row);
        }
        if self.strategy == Strategy::ThisEngine {
            self.first_sync_targets(&mut rows);
        }
        rows
    }

    fn original_outcome(&self, original: &Original) -> Outcome {
        Outcome {
            parked: original.failed,
            mapped: original.mapped(),
            ..Outcome::default()
        }
    }

    fn first_sync_targets(&self, rows: &mut [Row]) {
        let twenty_24 = self.flavour == Flavour::Twenty24;
        if let Some(first) = rows.first_mut() {
            let t = &first.tally;
            let all = self.sizes.records * 2;
            first.targets.push(Target::new(
                format!("≤ 105 record requests ({})", thousands(t.record_requests)),
                t.record_requests <= 105,
            ));
            first.targets.push(Target::new(
                format!("all {} in Twenty, 0 duplicates", thousands(all)),
                t.in_twenty == all && t.duplicate_external_ids == 0 && t.outcome.parked == 0,
            ));
            if twenty_24 {
                first.targets.push(Target::new(
                    format!("5. 0 answers 429 at 100/min ({})", t.throttled),
                    t.throttled == 0,
                ));
            }
        }
        if let Some(changed) = rows.get_mut(1) {
            let (want, text) = if twenty_24 {
                (1, "exactly 1 request")
            } else {
                (10, "exactly 10 requests")
            };
            let total = changed.tally.total();
            changed
                .targets
                .push(Target::new(format!("{text} ({total})"), total == want));
        }
        if let Some(unchanged) = rows.get_mut(2) {
            let total = unchanged.tally.total();
            unchanged
                .targets
                .push(Target::new(format!("0 requests ({total})"), total == 0));
        }
    }

    /// Scenario 3: records into a workspace already holding some of them (same e-mails and
    /// domains, no `externalId`), one in every `records / existing`.
    pub async fn sync_into_populated_workspace(&self) -> Row {
        let scale = self.sizes.scale;
        let fake = self.flavour.start(self.strategy, scale).await;
        let (per_kind, factor) = self.sampled(self.sizes.adopt_records / 2);
        let stride = (self.sizes.adopt_records / self.sizes.adopt_existing.max(1)).max(1);
        let existing = seed_existing(&fake, (0..per_kind).step_by(stride));
        let events = intents(0..per_kind, "", true);
        let records = events.len();
        let scenario = format!(
            "3. {} into a workspace holding {}",
            thousands(self.sizes.adopt_records),
            thousands(self.sizes.adopt_existing)
        );
        let dir = tempfile::tempdir().expect("a temp dir");
        let started = Instant::now();
        let (outcome, error) = if self.engine() {
            let store = open_store(dir.path());
            store.append(events).expect("the intents are recorded");
            let result = async {
                let mut pusher = connect_engine(&store, &fake, self.strategy, scale).await?;
                push_until_idle(&mut pusher, scale).await
            }
            .await;
            (Outcome::of_store(&store, &existing), result.err())
        } else {
            let mut original = Original::connect(&fake, MappingTable::default(), scale);
            original.sync(&events, false).await;
            (self.original_outcome(&original), None)
        };
        let mut row = self.row(
            &scenario,
            tally(&fake, records, outcome, started.elapsed(), factor),
        );
        let t = &row.tally;
        let batches = t.batches(per_kind, per_kind);
        let per_batch = t.record_requests as f64 / batches.max(1) as f64;
        row.note = match self.strategy {
            Strategy::PerRecord => format!("{per_batch:.1} record requests per record"),
            _ => format!("{batches} batches, {per_batch:.1} record requests per batch"),
        };
        if let Some(error) = error {
            row.note.push_str(&format!("; stopped: {error}"));
        }
        if self.strategy == Strategy::ThisEngine {
            let (limit, text) = match self.flavour {
                Flavour::August2025 => (
                    2 * batches + t.outcome.adopted + 3,
                    "≤ 2 per batch + 1 per adopted + 3",
                ),
                Flavour::Twenty24 => (3 * batches + 3, "≤ 3 per batch + 3"),
            };
            let clean = t.outcome.parked == 0
                && t.duplicate_external_ids == 0
                && t.duplicate_keys == 0
                && t.outcome.mapped == records;
            row.targets.push(Target::new(
                format!(
                    "0 parked, 0 duplicates, all {} mapped ({} parked, {} mapped)",
                    thousands(records),
                    thousands(t.outcome.parked),
                    thousands(t.outcome.mapped)
                ),
                clean,
            ));
            row.targets.push(Target::new(
                format!(
                    "{text} = {} ({})",
                    thousands(limit),
                    thousands(t.record_requests)
                ),
                t.record_requests <= limit,
            ));
        }
        row
    }

    /// Scenario 4: a clean run, one killed after Twenty committed a batch, one answered 5xx after
    /// the commit; the extra requests are the faulted runs' totals minus the clean one's.
    pub async fn faults(&self) -> Vec<Row> {
        let (per_kind, _) = self.sampled(self.sizes.fault_records);
        let per_kind = per_kind / 2;
        let mut rows: Vec<Row> = Vec::new();
        let mut clean_total = None;
        for fault in [
            None,
            Some(Fault::KillAfterCommit),
            Some(Fault::ErrorAfterCommit),
        ] {
            let (tally, injected, error) = self.faulted_run(per_kind, fault).await;
            let name = match fault {
                None => "clean",
                Some(Fault::KillAfterCommit) => "SIGKILL after a commit",
                Some(Fault::ErrorAfterCommit) => "5xx after a commit",
            };
            let scenario = format!("4. {} records, {name}", thousands(per_kind * 2));
            let mut row = self.row(&scenario, tally);
            let total = row.tally.total();
            let extra = clean_total.map(|clean: usize| total as i64 - clean as i64);
            clean_total.get_or_insert(total);
            row.note = match (fault, injected, extra) {
                (None, _, _) => String::new(),
                (Some(_), false, _) => "the fault never fired (too few batches)".into(),
                (Some(_), true, Some(extra)) => format!("{extra:+} requests, 1 batch in flight"),
                (Some(_), true, None) => String::new(),
            };
            if let Some(error) = error {
                row.note.push_str(&format!("; stopped: {error}"));
            }
            let t = &row.tally;
            if self.strategy == Strategy::ThisEngine {
                let intact = t.in_twenty == per_kind * 2
                    && t.duplicate_external_ids == 0
                    && t.outcome.parked == 0
                    && t.outcome.pending == 0;
                row.targets
                    .push(Target::new("all in Twenty, 0 duplicates, 0 parked", intact));
                if let (true, Some(extra)) = (injected, extra) {
                    row.targets
                        .push(Target::new(format!("≤ 2 extra ({extra:+})"), extra <= 2));
                }
            }
            rows.push(row);
        }
        rows
    }

    /// One fault run: `per_kind` companies and as many people into an empty workspace.
    async fn faulted_run(
        &self,
        per_kind: usize,
        fault: Option<Fault>,
    ) -> (Tally, bool, Option<String>) {
        let scale = self.sizes.scale;
        let fake = self.flavour.start(self.strategy, scale).await;
        let events = intents(0..per_kind, "", true);
        let records = events.len();
        let dir = tempfile::tempdir().expect("a temp dir");
        let started = Instant::now();
        if self.engine() {
            let store = open_store(dir.path());
            store.append(events).expect("the intents are recorded");
            let (store, injected, result) = self
                .engine_with_fault(store, &fake, dir.path(), fault)
                .await;
            let outcome = Outcome::of_store(&store, &HashSet::new());
            (
                tally(&fake, records, outcome, started.elapsed(), 1),
                injected,
                result.err(),
            )
        } else {
            let table = MappingTable::default();
            let mut original = Original::connect(&fake, table.clone(), scale);
            let task = {
                let events = events.clone();
                tokio::spawn(async move {
                    original.sync(&events, false).await;
                    original.failed
                })
            };
            let injected = inject(&fake, fault, &task).await;
            let mut failed = 0;
            if injected && fault == Some(Fault::KillAfterCommit) {
                task.abort();
                let _ = task.await;
            } else {
                failed += task.await.unwrap_or(0);
            }
            let mut resumed = Original::connect(&fake, table, scale);
            resumed.sync(&events, true).await;
            let outcome = Outcome {
                parked: failed + resumed.failed,
                mapped: resumed.mapped(),
                ..Outcome::default()
            };
            (
                tally(&fake, records, outcome, started.elapsed(), 1),
                injected,
                None,
            )
        }
    }
}

impl Run {
    /// Pushes `store` with the engine while `fault` is injected; after a kill, a new pusher on
    /// the reopened store finishes. Returns the store as it ended.
    async fn engine_with_fault(
        &self,
        store: Store,
        fake: &FakeTwenty,
        dir: &Path,
        fault: Option<Fault>,
    ) -> (Store, bool, Result<(), String>) {
        let scale = self.sizes.scale;
        let mut pusher = match connect_engine(&store, fake, self.strategy, scale).await {
            Ok(pusher) => pusher,
            Err(error) => return (store, false, Err(error)),
        };
        let task = tokio::spawn(async move { push_until_idle(&mut pusher, scale).await });
        let injected = inject(fake, fault, &task).await;
        if !(injected && fault == Some(Fault::KillAfterCommit)) {
            let result = task.await.unwrap_or_else(|e| Err(e.to_string()));
            return (store, injected, result);
        }
        task.abort();
        let _ = task.await;
        drop(store);
        let store = open_store(dir);
        let result = async {
            let mut pusher = connect_engine(&store, fake, self.strategy, scale).await?;
            push_until_idle(&mut pusher, scale).await
        }
        .await;
        (store, true, result)
    }
}

/// Waits until two batch creates went through, then arms `fault` for the next write and waits
/// until it fired. `false` when the run ended first (or no fault was asked for).
async fn inject<T>(fake: &FakeTwenty, fault: Option<Fault>, task: &JoinHandle<T>) -> bool {
    let Some(fault) = fault else {
        return false;
    };
    let poll = Duration::from_millis(1);
    if !wait_for(task, poll, || {
        fake.count_matching("POST", "/rest/batch/") >= 2
    })
    .await
    {
        return false;
    }
    let key = match fault {
        Fault::KillAfterCommit => {
            fake.faults().drop_after_commit_next(1);
            "drop_after_commit_next"
        }
        Fault::ErrorAfterCommit => {
            fake.faults().error_after_commit_next(1);
            "error_after_commit_next"
        }
    };
    wait_for(task, poll, || fake.faults().to_json()[key] == 0).await
}

/// Polls `done` every `poll` until it holds (`true`) or `task` ends (`false`).
async fn wait_for<T>(task: &JoinHandle<T>, poll: Duration, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if task.is_finished() {
            return done();
        }
        tokio::time::sleep(poll).await;
    }
}
