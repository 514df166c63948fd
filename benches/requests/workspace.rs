//! The workspaces the request benchmark pushes into: the two fake flavours (the August 2025 build
//! and 2.4.0 with its rate limit, time-scaled), the directory's records as intents, records
//! already in Twenty, and the [`Tally`] of one run (requests per route, what Twenty holds, what
//! the agent mapped or parked).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig};
use serde_json::Value;
use twenty_sync::clock::SystemClock;
use twenty_sync::domain::{EntityKind, Event, Intent, IntentDraft, IntentFields, IntentSource};
use twenty_sync::store::Store;
use twenty_sync::twenty::wire;

use crate::engine::Strategy;
use crate::routes::{class, count_routes, RouteClass, RouteCounts};

/// The real Twenty builds the fake imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// No batch cap, no upsert, no REST rate limit.
    August2025,
    /// Batch cap 200, upsert, 100 requests/min (token bucket counting refused requests, 429
    /// without `Retry-After`).
    Twenty24,
}

impl Flavour {
    pub const ALL: [Flavour; 2] = [Flavour::August2025, Flavour::Twenty24];

    pub fn label(self) -> &'static str {
        match self {
            Flavour::August2025 => "Aug 2025",
            Flavour::Twenty24 => "2.4.0",
        }
    }

    /// `aug`, `2.4` (for `REQUESTS_BENCH_FLAVOURS`).
    pub fn key(self) -> &'static str {
        match self {
            Flavour::August2025 => "aug",
            Flavour::Twenty24 => "2.4",
        }
    }

    /// An empty workspace of this flavour, as `strategy` finds it: without `externalId` for this
    /// engine (it creates the field), with a non-unique one made by hand for lookup + create,
    /// with the unique one for the original (which never made it).
    pub async fn start(self, strategy: Strategy, scale: f64) -> FakeTwenty {
        let mut config = match self {
            Flavour::August2025 => FakeConfig::with_profile(Profile::Legacy2025),
            Flavour::Twenty24 => {
                let mut config = FakeConfig::with_profile(Profile::Current);
                config.rate_limit = Some(RateLimitConfig::twenty_2_4().with_time_scale(scale));
                config
            }
        };
        config.hang_duration = Duration::from_secs(5);
        config.with_external_id = strategy != Strategy::ThisEngine;
        let fake = FakeTwenty::start(config).await;
        if strategy == Strategy::LookupCreate {
            for object in ["companies", "people"] {
                fake.set_field_unique(object, "externalId", false);
            }
        }
        fake
    }
}

/// The directory: companies `c{i}` and people `p{i}` (person `i` works at company `i`).
pub fn intents(
    indexes: impl Iterator<Item = usize> + Clone,
    edit: &str,
    people: bool,
) -> Vec<Event> {
    let mut events: Vec<Event> = indexes
        .clone()
        .map(|i| intent(EntityKind::Company, i, edit))
        .collect();
    if people {
        events.extend(indexes.map(|i| intent(EntityKind::Person, i, edit)));
    }
    events
}

fn fields(kind: EntityKind, i: usize, edit: &str) -> IntentFields {
    match kind {
        EntityKind::Company => IntentFields {
            name: Some(format!("Company {i}{edit}")),
            website: Some(format!("company{i}.example.com")),
            ..IntentFields::default()
        },
        EntityKind::Person => IntentFields {
            name: Some(format!("Person Number{i}{edit}")),
            email: Some(format!("person{i}@example.com")),
            company_external_id: Some(format!("c{i}")),
            ..IntentFields::default()
        },
    }
}

pub fn external_id(kind: EntityKind, i: usize) -> String {
    match kind {
        EntityKind::Company => format!("c{i}"),
        EntityKind::Person => format!("p{i}"),
    }
}

fn intent(kind: EntityKind, i: usize, edit: &str) -> Event {
    Event::IntentRecorded(recorded(kind, i, edit))
}

/// Record `i` of `kind` as the agent records it (its fields normalised: a website gets a scheme).
fn recorded(kind: EntityKind, i: usize, edit: &str) -> Intent {
    let draft = IntentDraft {
        values: Default::default(),
        external_id: Some(external_id(kind, i)),
        fields: fields(kind, i, edit),
    };
    draft
        .into_intent(kind, uuid::Uuid::now_v7(), IntentSource::Cli, 0)
        .expect("the benchmark's records are valid")
}

/// Puts company `i` and person `i` into Twenty for every `i` of `indexes`, as someone did by
/// hand: the same domain and primary e-mail the agent will send, no `externalId`. Returns the
/// Twenty ids.
pub fn seed_existing(fake: &FakeTwenty, indexes: impl Iterator<Item = usize>) -> HashSet<String> {
    let mut ids = HashSet::new();
    for i in indexes {
        for kind in EntityKind::ALL {
            let fields = recorded(kind, i, "").fields;
            let mut body = match kind {
                EntityKind::Company => wire::company_body("", &fields),
                EntityKind::Person => wire::person_body("", &fields, None),
            };
            if let Value::Object(fields) = &mut body {
                fields.remove("externalId");
            }
            let record = fake.insert_record(wire::plural(kind), body);
            ids.extend(record["id"].as_str().map(str::to_string));
        }
    }
    ids
}

