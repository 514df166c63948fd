//! `GET /api/events/stream`: Server-Sent Events with one `update` (status, chart, newest event)
//! at connect and after every change, at most one a second, with keep-alive comments between.
//! The stream ends when the server stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::AppState;
use crate::app::live::{Changes, MIN_UPDATE_INTERVAL};
use crate::app::Live;

struct Cursor {
    live: Live,
    changes: Changes,
    stopping: watch::Receiver<bool>,
    last_sent: Option<Instant>,
}

pub(crate) async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let cursor = Cursor {
        changes: state.live.subscribe(),
        live: state.live.clone(),
        stopping: state.stopping.clone(),
        last_sent: None,
    };
    let events = futures::stream::unfold(cursor, |mut cursor| async move {
        if let Some(last) = cursor.last_sent {
            let mut stopping = cursor.stopping.clone();
            let go_on = tokio::select! {
                more = cursor.changes.next() => more,
                _ = stopping.wait_for(|stop| *stop) => false,
            };
            if !go_on {
                return None;
            }
            tokio::time::sleep_until(last + MIN_UPDATE_INTERVAL).await;
        }
        if *cursor.stopping.borrow() {
            return None;
        }
        cursor.last_sent = Some(Instant::now());
        let live = cursor.live.clone();
        let event = match tokio::task::spawn_blocking(move || live.update()).await {
            Ok(Ok(update)) => Event::default()
                .event("update")
                .json_data(&update)
                .unwrap_or_else(|_| Event::default().comment("unserialisable update")),
            Ok(Err(error)) => Event::default().event("problem").data(error.to_string()),
            Err(error) => Event::default().event("problem").data(error.to_string()),
        };
        Some((Ok(event), cursor))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
