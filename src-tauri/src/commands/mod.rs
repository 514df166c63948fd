//! IPC commands the web UI can `invoke`, one module per area.

pub mod about;
