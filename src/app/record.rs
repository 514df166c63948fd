//! Recording intents: validate drafts exactly the same way for every input path, then append them
//! durably (one flush for the whole batch).

use uuid::Uuid;

use crate::domain::{EntityKind, Event, FieldError, Intent, IntentDraft, IntentSource};
use crate::store::{Store, StoreError};

/// Why intents were not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The input is invalid; nothing was recorded. Fix the named fields and try again.
    #[error("invalid {kind}: {}; fix the value{} and try again (nothing was recorded)", list(.errors), if .errors.len() > 1 { "s" } else { "" })]
    Invalid {
        kind: EntityKind,
        errors: Vec<FieldError>,
    },
    /// The store refused the write; see the store error for what to do.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Validates every draft and, only if all are valid, records them in one durable append.
pub fn record_intents(
    store: &Store,
    drafts: &[(EntityKind, IntentDraft)],
    source: IntentSource,
) -> Result<Vec<Intent>, RecordError> {
    let now_ms = store.clock().now_ms();
    let intents = drafts
        .iter()
        .map(|(kind, draft)| {
            draft
                .clone()
                .into_intent(*kind, Uuid::now_v7(), source.clone(), now_ms)
                .map_err(|errors| RecordError::Invalid {
                    kind: *kind,
                    errors,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    store.append(intents.iter().cloned().map(Event::IntentRecorded).collect())?;
    Ok(intents)
}

/// Puts every parked record back in the queue (one durable append). Returns how many.
pub fn retry_failed(store: &Store) -> Result<usize, StoreError> {
    let events: Vec<Event> = store
        .failures()?
        .into_iter()
        .map(|(key, _)| Event::RetryRequested { key })
        .collect();
    let count = events.len();
    store.append(events)?;
    Ok(count)
}
