//! What became of each imported file in Twenty: of the intents whose source is the file, how
//! many were created, updated, left unchanged, refused (with the failed records' ids), replaced
//! by a newer change before they were pushed, or still wait. Derived from the log and kept by
//! [`ImportOutcomes`]: the first read of a file collects its intents (scanning back from its
//! `ImportCompleted`) and follows the log from there; later reads follow only the new events,
//! at most [`MAX_SCAN_PER_READ`] per read.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::event::ImportSummary;
use crate::domain::{Envelope, Event, IntentSource, PushOutcome, RecordKey};
use crate::store::{Result, Store};

/// The most events one read follows (a later read goes on from there).
pub const MAX_SCAN_PER_READ: usize = 500_000;
/// The most failed records an outcome names.
pub const MAX_FAILED_LISTED: usize = 100;
/// Events read per chunk.
const CHUNK: usize = 1_024;

/// A file's outcome in Twenty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwentyOutcome {
    pub created: u64,
    pub updated: u64,
    /// Twenty already held exactly these fields: nothing was sent.
    pub unchanged: u64,
    /// Refused by Twenty and parked (see `failed_records`); a retry puts them back.
    pub failed: u64,
    /// Not pushed yet.
    pub waiting: u64,
    /// Replaced by a newer change of the same record before they were pushed.
    pub replaced: u64,
    /// Platform mode: accepted by the relay, which pushes them.
    pub forwarded: u64,
    /// True once nothing of the file waits any more.
    pub pushed: bool,
    /// The failed records (the first [`MAX_FAILED_LISTED`]), with Twenty's message.
    pub failed_records: Vec<FailedRecord>,
}

/// A record of the file that Twenty refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecord {
    pub kind: String,
    pub external_id: String,
    /// `CODE: message`, as the failures list shows it.
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Waiting,
    Failed(String),
}

#[derive(Debug)]
struct Open {
    import: u64,
    seq: u64,
    key: RecordKey,
    fate: Fate,
}

#[derive(Debug, Default)]
struct Tracked {
    tally: TwentyOutcome,
    /// Every event up to this sequence number was followed for this file.
    seen_to: u64,
}

#[derive(Debug, Default)]
struct State {
    imports: HashMap<u64, Tracked>,
    /// The files' intents whose fate may still change, by intent id.
    open: HashMap<Uuid, Open>,
    by_key: HashMap<RecordKey, Vec<Uuid>>,
}

/// The outcomes of the files of the imports history, kept up to date from the log.
#[derive(Debug, Default)]
pub struct ImportOutcomes {
    state: Mutex<State>,
}

impl ImportOutcomes {
    /// The outcome of each import (by the sequence number of its `ImportCompleted`), brought up
    /// to date; files no longer asked about are forgotten.
    pub fn read(
        &self,
        store: &Store,
        imports: &[(u64, &ImportSummary)],
    ) -> Result<HashMap<u64, TwentyOutcome>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let wanted: HashMap<u64, &ImportSummary> = imports
            .iter()
            .filter(|(_, s)| !s.duplicate_of_earlier_import && s.recorded > 0)
            .map(|(seq, s)| (*seq, *s))
            .collect();
        state.forget_all_but(&wanted);
        for (&seq, summary) in &wanted {
            if !state.imports.contains_key(&seq) {
                state.track(store, seq, summary)?;
            }
        }
        state.follow(store)?;
        let newest = store.last_seq();
        let mut failed = state.failed_records();
        Ok(state
            .imports
            .iter()
            .map(|(&seq, tracked)| {
                let mut tally = tracked.tally.clone();
                tally.pushed = tally.waiting == 0 && tracked.seen_to >= newest;
                tally.failed_records = failed.remove(&seq).unwrap_or_default();
                (seq, tally)
            })
            .collect())
    }
}

