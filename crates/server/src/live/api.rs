//! `GET /api/v1/events`: the reader's live updates as Server-Sent Events.

use super::{Heard, Seen};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::ApiQuery;
use crate::state::AppState;
use aglis_core::live::{Reader, may_hear};
use aglis_core::permission::Role;
use aglis_db::repo::{live_events, technicians};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Most events a reconnecting stream is sent to catch up.
const CATCH_UP: u64 = 1000;
/// A stream ends after this long by default; the browser reconnects at once with its last id
/// (proxies and load balancers prefer streams that end now and then).
const DEFAULT_SECONDS: u64 = 300;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Catch up from the event after this id (as the `Last-Event-ID` header, which wins).
    pub last_event_id: Option<i64>,
    /// End the stream after this many seconds (1–3600, default 300).
    #[param(minimum = 1, maximum = 3600)]
    pub max_seconds: Option<u64>,
}

/// The signed-in staff member's live updates (`text/event-stream`): each event's `data` is a JSON
/// object with its `kind` (`ticket.created`, `ticket.changed`, `ticket.assigned`,
/// `registration.step`, `message.failed`, `alert.fired`, `alert.resolved`, `queue.depth`), the ids
/// it concerns (a ticket's `number` and `status` too) and `for_me` when it is addressed to the
/// reader. Only what the reader may see is sent: a technician hears only tickets they are on.
/// Reconnecting with `Last-Event-ID` sends what was missed first.
#[utoipa::path(get, path = "/api/v1/events", tag = "dashboard", params(EventsParams), security(("bearer" = [])),
    responses((status = 200, description = "Server-Sent Events", content_type = "text/event-stream", body = String),))]
async fn events(
    State(state): State<AppState>,
    staff: Staff<perm::DashboardView>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<EventsParams>,
) -> AppResult<Response> {
    let user = &staff.auth().user;
    let seconds = p.max_seconds.unwrap_or(DEFAULT_SECONDS);
    if !(1..=3600).contains(&seconds) {
        return Err(AppError::field("max_seconds", "must be from 1 to 3600"));
    }
    let technician_id = if user.role == Role::Technician {
        technicians::by_user(&state.reads, user.id).await?.map(|t| t.id)
    } else {
        None
    };
    let reader = Reader { role: user.role, user_id: user.id, technician_id };
    let header_id = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    // Subscribe before reading what was missed, so nothing falls between the two.
    let rx = state.live.subscribe();
    let mut backlog = VecDeque::new();
    let mut last = live_events::last_id(&state.reads).await?;
    if let Some(from) = header_id.or(p.last_event_id).filter(|id| *id >= 0 && *id < last) {
        let rows = live_events::after(&state.reads, from, CATCH_UP).await?;
        last = rows.last().map_or(from, |r| r.id);
        backlog.extend(rows.iter().filter_map(Heard::of).map(Arc::new));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let stream = live_stream(Stream_ { state, reader, rx, backlog, seen: Seen::after(last), deadline });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

/// A stream's state.
struct Stream_ {
    state: AppState,
    reader: Reader,
    rx: broadcast::Receiver<Arc<Heard>>,
    /// Events to send before the live ones.
    backlog: VecDeque<Arc<Heard>>,
    /// The ids sent lately.
    seen: Seen,
    deadline: tokio::time::Instant,
}

fn live_stream(s: Stream_) -> impl Stream<Item = Result<Event, std::convert::Infallible>> {
    // Fused: a finished `unfold` panics when polled again.
    futures_util::StreamExt::fuse(stream::unfold(s, |mut s| async move {
        loop {
            let heard = if let Some(h) = s.backlog.pop_front() {
                h
            } else {
                match tokio::time::timeout_at(s.deadline, s.rx.recv()).await {
                    Err(_) | Ok(Err(RecvError::Closed)) => return None,
                    Ok(Err(RecvError::Lagged(_))) => {
                        // Too slow a reader: read what it missed from the table.
                        if let Ok(rows) = live_events::after(&s.state.reads, s.seen.from(), CATCH_UP).await {
                            s.backlog.extend(rows.iter().filter_map(Heard::of).map(Arc::new));
                        }
                        continue;
                    }
                    Ok(Ok(h)) => h,
                }
            };
            // Once each: the backlog and the live events overlap, and ids may arrive out of order.
            if heard.id.is_some_and(|id| !s.seen.first_time(id)) {
                continue;
            }
            if !may_hear(&s.reader, heard.kind, &heard.technicians) {
                continue;
            }
            return Some((Ok(to_event(&heard, &s.reader)), s));
        }
    }))
}

/// The SSE event a reader gets.
fn to_event(h: &Heard, reader: &Reader) -> Event {
    let mut data = h.data.clone();
    data.insert("kind".into(), h.kind.as_str().into());
    if h.for_user == Some(reader.user_id) {
        data.insert("for_me".into(), true.into());
    }
    let event = Event::default().data(serde_json::Value::Object(data).to_string());
    match h.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}
