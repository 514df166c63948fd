//! IPC commands the web UI can `invoke`, one module per area; each is a few lines over the
//! agent handle or an `app` function, with request DTOs and [`crate::dto::CommandError`].

pub mod about;
pub mod activity;
pub mod imports;
pub mod records;
pub mod settings;
pub mod status;
pub mod sync;
