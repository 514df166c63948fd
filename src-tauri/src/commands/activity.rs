//! Activity: a page of the event log with filters (like `GET /api/events`).

use tauri::State;
use twenty_sync::app::queries::{self, EventCategory, EventPage, EventQuery};

use crate::dto::{CommandError, CommandResult, EventsQuery};
use crate::state::AgentSlot;

#[tauri::command]
pub fn events(agent: State<'_, AgentSlot>, query: EventsQuery) -> CommandResult<EventPage> {
    let categories = query
        .category
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            EventCategory::parse(s)
                .ok_or_else(|| CommandError::new(format!("unknown category '{s}'")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = EventQuery {
        before: query.before,
        limit: query.limit.unwrap_or(50),
        categories,
        record: query.record,
    };
    Ok(queries::events_page(
        agent.get()?.live.handle().store(),
        &query,
    )?)
}
