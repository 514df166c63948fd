//! Read models the UI shows, shared by every front end through `app::ops`: a page of the event
//! log with filters ([`events`]), records search and parked failures ([`records`]), and the
//! imports history with its error reports ([`imports`]).
//!
//! Every query is bounded, whatever the size of the log: pages are read newest first from a
//! cursor (a sequence number) and a filtered scan stops after [`MAX_SCAN`] events, returning a
//! cursor to continue from. Nothing here writes.

pub mod events;
pub mod imports;
pub mod records;

use std::time::Duration;

pub use events::{events_page, EventCategory, EventPage, EventQuery};
pub use imports::{imports_history, read_report, report_path, ImportRow, MAX_REPORT_BYTES};
pub use records::{failed_records, record_row, record_url, search_records, RecordPage, RecordRow};

/// The most rows one page may hold.
pub const MAX_PAGE: usize = 200;
/// The most events one filtered page or one search reads before it returns a cursor.
pub const MAX_SCAN: usize = 20_000;
/// The longest a search may scan before it returns a cursor.
pub const SCAN_BUDGET: Duration = Duration::from_millis(150);
/// Events decoded per read while scanning.
const CHUNK: usize = 256;

#[cfg(test)]
mod tests;
