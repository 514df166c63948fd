//! The last hour at a glance, for the Status screen's chart: records synced per minute and the
//! most records waiting during each minute (a queue that filled and drained within a minute
//! still shows), derived from the event log, with round-number ticks for both scales.
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
    /// The most records waiting at any time during the minute (what the chart draws: a queue
    /// that filled and drained within one minute still shows).
    #[serde(default)]
    pub queue_peak: u64,
}

/// The chart: [`MINUTES`] points, oldest first, the last one being the current minute, and the
/// ticks of its two scales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartData {
    pub points: Vec<ChartPoint>,
    /// The left scale (records synced per minute): round numbers from 0, evenly spaced; the
    /// last one is the top of the chart.
    #[serde(default)]
    pub synced_ticks: Vec<u64>,
    /// The right scale (queue), as many ticks as the left one so both share the grid lines.
    #[serde(default)]
    pub queue_ticks: Vec<u64>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Bucket {
    synced: u64,
    /// How the queue changed over the minute, from its events in order.
    net: i64,
    /// The most the queue rose above where it stood when the minute began.
    rise: i64,
    /// The queue at the end of the minute when known: the latest real count read during it, or
    /// the backwards estimate of the first read.
    end_queue: Option<u64>,
    /// The highest real count read during the minute.
    peak_sample: u64,
}

impl Bucket {
    fn apply(&mut self, effect: Effect) {
        self.synced += u64::from(effect.synced);
        self.net += effect.queue_delta;
        self.rise = self.rise.max(self.net);
    }

    fn sample(&mut self, pending: u64) {
        self.end_queue = Some(pending);
        self.peak_sample = self.peak_sample.max(pending);
    }
}

/// What one event does to the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Effect {
    synced: bool,
    /// +1 a record joins the queue, -1 one leaves it.
    queue_delta: i64,
}

impl Effect {
    fn of(event: &Event) -> Option<Effect> {
        let (synced, queue_delta) = match event {
            Event::IntentRecorded(_) | Event::RetryRequested { .. } => (false, 1),
            Event::PushSucceeded { .. } => (true, -1),
            Event::PushSkipped { .. } => (false, -1),
            Event::PushFailed {
                retryable: false, ..
            } => (false, -1),
            _ => return None,
        };
        Some(Effect {
            synced,
            queue_delta,
        })
    }
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
                    if let Some(effect) = Effect::of(&envelope.event) {
                        bucket(&mut state.buckets, envelope).apply(effect);
                    }
                }
            }
        }
        let pending = store.counters()?.pending;
        state
            .buckets
            .entry(now_ms.div_euclid(MINUTE_MS))
            .or_default()
            .sample(pending);
        let oldest = now_ms.div_euclid(MINUTE_MS) - (MINUTES - 1);
        state.buckets.retain(|minute, _| *minute >= oldest - 1);
        Ok(points(&state, now_ms.div_euclid(MINUTE_MS)))
    }
}

fn bucket<'a>(buckets: &'a mut BTreeMap<i64, Bucket>, envelope: &Envelope) -> &'a mut Bucket {
    buckets
        .entry(envelope.recorded_at_ms.div_euclid(MINUTE_MS))
        .or_default()
}

