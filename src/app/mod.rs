//! Application services: the few operations every front end (CLI, local web API, Tauri shell)
//! performs, each a plain function over the store, returning report types made for display.

pub mod agent;
pub mod chart;
pub mod connection;
pub mod fields;
pub mod inbox;
pub mod live;
pub mod ops;
pub mod queries;
pub mod record;
pub mod report;

pub use live::{Live, LiveUpdate};
pub use record::{record_intents, retry_failed, RecordError};
pub use report::{EventRow, MappingRow, StatusReport};
