//! Files: an error report's text (only a report the agent wrote, never through a link), and a
//! file added to the drop folder. The upload's bytes arrive outside a [`super::Request`] (a raw
//! HTTP body streamed to disk, a raw IPC body), so it is two calls: [`start_upload`], then
//! [`finish_upload`]; [`upload`] does both for bytes already in memory.

use serde::{Deserialize, Serialize};

use super::{blocking, OpError, Operation};
use crate::app::inbox::InboxWriter;
use crate::app::{queries, Live};

/// An error report of the imports history, by its path relative to the drop folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportReport {
    pub path: String,
}

/// An error report: its file name and its CSV text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFile {
    pub file_name: String,
    pub text: String,
}

impl Operation for ImportReport {
    type Reply = ReportFile;

    async fn run(self, live: &Live) -> Result<ReportFile, OpError> {
        let handle = live.handle().clone();
        let not_found = || OpError::NotFound("no such error report".into());
        let drop_dir = handle.drop_dir();
        let file_name = queries::report_path(&drop_dir, &self.path)
            .and_then(|path| {
                path.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .ok_or_else(not_found)?;
        let bytes =
            blocking(move || Ok(queries::read_report(handle.store(), &drop_dir, &self.path)))
                .await?
                .ok_or_else(not_found)?;
        Ok(ReportFile {
            file_name,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// A file added to the drop folder: the name it got and the folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub file_name: String,
    pub drop_dir: String,
}

/// Starts writing a file named `name` into the drop folder (a hidden temporary name until
/// [`finish_upload`]); a bad name is refused before anything is written.
pub fn start_upload(live: &Live, name: &str) -> Result<InboxWriter, OpError> {
    Ok(InboxWriter::create(&live.handle().drop_dir(), name)?)
}

/// Gives the written file its name, so the watcher imports it.
pub async fn finish_upload(live: &Live, writer: InboxWriter) -> Result<Uploaded, OpError> {
    let path = blocking(move || Ok(writer.finish()?)).await?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tracing::info!(file = %file_name, "a file was added to the drop folder from the UI");
    Ok(Uploaded {
        file_name,
        drop_dir: live.handle().drop_dir().display().to_string(),
    })
}

/// Adds a file whose bytes are all in memory (the desktop app's file picker).
pub async fn upload(live: &Live, name: &str, bytes: &[u8]) -> Result<Uploaded, OpError> {
    let mut writer = start_upload(live, name)?;
    writer.write(bytes)?;
    finish_upload(live, writer).await
}
