//! A page of the event log, newest first, filtered by category and record (the Activity screen).
//! The record filter is an exact external id when a record has it (found in the search index),
//! else a part of external ids and import file names.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{CHUNK, MAX_PAGE, MAX_SCAN};
use crate::app::report::EventRow;
use crate::domain::projection::search::normalise;
use crate::domain::{Envelope, Event, RecordKey};
use crate::store::{Result, Store};

/// The most records an exact record filter follows (one id may be a company's and a person's,
/// and be spelt in several cases).
const MAX_EXACT_RECORDS: usize = 16;

/// The filters of the Activity screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCategory {
    Intents,
    Pushes,
    Failures,
    Imports,
    Config,
}

impl EventCategory {
    pub const ALL: [EventCategory; 5] = [
        EventCategory::Intents,
        EventCategory::Pushes,
        EventCategory::Failures,
        EventCategory::Imports,
        EventCategory::Config,
    ];

    pub fn parse(text: &str) -> Option<EventCategory> {
        EventCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventCategory::Intents => "intents",
            EventCategory::Pushes => "pushes",
            EventCategory::Failures => "failures",
            EventCategory::Imports => "imports",
            EventCategory::Config => "config",
        }
    }

    /// The category of an event, by its kind name (so variants added later still land in one).
    pub fn of(kind_name: &str) -> EventCategory {
        match kind_name {
            "IntentRecorded" => EventCategory::Intents,
            "PushSucceeded" | "PushSkipped" | "MappingInvalidated" | "RecordAdopted" => {
                EventCategory::Pushes
            }
            "PushFailed" | "RetryRequested" | "ConflictFound" | "FailureDismissed"
            | "RecordLinked" => EventCategory::Failures,
            "ImportCompleted" | "ImportProgress" | "ImportNoted" | "DropEntryLeftAlone" => {
                EventCategory::Imports
            }
            _ => EventCategory::Config,
        }
    }
}

/// How the record filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordMatch {
    /// Events of the records whose external id is the text (case and accents aside), imports
    /// of a file of that name.
    Exact,
    /// Events of the records whose external id contains the text, imports whose file name does.
    Part,
}

/// Which events a page shows.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events with a lower sequence number (the cursor); `None` = from the newest.
    pub before: Option<u64>,
    pub limit: usize,
    /// Empty = every category.
    pub categories: Vec<EventCategory>,
    /// Only events about this record: see [`events_page_matching`].
    pub record: Option<String>,
}

/// One page of the event log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    /// Pass as `before` for the next page; `None` when the log has no older events.
    pub next_before: Option<u64>,
    /// Events read to fill this page (a filtered page may stop early and say so here).
    pub scanned: usize,
    /// The newest sequence number in the log when the page was read.
    pub newest_seq: u64,
    /// How the record filter matched, when there is one: `exact` or `part`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_match: Option<RecordMatch>,
}

/// The record filter as applied to events.
enum RecordFilter {
    Exact {
        keys: HashSet<RecordKey>,
        text: String,
    },
    Part(String),
}

/// A page of the event log, newest first, with filters; reads at most [`MAX_SCAN`] events. The
/// record filter is exact when a record has exactly that external id, else a part.
pub fn events_page(store: &Store, query: &EventQuery) -> Result<EventPage> {
    events_page_matching(store, query, None)
}

/// [`events_page`] with the record filter's matching chosen: `None` = exact when a record has
/// exactly that external id (case and accents aside), else a part of ids and file names.
pub fn events_page_matching(
    store: &Store,
    query: &EventQuery,
    record_match: Option<RecordMatch>,
) -> Result<EventPage> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let text = query.record.as_deref().map(normalise).unwrap_or_default();
    let needle = if text.is_empty() {
        None
    } else {
        let keys = match record_match {
            Some(RecordMatch::Part) => Vec::new(),
            _ => store.records_with_external_id(&text, MAX_EXACT_RECORDS)?,
        };
        Some(match record_match {
            Some(RecordMatch::Exact) => RecordFilter::Exact {
                keys: keys.into_iter().collect(),
                text,
            },
            None if !keys.is_empty() => RecordFilter::Exact {
                keys: keys.into_iter().collect(),
                text,
            },
            _ => RecordFilter::Part(text),
        })
    };
    let record_match = needle.as_ref().map(|filter| match filter {
        RecordFilter::Exact { .. } => RecordMatch::Exact,
        RecordFilter::Part(_) => RecordMatch::Part,
    });
    let filtered = !query.categories.is_empty() || needle.is_some();
    let mut before = query.before.unwrap_or(u64::MAX);
    let mut rows = Vec::new();
    let mut scanned = 0;
    let next_before = 'scan: loop {
        let chunk = store.events_before(before, if filtered { CHUNK } else { limit })?;
        if chunk.is_empty() {
            break None;
        }
        for envelope in &chunk {
            scanned += 1;
            before = envelope.seq;
            if matches_event(envelope, &query.categories, needle.as_ref()) {
                rows.push(EventRow::from(envelope));
                if rows.len() == limit {
                    break 'scan (envelope.seq > 1).then_some(envelope.seq);
                }
            }
            if scanned >= MAX_SCAN {
                break 'scan (envelope.seq > 1).then_some(envelope.seq);
            }
        }
    };
    Ok(EventPage {
        rows,
        next_before,
        scanned,
        newest_seq: store.last_seq(),
        record_match,
    })
}

fn matches_event(
    envelope: &Envelope,
    categories: &[EventCategory],
    needle: Option<&RecordFilter>,
) -> bool {
    if !categories.is_empty()
        && !categories.contains(&EventCategory::of(envelope.event.kind_name()))
    {
        return false;
    }
    let Some(needle) = needle else {
        return true;
    };
    let file_name = match &envelope.event {
        Event::ImportCompleted(summary) => Some(&summary.file_name),
        Event::ImportProgress(checkpoint) => Some(&checkpoint.file_name),
        Event::ImportNoted(notes) => Some(&notes.file_name),
        _ => None,
    };
    match (needle, file_name) {
        (RecordFilter::Exact { text, .. }, Some(file_name)) => normalise(file_name) == *text,
        (RecordFilter::Part(text), Some(file_name)) => normalise(file_name).contains(text.as_str()),
        (RecordFilter::Exact { keys, .. }, None) => envelope
            .event
            .record_key()
            .is_some_and(|key| keys.contains(&key)),
        (RecordFilter::Part(text), None) => envelope
            .event
            .record_key()
            .is_some_and(|key| normalise(&key.external_id).contains(text.as_str())),
    }
}