/// Reads the last hour of the log (newest first, bounded) and estimates the queue backwards.
fn backfill(store: &Store, now_ms: i64) -> Result<State> {
    let newest = store.last_seq();
    let current = now_ms.div_euclid(MINUTE_MS);
    let oldest = current - (MINUTES - 1);
    // The log is read newest first; a minute's rise needs its events in order, so the effects
    // are kept (small) and applied oldest first.
    let mut effects: Vec<(i64, Effect)> = Vec::new();
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
            let minute = envelope.recorded_at_ms.div_euclid(MINUTE_MS);
            if minute < oldest {
                break 'scan;
            }
            effects.extend(Effect::of(&envelope.event).map(|effect| (minute, effect)));
        }
    }
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    for (minute, effect) in effects.into_iter().rev() {
        buckets.entry(minute).or_default().apply(effect);
    }
    // Walk back from now: the queue at the end of minute m-1 is the queue at the end of m,
    // minus how it changed during m.
    let mut queue = store.counters()?.pending as i64;
    for minute in (oldest..=current).rev() {
        let bucket = buckets.entry(minute).or_default();
        bucket.end_queue = Some(queue.max(0) as u64);
        queue -= bucket.net;
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
        .filter_map(|(_, b)| b.end_queue)
        .next_back()
        .or(state.baseline.map(|(_, q)| q))
        .unwrap_or(0);
    let points: Vec<ChartPoint> = (oldest..=current)
        .map(|minute| {
            let bucket = state.buckets.get(&minute).copied().unwrap_or_default();
            let start = queue as i64;
            let end = bucket
                .end_queue
                .unwrap_or_else(|| (start + bucket.net).max(0) as u64);
            let peak = ((start + bucket.rise).max(0) as u64)
                .max(end)
                .max(bucket.peak_sample);
            queue = end;
            ChartPoint {
                at: format_ms(minute * MINUTE_MS),
                at_ms: minute * MINUTE_MS,
                synced: bucket.synced,
                queue: end,
                queue_peak: peak,
            }
        })
        .collect();
    let most_synced = points.iter().map(|p| p.synced).max().unwrap_or(0);
    let most_waiting = points.iter().map(|p| p.queue_peak).max().unwrap_or(0);
    let (synced_ticks, queue_ticks) = scales(most_synced, most_waiting);
    ChartData {
        points,
        synced_ticks,
        queue_ticks,
    }
}

/// The two scales' ticks: round numbers (1, 2 or 5 times a power of ten apart) from 0 to a top
/// at or above each maximum, with the same number of steps on both sides (3, 4 or 5: whichever
/// leaves the least empty space above the higher bar or line).
pub fn scales(left_max: u64, right_max: u64) -> (Vec<u64>, Vec<u64>) {
    let waste = |steps: u64, max: u64| {
        if max == 0 {
            1.0
        } else {
            nice_step(max, steps).saturating_mul(steps) as f64 / max as f64
        }
    };
    let steps = [4, 5, 3]
        .into_iter()
        .min_by(|a, b| {
            let worst = |steps| waste(steps, left_max).max(waste(steps, right_max));
            worst(*a).total_cmp(&worst(*b))
        })
        .unwrap_or(4);
    let ticks = |max| {
        let step = nice_step(max, steps);
        (0..=steps).map(|k| k.saturating_mul(step)).collect()
    };
    (ticks(left_max), ticks(right_max))
}

