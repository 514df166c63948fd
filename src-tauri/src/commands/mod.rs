//! IPC commands the web UI can `invoke`: `rpc` (any operation of `twenty_sync::app::ops`, the
//! same requests and replies as the web API's `POST /api/rpc`), `upload_file` (a picked file's
//! raw bytes), `app_version` and `open_log_folder`. Each is a few lines over `app::ops`.

pub mod about;
pub mod imports;
pub mod rpc;
