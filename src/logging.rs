//! Logging: `tracing` to stderr and, through `tracing-appender`, to daily-rolling files in the data
//! directory's `logs/` folder. Secrets are never passed to a log macro; see `redact`.
//!
//! Colour codes go to stderr only when it is a terminal and `NO_COLOR` is not set
//! ([`colour_on_stderr`]): redirected output and log files are plain text.
//!
//! With a data directory, `init` first makes the process's new files private (umask 077) and
//! the data directory 0700 / 0600 (see [`crate::safe_fs`]): the log holds names and e-mail
//! addresses.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keeps the file writer flushing; drop it last.
pub struct LoggingGuard {
    _file: Option<WorkerGuard>,
}

/// Installs the global subscriber. `RUST_LOG` overrides `default_filter` (e.g. "info"). When the
/// logs folder cannot be created, logging continues on stderr only and says so.
pub fn init(data_dir: Option<&Path>, default_filter: &str) -> LoggingGuard {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour_on_stderr())
        .with_target(false)
        .with_filter(filter());

    let mut file_problem = None;
    let mut tightened = None;
    let (file_layer, guard) = match data_dir {
        Some(dir) => {
            tightened = crate::safe_fs::secure_data_dir(dir)
                .ok()
                .and_then(|t| t.notice(dir));
            let logs = crate::paths::logs_dir(dir);
            match crate::safe_fs::create_private_dir_all(&logs).and_then(|()| {
                tracing_appender::rolling::Builder::new()
                    .rotation(tracing_appender::rolling::Rotation::DAILY)
                    .filename_prefix("twenty-sync")
                    .filename_suffix("log")
                    .max_log_files(14)
                    .build(&logs)
                    .map_err(std::io::Error::other)
            }) {
                Ok(appender) => {
                    let (writer, guard) = tracing_appender::non_blocking(appender);
                    let layer = fmt::layer()
                        .with_writer(writer)
                        .with_ansi(false)
                        .with_filter(filter());
                    (Some(layer), Some(guard))
                }
                Err(error) => {
                    file_problem = Some(format!("{}: {error}", logs.display()));
                    (None, None)
                }
            }
        }
        None => (None, None),
    };

    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    if let Some(notice) = tightened {
        tracing::warn!("{notice}");
    }
    if let Some(problem) = file_problem {
        tracing::warn!("logging to stderr only: cannot write log files in {problem}");
    }
    LoggingGuard { _file: guard }
}

/// Whether stderr gets colour codes: only on a terminal, and not when `NO_COLOR` is set to
/// anything but the empty text (<https://no-color.org>).
pub fn colour_on_stderr() -> bool {
    wants_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

fn wants_colour(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// Replaces every literal occurrence of `secret` in `text` with its mask. No pattern is built
/// from the secret, so no character of it can change the meaning of the search.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, &mask_secret(secret))
}

/// `****` followed by the last four characters (`****` alone for short values).
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 8 {
        return "****".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::wants_colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(wants_colour(true, None));
        assert!(wants_colour(true, Some(OsStr::new(""))));
        assert!(!wants_colour(true, Some(OsStr::new("1"))));
        assert!(!wants_colour(false, None));
        assert!(!wants_colour(false, Some(OsStr::new(""))));
    }
}
