//! The read operations: status, live update, chart, a page of activity, records search, parked
//! failures, mappings and the imports history. Each runs its store reads on the blocking pool.

use serde::{Deserialize, Deserializer, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::chart::ChartData;
use crate::app::queries::events::RecordMatch;
use crate::app::queries::records::RecordSearch;
use crate::app::queries::{self, EventCategory, EventPage, EventQuery, ImportRow, RecordPage};
use crate::app::report::{self, MappingRow, StatusReport};
use crate::app::{Live, LiveUpdate};
use crate::store::SearchCursor;

/// The most rows one page of failures or imports holds.
pub const MAX_ROWS: usize = 1_000;

/// `status --json`: the counts and the engine's live state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {}

impl Operation for Status {
    type Reply = StatusReport;

    async fn run(self, live: &Live) -> Result<StatusReport, OpError> {
        let handle = live.handle().clone();
        blocking(move || Ok(handle.status()?)).await
    }
}

/// The Status screen's update: status, chart, newest event.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveStatus {}

impl Operation for LiveStatus {
    type Reply = LiveUpdate;

    async fn run(self, live: &Live) -> Result<LiveUpdate, OpError> {
        let live = live.clone();
        blocking(move || Ok(live.update()?)).await
    }
}

/// The last hour's chart alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {}

impl Operation for Chart {
    type Reply = ChartData;

    async fn run(self, live: &Live) -> Result<ChartData, OpError> {
        let live = live.clone();
        blocking(move || Ok(live.chart()?)).await
    }
}

/// A page of the event log, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// Only events older than this sequence number (the previous page's `next_before`).
    pub before: Option<u64>,
    /// Rows per page (default 50).
    pub limit: Option<usize>,
    /// Only these categories (empty: all); `"intents,pushes"` or a list.
    #[serde(alias = "category", deserialize_with = "categories")]
    pub categories: Vec<EventCategory>,
    /// Only events about the record with this external id (case and accents aside) or, when no
    /// record has it, about records whose id contains it and imports whose file name does.
    pub record: Option<String>,
    /// How `record` matches: `exact` or `part` (default: exact when a record has that id).
    pub record_match: Option<RecordMatch>,
}

impl Operation for Events {
    type Reply = EventPage;

    async fn run(self, live: &Live) -> Result<EventPage, OpError> {
        let store = live.handle().store().clone();
        let query = EventQuery {
            before: self.before,
            limit: self.limit.unwrap_or(50),
            categories: self.categories,
            record: self.record,
        };
        let record_match = self.record_match;
        blocking(move || {
            Ok(queries::events::events_page_matching(
                &store,
                &query,
                record_match,
            )?)
        })
        .await
    }
}

/// Categories as a comma-separated text (a query string) or a list (JSON).
fn categories<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<EventCategory>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        List(Vec<String>),
    }
    let names = match Option::<Given>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(Given::Text(text)) => text.split(',').map(str::to_string).collect(),
        Some(Given::List(list)) => list,
    };
    names
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .map(|name| {
            EventCategory::parse(name).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown category '{name}'; use intents, pushes, failures, imports or config"
                ))
            })
        })
        .collect()
}

/// Records search: by external id, Twenty id, name or e-mail address (case and accents aside);
/// an empty `q` lists every record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Records {
    pub q: Option<String>,
    /// The listing's cursor: the previous page's `next_before` (an empty `q` only).
    pub before: Option<u64>,
    pub limit: Option<usize>,
    /// The search's cursor: the previous page's `next_after`, with the same `q`.
    pub after: Option<String>,
}

impl Operation for Records {
    type Reply = RecordPage;

    async fn run(self, live: &Live) -> Result<RecordPage, OpError> {
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                SearchCursor::decode(text).ok_or_else(|| OpError::BadRequest {
                    message: "the search cannot go on from this point; search again".to_string(),
                    field: Some("after".to_string()),
                })?,
            ),
        };
        let handle = live.handle().clone();
        blocking(move || {
            let base_url = handle.settings().base_url;
            let search = RecordSearch {
                text: self.q.as_deref().unwrap_or_default(),
                before: self.before,
                after: after.as_ref(),
                limit: self.limit.unwrap_or(50),
            };
            Ok(queries::records::find_records(
                handle.store(),
                &search,
                base_url.as_deref(),
            )?)
        })
        .await
    }
}

/// The parked failures, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailedRecords {
    /// At most this many (default 200, at most [`MAX_ROWS`]).
    pub limit: Option<usize>,
}

/// A page of parked failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedPage {
    pub rows: Vec<queries::RecordRow>,
}

impl Operation for FailedRecords {
    type Reply = FailedPage;

    async fn run(self, live: &Live) -> Result<FailedPage, OpError> {
        let handle = live.handle().clone();
        let limit = self.limit.unwrap_or(200).min(MAX_ROWS);
        blocking(move || {
            let base_url = handle.settings().base_url;
            let rows = queries::failed_records(handle.store(), limit, base_url.as_deref())?;
            Ok(FailedPage { rows })
        })
        .await
    }
}

/// Every mapping and every parked failure (`twenty-sync mappings`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mappings {}

impl Operation for Mappings {
    type Reply = Vec<MappingRow>;

    async fn run(self, live: &Live) -> Result<Vec<MappingRow>, OpError> {
        let store = live.handle().store().clone();
        blocking(move || Ok(report::mapping_rows(&store)?)).await
    }
}

/// The imports history, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Imports {
    /// At most this many files (default 50, at most [`MAX_ROWS`]).
    pub limit: Option<usize>,
}

/// The imports history and the folder it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportsPage {
    pub rows: Vec<ImportRow>,
    pub drop_dir: String,
}

impl Operation for Imports {
    type Reply = ImportsPage;

    async fn run(self, live: &Live) -> Result<ImportsPage, OpError> {
        let handle = live.handle().clone();
        let outcomes = live.import_outcomes().clone();
        let limit = self.limit.unwrap_or(50).min(MAX_ROWS);
        blocking(move || {
            let drop_dir = handle.drop_dir();
            let rows = queries::imports_history(handle.store(), &outcomes, &drop_dir, limit)?;
            Ok(ImportsPage {
                rows,
                drop_dir: drop_dir.display().to_string(),
            })
        })
        .await
    }
}
