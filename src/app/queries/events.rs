//! A page of the event log, newest first, filtered by category and record (the Activity screen).

use serde::{Deserialize, Serialize};

use super::{CHUNK, MAX_PAGE, MAX_SCAN};
use crate::app::report::EventRow;
use crate::domain::{Envelope, Event};
use crate::store::{Result, Store};

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

/// Which events a page shows.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events with a lower sequence number (the cursor); `None` = from the newest.
    pub before: Option<u64>,
    pub limit: usize,
    /// Empty = every category.
    pub categories: Vec<EventCategory>,
    /// Only events about records whose external id contains this text (case-insensitive).
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
}

/// A page of the event log, newest first, with filters; reads at most [`MAX_SCAN`] events.
pub fn events_page(store: &Store, query: &EventQuery) -> Result<EventPage> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let needle = query
        .record
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_lowercase);
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
            if matches_event(envelope, &query.categories, needle.as_deref()) {
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
    })
}

fn matches_event(envelope: &Envelope, categories: &[EventCategory], needle: Option<&str>) -> bool {
    if !categories.is_empty()
        && !categories.contains(&EventCategory::of(envelope.event.kind_name()))
    {
        return false;
    }
    match needle {
        None => true,
        Some(needle) => match &envelope.event {
            Event::ImportCompleted(summary) => summary.file_name.to_lowercase().contains(needle),
            Event::ImportProgress(checkpoint) => {
                checkpoint.file_name.to_lowercase().contains(needle)
            }
            Event::ImportNoted(notes) => notes.file_name.to_lowercase().contains(needle),
            event => event
                .record_key()
                .is_some_and(|key| key.external_id.to_lowercase().contains(needle)),
        },
    }
}