pub fn open_store(dir: &std::path::Path) -> Store {
    Store::open(dir, Arc::new(SystemClock)).expect("the benchmark's store opens")
}

/// What the agent (or the original) did with the records, by its own account.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub parked: usize,
    pub mapped: usize,
    /// Mapped to a record that was in Twenty before the run.
    pub adopted: usize,
    pub pending: usize,
}

impl Outcome {
    pub fn of_store(store: &Store, existing: &HashSet<String>) -> Outcome {
        let counters = store.counters().expect("the store counts");
        let adopted = match existing.is_empty() {
            true => 0,
            false => store
                .mappings()
                .expect("the store lists its mappings")
                .iter()
                .filter(|(_, mapping)| existing.contains(&mapping.twenty_id))
                .count(),
        };
        Outcome {
            parked: counters.failed as usize,
            mapped: (counters.mapped_companies + counters.mapped_people) as usize,
            adopted,
            pending: counters.pending as usize,
        }
    }
}

/// What one run cost and left behind.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub records: usize,
    pub routes: RouteCounts,
    pub record_requests: usize,
    pub metadata_requests: usize,
    pub other_requests: usize,
    pub throttled: usize,
    pub in_twenty: usize,
    /// Records beyond the first holding the same `externalId`.
    pub duplicate_external_ids: usize,
    /// Records beyond the first holding the same primary e-mail (people) or domain (companies).
    pub duplicate_keys: usize,
    pub outcome: Outcome,
    /// The largest batch sent per object (companies, people).
    pub largest_batch: [usize; 2],
    pub wall: Duration,
    /// Counts were measured on a sample this many times smaller and multiplied.
    pub factor: usize,
}

impl Tally {
    pub fn total(&self) -> usize {
        self.record_requests + self.metadata_requests + self.other_requests
    }

    /// Batches the records needed at the largest size the run sent (60 when it sent none).
    pub fn batches(&self, companies: usize, people: usize) -> usize {
        let size = |i: usize| self.largest_batch[i].max(1);
        companies.div_ceil(size(0)) + people.div_ceil(size(1))
    }
}

/// The tally of the requests the fake logged since it was last cleared, and of what it holds.
pub fn tally(
    fake: &FakeTwenty,
    records: usize,
    outcome: Outcome,
    wall: Duration,
    factor: usize,
) -> Tally {
    let log = fake.requests();
    let mut tally = Tally {
        records,
        routes: count_routes(&log),
        outcome,
        wall,
        factor,
        ..Tally::default()
    };
    if std::env::var_os("REQUESTS_BENCH_DEBUG").is_some() {
        print_pauses(&log);
    }
    for request in &log {
        match class(&request.path) {
            RouteClass::Record => tally.record_requests += 1,
            RouteClass::Metadata => tally.metadata_requests += 1,
            RouteClass::Other => tally.other_requests += 1,
        }
        if request.status == 429 {
            tally.throttled += 1;
        }
        if request.method == "POST" && request.path.starts_with("/rest/batch/") {
            let size = request
                .body
                .as_ref()
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let object = usize::from(request.path.ends_with("/people"));
            tally.largest_batch[object] = tally.largest_batch[object].max(size);
        }
    }
    for (object, key) in [
        ("companies", "/domainName/primaryLinkUrl"),
        ("people", "/emails/primaryEmail"),
    ] {
        let rows = fake.records(object);
        tally.in_twenty += rows.len();
        tally.duplicate_external_ids += duplicates(&rows, "/externalId");
        tally.duplicate_keys += duplicates(&rows, key);
    }
    tally
}

/// `REQUESTS_BENCH_DEBUG`: the pauses of over 200 ms between two requests, and what followed.
fn print_pauses(log: &[fake_twenty::RecordedRequest]) {
    for pair in log.windows(2) {
        let pause = pair[1].at_ms - pair[0].at_ms;
        if pause > 200 {
            eprintln!(
                "[requests] {pause} ms after {} ({}) before {}",
                crate::routes::pattern(&pair[0]),
                pair[0].status,
                crate::routes::pattern(&pair[1])
            );
        }
    }
}

/// Rows beyond the first per non-empty value at `pointer`.
fn duplicates(rows: &[Value], pointer: &str) -> usize {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for value in rows.iter().filter_map(|r| r.pointer(pointer)?.as_str()) {
        if !value.is_empty() {
            *seen.entry(value).or_default() += 1;
        }
    }
    seen.values().map(|n| n - 1).sum()
}
