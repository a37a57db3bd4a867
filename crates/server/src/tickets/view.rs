//! One ticket as its page and the API show it: the ticket, what the reader may do to it, both
//! clocks on one calendar and one set of pauses, its team and its history, read in a fixed number
//! of queries whatever the length of its history. The page and `GET /api/v1/tickets/{id}` both
//! start from [`view`].

use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::{first_response, service};
use aglis_core::sla::{Calendar, Pause, SlaClock};
use aglis_core::ticket::Actor;
use aglis_core::ticket_completion;
use aglis_core::ticket_response::FirstResponse;
use aglis_db::entity::ticket_events;
use aglis_db::repo::ticket_detail;
use aglis_db::repo::tickets::{self, Ticket};
use sea_orm::ConnectionTrait;

pub struct TicketView {
    pub t: Ticket,
    /// The reader, as the ticket's rules see them (role, on its team or not).
    pub who: Actor,
    pub calendar: Calendar,
    pub pauses: Vec<Pause>,
    /// The resolution clock.
    pub clock: SlaClock,
    pub first_response: FirstResponse,
    /// Technician id and `lead` or `member`.
    pub team: Vec<(i64, String)>,
    /// Newest first.
    pub events: Vec<ticket_events::Model>,
    /// The completion readings the reader may see (the Wi-Fi password only for those who may).
    pub completion: Option<serde_json::Value>,
}

/// Ticket `id` as `auth` may see it on `conn`, else a 404 (also for a ticket they may not see).
pub async fn view(
    state: &AppState,
    conn: &impl ConnectionTrait,
    auth: &Authenticated,
    id: i64,
) -> AppResult<TicketView> {
    let t = tickets::get(conn, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    if !service::may_see(conn, auth, &t).await? {
        return Err(AppError::not_found("ticket"));
    }
    let now = state.now();
    let calendar = service::calendar_for_view(state, t.targets().calendar).await?;
    let children = ticket_detail::children(conn, id).await?;
    let pauses = service::to_pauses(&children.pauses);
    let clock = service::clock_on(&calendar, &t, &pauses, now);
    let first_response = first_response::first_response_on(&calendar, &t, &pauses, now);
    let who = service::actor(conn, auth, &t).await?;
    let completion = match t.completion_readings() {
        Some(c) if !ticket_completion::may_see_secrets(who) => Some(ticket_completion::without_secrets(&c)),
        other => other,
    };
    Ok(TicketView {
        who,
        calendar,
        pauses,
        clock,
        first_response,
        team: children.team,
        events: children.events,
        completion,
        t,
    })
}
