//! The SLA check (P2.4), every minute on the scheduler: raises normal → high at 80 % of a
//! ticket's resolution SLA and high → critical at 90 % (`AGLIS_SLA_ESCALATE_AT`), each step once
//! (a guarded update: two instances or two runs cannot both take it), records the breach with the
//! instant it happened, writes both to the ticket's history and tells the supervisors and the
//! lead technician by WhatsApp through the queue.

use crate::error::AppResult;
use crate::notifications::service::queue_event;
use crate::state::AppState;
use crate::tickets::service::{calendar, clock_on, pauses};
use aglis_core::job::JobPriority;
use aglis_core::notification_catalog::Language;
use aglis_core::permission::Role;
use aglis_core::sla::{instant_at, percent_of};
use aglis_core::ticket_sla::{CalendarKind, Step, due_steps};
use aglis_db::repo::tickets::{self, Ticket};
use aglis_db::repo::users::{self, UserQuery};
use aglis_db::repo::{customers, technicians};
use aglis_db::{DbError, TransactionTrait};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub const SLA_CHECK_JOB: &str = "tickets.sla_check";

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub tickets: usize,
    pub escalations: usize,
    pub breaches: usize,
}

/// The job handler.
pub async fn sla_check_job(
    state: AppState,
    _payload: serde_json::Value,
) -> Result<(), crate::jobs::registry::JobError> {
    let done = check(&state).await?;
    if done.escalations + done.breaches > 0 {
        tracing::info!(tickets = done.tickets, escalations = done.escalations, breaches = done.breaches, "SLA check");
    }
    Ok(())
}

/// Checks every running ticket once.
pub async fn check(state: &AppState) -> AppResult<Checked> {
    let now = state.now();
    let mut done = Checked::default();
    // Both calendars once per run, not the holidays once per ticket.
    let always = calendar(&state.db, CalendarKind::Always).await?;
    let business = calendar(&state.db, CalendarKind::Business).await?;
    for t in tickets::for_sla_check(&state.db).await? {
        done.tickets += 1;
        let cal = match t.targets().calendar {
            CalendarKind::Always => &always,
            CalendarKind::Business => &business,
        };
        let pauses = pauses(&state.db, t.id).await?;
        let clock = clock_on(cal, &t, &pauses, now);
        let taken: Vec<Step> = [(Step::ToHigh, t.escalated_high_at), (Step::ToCritical, t.escalated_critical_at)]
            .into_iter()
            .filter_map(|(s, at)| at.map(|_| s))
            .collect();
        let mut priority = t.priority;
        for step in due_steps(t.priority, clock.percent_elapsed(), state.config.escalation, &taken) {
            let to = priority.raised();
            let txn = state.db.begin().await.map_err(DbError::from)?;
            if tickets::escalate(&txn, t.id, step, to, now).await? {
                let at = step.threshold(state.config.escalation);
                let detail = format!("{priority} → {to}: {at}% of the SLA used ({}% now)", clock.percent_elapsed());
                tickets::add_event(&txn, t.id, "escalated", None, &detail, None, now).await?;
                warn_people(&txn, &t, clock.remaining(), now).await?;
                txn.commit().await.map_err(DbError::from)?;
                done.escalations += 1;
            }
            priority = to;
        }
        if clock.breached() && t.breached_at.is_none() {
            let at =
                instant_at(cal, t.created_at, &pauses, percent_of(t.targets().resolution, 100), now).unwrap_or(now);
            let txn = state.db.begin().await.map_err(DbError::from)?;
            if tickets::set_breached(&txn, t.id, at).await? {
                tickets::add_event(&txn, t.id, "breached", None, "resolution SLA missed", None, at).await?;
                txn.commit().await.map_err(DbError::from)?;
                done.breaches += 1;
            }
        }
    }
    Ok(done)
}

fn remaining_text(left: chrono::Duration) -> String {
    if left <= chrono::Duration::zero() {
        return "0 menit (lewat SLA)".into();
    }
    let (h, m) = (left.num_hours(), left.num_minutes() % 60);
    if h > 0 { format!("{h} jam {m} menit") } else { format!("{m} menit") }
}

/// The supervisors (active, with a phone) and the lead technician get an `sla_warning`.
async fn warn_people(
    conn: &impl sea_orm::ConnectionTrait,
    t: &Ticket,
    left: chrono::Duration,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let customer = match t.customer_id {
        Some(c) => customers::get(conn, c).await?.map(|c| c.name).unwrap_or_default(),
        None => String::new(),
    };
    let lead = match t.lead_technician_id {
        Some(id) => technicians::get(conn, id).await?,
        None => None,
    };
    let values: BTreeMap<String, String> = [
        ("ticketNumber", t.number.clone()),
        ("customerName", customer),
        ("technicianName", lead.as_ref().map(|l| l.full_name.clone()).unwrap_or_else(|| "-".into())),
        ("remaining", remaining_text(left)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let q =
        UserQuery { role: Some(Role::Supervisor), active: Some(true), page: 1, per_page: 200, ..Default::default() };
    let mut phones: Vec<String> = users::list(conn, &q).await?.0.into_iter().filter_map(|u| u.phone).collect();
    phones.extend(lead.map(|l| l.phone));
    phones.sort();
    phones.dedup();
    for phone in phones {
        queue_event(conn, "sla_warning", Language::Id, &phone, &values, JobPriority::High, now).await?;
    }
    Ok(())
}
