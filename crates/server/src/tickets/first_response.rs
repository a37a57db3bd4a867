//! A ticket's first-response clock: the first action by staff or a technician (assignment,
//! status step or comment), measured against the target on the ticket's calendar.

use crate::auth::session::Authenticated;
use crate::error::AppResult;
use crate::tickets::service;
use aglis_core::permission::Role;
use aglis_core::ticket_response::{self, FirstResponse};
use aglis_db::repo::tickets::{self, Ticket};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

/// Records an action by `auth` on ticket `id` at `now` as its first response, if it is the
/// first by someone other than the customer.
pub async fn responded(
    conn: &impl ConnectionTrait,
    auth: &Authenticated,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if auth.user.role != Role::Customer {
        tickets::mark_first_response(conn, id, now).await?;
    }
    Ok(())
}

/// The first-response clock of `t` at `now`.
pub async fn first_response(conn: &impl ConnectionTrait, t: &Ticket, now: DateTime<Utc>) -> AppResult<FirstResponse> {
    let cal = service::calendar(conn, t.targets().calendar).await?;
    let pauses = service::pauses(conn, t.id).await?;
    Ok(first_response_on(&cal, t, &pauses, now))
}

/// [`first_response`] on a calendar and pauses already read.
pub fn first_response_on(
    cal: &aglis_core::sla::Calendar,
    t: &Ticket,
    pauses: &[aglis_core::sla::Pause],
    now: DateTime<Utc>,
) -> FirstResponse {
    ticket_response::measure(cal, t.created_at, t.targets().first_response, pauses, t.first_response_at, now)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FirstResponseOut {
    pub target_minutes: i64,
    /// When the first response is due (none while the SLA clock is paused).
    pub due_at: Option<DateTime<Utc>>,
    /// The first action by staff or a technician (assignment, status step or comment).
    pub responded_at: Option<DateTime<Utc>>,
    /// `pending`, `met` or `breached`.
    pub state: String,
    pub met: bool,
    pub breached: bool,
    /// Working minutes left (negative: how late); once answered, the margin it was answered with.
    pub minutes_left: i64,
}

impl From<FirstResponse> for FirstResponseOut {
    fn from(r: FirstResponse) -> Self {
        use aglis_core::ticket_response::ResponseState;
        FirstResponseOut {
            target_minutes: r.target.num_minutes(),
            due_at: r.due_at,
            responded_at: r.responded_at,
            state: r.state.as_str().to_owned(),
            met: r.state == ResponseState::Met,
            breached: r.state == ResponseState::Breached,
            minutes_left: r.left.num_minutes(),
        }
    }
}
