//! The last hour at a glance, for the Status screen's chart: records synced per minute and the
//! queue depth at the end of each minute, derived from the event log.
//!
//! Cheap by construction: the first read scans only the last hour of the log (at most
//! [`MAX_BACKFILL`] events), later reads only the events appended since. Queue depths before the
//! chart was first read are estimated backwards from the current pending count (intents in,
//! settled out); from then on every read samples the real count.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::clock::format_ms;
use crate::domain::{Envelope, Event};
use crate::store::{Result, Store};

/// Minutes the chart shows.
pub const MINUTES: i64 = 60;
/// The most events the first read scans (a huge import in the last hour is cut off there).
pub const MAX_BACKFILL: usize = 200_000;
/// More new events than this since the last read: start over from the last hour instead.
const MAX_CATCH_UP: u64 = 50_000;
const MINUTE_MS: i64 = 60_000;

/// One minute of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartPoint {
    /// Start of the minute.
    pub at: String,
    pub at_ms: i64,
    /// Records created or updated in Twenty during the minute.
    pub synced: u64,
    /// Records waiting at the end of the minute.
    pub queue: u64,
}

/// The chart: [`MINUTES`] points, oldest first, the last one being the current minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartData {
    pub points: Vec<ChartPoint>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Bucket {
    synced: u64,
    intents: u64,
    settled: u64,
    /// Real queue depth sampled during this minute (the latest sample).
    sampled_queue: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    loaded: bool,
    last_seq: u64,
    buckets: BTreeMap<i64, Bucket>,
    /// Queue depth estimated at the end of the minute before the first bucket, and the minute.
    baseline: Option<(i64, u64)>,
}

/// The chart's state; cheap to read repeatedly (see the module doc).
#[derive(Debug, Default)]
pub struct Chart {
    state: Mutex<State>,
}

impl Chart {
    pub fn new() -> Chart {
        Chart::default()
    }

    /// Brings the chart up to date with the log and returns it.
    pub fn read(&self, store: &Store) -> Result<ChartData> {
        let now_ms = store.clock().now_ms();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let newest = store.last_seq();
        if !state.loaded || newest.saturating_sub(state.last_seq) > MAX_CATCH_UP {
            *state = backfill(store, now_ms)?;
        } else {
            while state.last_seq < newest {
                let events = store.events_after(state.last_seq, 1_000)?;
                let Some(last) = events.last() else { break };
                state.last_seq = last.seq;
                for envelope in &events {
                    add(&mut state.buckets, envelope);
                }
            }
        }
        let pending = store.counters()?.pending;
        state
            .buckets
            .entry(now_ms / MINUTE_MS)
            .or_default()
            .sampled_queue = Some(pending);
        let oldest = now_ms / MINUTE_MS - (MINUTES - 1);
        state.buckets.retain(|minute, _| *minute >= oldest - 1);
        Ok(points(&state, now_ms / MINUTE_MS))
    }
}

fn add(buckets: &mut BTreeMap<i64, Bucket>, envelope: &Envelope) {
    let bucket = buckets
        .entry(envelope.recorded_at_ms.div_euclid(MINUTE_MS))
        .or_default();
    match &envelope.event {
        Event::IntentRecorded(_) => bucket.intents += 1,
        Event::PushSucceeded { .. } => {
            bucket.synced += 1;
            bucket.settled += 1;
        }
        Event::PushSkipped { .. } => bucket.settled += 1,
        Event::PushFailed {
            retryable: false, ..
        } => bucket.settled += 1,
        _ => {}
    }
}

/// Reads the last hour of the log (newest first, bounded) and estimates the queue backwards.
fn backfill(store: &Store, now_ms: i64) -> Result<State> {
    let newest = store.last_seq();
    let current = now_ms.div_euclid(MINUTE_MS);
    let oldest = current - (MINUTES - 1);
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    let mut cursor = newest.saturating_add(1);
    let mut scanned = 0;
    'scan: while scanned < MAX_BACKFILL {
        let chunk = store.events_before(cursor, 512)?;
        if chunk.is_empty() {
            break;
        }
        for envelope in &chunk {
            cursor = envelope.seq;
            scanned += 1;
            if envelope.recorded_at_ms.div_euclid(MINUTE_MS) < oldest {
                break 'scan;
            }
            add(&mut buckets, envelope);
        }
    }
    // Walk back from now: the queue at the end of minute m-1 is the queue at the end of m,
    // minus what arrived during m, plus what settled during m.
    let mut queue = store.counters()?.pending as i64;
    let mut estimates = BTreeMap::new();
    for minute in (oldest..=current).rev() {
        estimates.insert(minute, queue.max(0) as u64);
        if let Some(bucket) = buckets.get(&minute) {
            queue = queue - bucket.intents as i64 + bucket.settled as i64;
        }
    }
    for (minute, estimate) in estimates {
        buckets.entry(minute).or_default().sampled_queue = Some(estimate);
    }
    Ok(State {
        loaded: true,
        last_seq: newest,
        buckets,
        baseline: Some((oldest - 1, queue.max(0) as u64)),
    })
}

fn points(state: &State, current: i64) -> ChartData {
    let oldest = current - (MINUTES - 1);
    let mut queue = state
        .buckets
        .range(..oldest)
        .filter_map(|(_, b)| b.sampled_queue)
        .next_back()
        .or(state.baseline.map(|(_, q)| q))
        .unwrap_or(0);
    let points = (oldest..=current)
        .map(|minute| {
            let bucket = state.buckets.get(&minute).copied().unwrap_or_default();
            if let Some(sampled) = bucket.sampled_queue {
                queue = sampled;
            }
            ChartPoint {
                at: format_ms(minute * MINUTE_MS),
                at_ms: minute * MINUTE_MS,
                synced: bucket.synced,
                queue,
            }
        })
        .collect();
    ChartData { points }
}