impl State {
    fn forget_all_but(&mut self, wanted: &HashMap<u64, &ImportSummary>) {
        if self.imports.keys().all(|seq| wanted.contains_key(seq)) {
            return;
        }
        self.imports.retain(|seq, _| wanted.contains_key(seq));
        let imports = &self.imports;
        self.open
            .retain(|_, open| imports.contains_key(&open.import));
        let open = &self.open;
        self.by_key.retain(|_, ids| {
            ids.retain(|id| open.contains_key(id));
            !ids.is_empty()
        });
    }

    /// Collects the intents of the import completed at `seq` (scanning back from it) as
    /// waiting; the log is then followed from the first of them.
    fn track(&mut self, store: &Store, seq: u64, summary: &ImportSummary) -> Result<()> {
        let limit = (summary.recorded as usize)
            .saturating_mul(4)
            .saturating_add(100_000);
        let mut found: Vec<(u64, Uuid, RecordKey)> = Vec::new();
        let mut cursor = seq;
        let mut scanned = 0usize;
        'scan: while (found.len() as u64) < summary.recorded && scanned < limit {
            let chunk = store.events_before(cursor, CHUNK)?;
            if chunk.is_empty() {
                break;
            }
            for envelope in chunk {
                scanned += 1;
                cursor = envelope.seq;
                if let Event::IntentRecorded(intent) = &envelope.event {
                    if matches!(&intent.source, IntentSource::Import { file, .. } if *file == summary.file_name)
                    {
                        found.push((envelope.seq, intent.id, intent.key()));
                        if found.len() as u64 >= summary.recorded {
                            break 'scan;
                        }
                    }
                }
            }
        }
        let first = found.iter().map(|(s, _, _)| *s).min().unwrap_or(seq);
        let waiting = found.len() as u64;
        for (intent_seq, id, key) in found {
            self.by_key.entry(key.clone()).or_default().push(id);
            self.open.insert(
                id,
                Open {
                    import: seq,
                    seq: intent_seq,
                    key,
                    fate: Fate::Waiting,
                },
            );
        }
        self.imports.insert(
            seq,
            Tracked {
                tally: TwentyOutcome {
                    waiting,
                    ..TwentyOutcome::default()
                },
                seen_to: first,
            },
        );
        Ok(())
    }

    /// Follows the log from where the least advanced file stopped, at most
    /// [`MAX_SCAN_PER_READ`] events.
    fn follow(&mut self, store: &Store) -> Result<()> {
        let Some(from) = self.imports.values().map(|t| t.seen_to).min() else {
            return Ok(());
        };
        let newest = store.last_seq();
        let mut cursor = from;
        let mut scanned = 0usize;
        while cursor < newest && scanned < MAX_SCAN_PER_READ {
            let chunk = store.events_after(cursor, CHUNK)?;
            if chunk.is_empty() {
                break;
            }
            for envelope in &chunk {
                scanned += 1;
                cursor = envelope.seq;
                self.apply(envelope);
            }
        }
        for tracked in self.imports.values_mut() {
            tracked.seen_to = tracked.seen_to.max(cursor);
        }
        Ok(())
    }

    /// Whether the file of this open intent still has to see an event at `seq`.
    fn follows(&self, open: &Open, seq: u64) -> bool {
        self.imports
            .get(&open.import)
            .is_some_and(|tracked| seq > tracked.seen_to)
    }

    fn apply(&mut self, envelope: &Envelope) {
        let seq = envelope.seq;
        match &envelope.event {
            Event::IntentRecorded(intent) => {
                let key = intent.key();
                let replaced: Vec<Uuid> = self
                    .by_key
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|id| **id != intent.id)
                    .filter(|id| {
                        self.open
                            .get(id)
                            .is_some_and(|open| open.seq < seq && self.follows(open, seq))
                    })
                    .copied()
                    .collect();
                for id in replaced {
                    self.settle(id, |tally| tally.replaced += 1);
                }
            }
            Event::PushSucceeded {
                intent_id, outcome, ..
            } => match outcome {
                PushOutcome::Created => self.settle_at(*intent_id, seq, |t| t.created += 1),
                PushOutcome::Updated => self.settle_at(*intent_id, seq, |t| t.updated += 1),
            },
            Event::PushSkipped { intent_id, .. } => {
                self.settle_at(*intent_id, seq, |t| t.unchanged += 1)
            }
            Event::ForwardedToRelay { intent_id, .. } => {
                self.settle_at(*intent_id, seq, |t| t.forwarded += 1)
            }
            Event::PushFailed {
                intent_id,
                code,
                message,
                retryable: false,
                ..
            } => {
                let Some(open) = self.open.get(intent_id) else {
                    return;
                };
                if !self.follows(open, seq) || open.fate != Fate::Waiting {
                    return;
                }
                let import = open.import;
                if let Some(open) = self.open.get_mut(intent_id) {
                    open.fate = Fate::Failed(format!("{}: {message}", code.as_str()));
                }
                if let Some(tracked) = self.imports.get_mut(&import) {
                    tracked.tally.waiting = tracked.tally.waiting.saturating_sub(1);
                    tracked.tally.failed += 1;
                }
            }
            Event::RetryRequested { key } => {
                let ids: Vec<Uuid> = self.by_key.get(key).cloned().unwrap_or_default();
                for id in ids {
                    let Some(open) = self.open.get(&id) else {
                        continue;
                    };
                    if !self.follows(open, seq) || open.fate == Fate::Waiting {
                        continue;
                    }
                    let import = open.import;
                    if let Some(open) = self.open.get_mut(&id) {
                        open.fate = Fate::Waiting;
                    }
                    if let Some(tracked) = self.imports.get_mut(&import) {
                        tracked.tally.failed = tracked.tally.failed.saturating_sub(1);
                        tracked.tally.waiting += 1;
                    }
                }
            }
            _ => {}
        }
    }

    fn settle_at(&mut self, id: Uuid, seq: u64, count: impl FnOnce(&mut TwentyOutcome)) {
        if self
            .open
            .get(&id)
            .is_some_and(|open| self.follows(open, seq))
        {
            self.settle(id, count);
        }
    }

    /// The intent's fate is settled for good: count it and stop following it.
    fn settle(&mut self, id: Uuid, count: impl FnOnce(&mut TwentyOutcome)) {
        let Some(open) = self.open.remove(&id) else {
            return;
        };
        if let Some(ids) = self.by_key.get_mut(&open.key) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.by_key.remove(&open.key);
            }
        }
        if let Some(tracked) = self.imports.get_mut(&open.import) {
            let tally = &mut tracked.tally;
            match open.fate {
                Fate::Waiting => tally.waiting = tally.waiting.saturating_sub(1),
                Fate::Failed(_) => tally.failed = tally.failed.saturating_sub(1),
            }
            count(tally);
        }
    }

    /// The failed records of each file (the first [`MAX_FAILED_LISTED`] by kind and id).
    fn failed_records(&self) -> HashMap<u64, Vec<FailedRecord>> {
        let mut failed: HashMap<u64, BTreeMap<&RecordKey, &str>> = HashMap::new();
        if self
            .imports
            .values()
            .any(|tracked| tracked.tally.failed > 0)
        {
            for open in self.open.values() {
                if let Fate::Failed(error) = &open.fate {
                    failed
                        .entry(open.import)
                        .or_default()
                        .insert(&open.key, error.as_str());
                }
            }
        }
        failed
            .into_iter()
            .map(|(import, records)| {
                let listed = records
                    .into_iter()
                    .take(MAX_FAILED_LISTED)
                    .map(|(key, error)| FailedRecord {
                        kind: key.kind.as_str().to_string(),
                        external_id: key.external_id.clone(),
                        error: error.to_string(),
                    })
                    .collect();
                (import, listed)
            })
            .collect()
    }
}