/// The smallest of 1, 2, 5, 10, 20, 50, … that reaches `max` in `steps` steps.
fn nice_step(max: u64, steps: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1u64, 2, 5] {
            let step = factor.saturating_mul(power);
            if step.saturating_mul(steps) >= max {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::{EntityKind, Intent, IntentFields, IntentSource, PushOutcome};

    const START_MS: i64 = 1_764_000_000_000 - 1_764_000_000_000 % MINUTE_MS;

    fn intent(n: usize) -> Intent {
        Intent {
            values: Default::default(),
            id: uuid::Uuid::now_v7(),
            kind: EntityKind::Company,
            external_id: format!("c-{n}"),
            fields: IntentFields {
                name: Some(format!("Company {n}")),
                ..IntentFields::default()
            },
            source: IntentSource::Cli,
            requested_at_ms: 0,
        }
    }

    /// `count` records arrive, then all of them are pushed, in the clock's current minute.
    fn fill_and_drain(store: &Store, count: usize) {
        let intents: Vec<Intent> = (0..count).map(intent).collect();
        store
            .append(intents.iter().cloned().map(Event::IntentRecorded).collect())
            .unwrap();
        store
            .append(
                intents
                    .iter()
                    .map(|intent| Event::PushSucceeded {
                        field_hashes: Default::default(),
                        intent_id: intent.id,
                        key: intent.key(),
                        twenty_id: format!("t-{}", intent.external_id),
                        outcome: PushOutcome::Created,
                        fields_hash: [0; 16],
                    })
                    .collect(),
            )
            .unwrap();
    }

    fn fixture() -> (tempfile::TempDir, Arc<ManualClock>, Store) {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::starting_at(START_MS + 5_000);
        let store = Store::open(dir.path(), clock.clone()).unwrap();
        (dir, clock, store)
    }

    #[test]
    fn a_minute_shows_its_peak_queue_on_the_first_read() {
        let (_dir, clock, store) = fixture();
        fill_and_drain(&store, 30);
        clock.advance_ms(2 * MINUTE_MS);
        let chart = Chart::new().read(&store).unwrap();
        assert_eq!(chart.points.len(), MINUTES as usize);
        let busy = &chart.points[chart.points.len() - 3];
        assert_eq!(busy.at_ms, START_MS);
        assert_eq!((busy.synced, busy.queue, busy.queue_peak), (30, 0, 30));
        let last = chart.points.last().unwrap();
        assert_eq!((last.queue, last.queue_peak), (0, 0));
        assert_eq!(chart.queue_ticks, [0, 10, 20, 30]);
    }

    #[test]
    fn a_minute_shows_its_peak_queue_between_two_reads() {
        let (_dir, clock, store) = fixture();
        let chart = Chart::new();
        chart.read(&store).unwrap();
        clock.advance_ms(MINUTE_MS);
        fill_and_drain(&store, 25);
        clock.advance_ms(MINUTE_MS);
        let data = chart.read(&store).unwrap();
        let busy = &data.points[data.points.len() - 2];
        assert_eq!(busy.at_ms, START_MS + MINUTE_MS);
        assert_eq!((busy.synced, busy.queue, busy.queue_peak), (25, 0, 25));
        assert_eq!(data.synced_ticks, [0, 5, 10, 15, 20, 25]);
        assert_eq!(data.queue_ticks, [0, 5, 10, 15, 20, 25]);
    }

    #[test]
    fn ticks_are_round_numbers_with_one_grid_for_both_scales() {
        // Once 0, 6, 13, 19, 25 (a quarter of 25, rounded).
        assert_eq!(scales(0, 25).1, [0, 5, 10, 15, 20, 25]);
        assert_eq!(scales(0, 0), (vec![0, 1, 2, 3, 4], vec![0, 1, 2, 3, 4]));
        assert_eq!(scales(12, 25), (vec![0, 5, 10, 15], vec![0, 10, 20, 30]));
        assert_eq!(
            scales(60, 7),
            (vec![0, 20, 40, 60, 80], vec![0, 2, 4, 6, 8])
        );
        let (huge, _) = scales(u64::MAX, 1); // saturates, no overflow
        assert!(huge.len() >= 4);
        for left in [0, 1, 3, 7, 13, 25, 26, 99, 101, 599, 1_234, 98_765] {
            for right in [0, 2, 9, 25, 31, 250, 4_999, 1_000_001] {
                let (l, r) = scales(left, right);
                assert_eq!(l.len(), r.len(), "{left} {right}");
                assert!((4..=6).contains(&l.len()), "{l:?}");
                for ticks in [&l, &r] {
                    let step = ticks[1];
                    let digits = step / 10u64.pow(step.ilog10());
                    assert!([1, 2, 5].contains(&digits), "{ticks:?}");
                    assert!(ticks.windows(2).all(|w| w[1] - w[0] == step), "{ticks:?}");
                }
                assert!(*l.last().unwrap() >= left);
                assert!(*r.last().unwrap() >= right);
            }
        }
    }
}
