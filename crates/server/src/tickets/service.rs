//! Ticket work: creating with a number and SLA targets, status steps checked by `core::ticket`,
//! assignment, SLA clocks, and the customer told by WhatsApp on the steps that concern them.

use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::notifications::service::queue_event;
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::notification_catalog::Language;
use aglis_core::permission::Role;
use aglis_core::sla::{Calendar, Pause, SlaClock};
use aglis_core::technician::Availability;
use aglis_core::ticket::{self, Actor, StepFacts, StepRefused, TicketStatus};
use aglis_core::ticket_sla::{self, CalendarKind, TargetRow, Targets};
use aglis_db::repo::tickets::{self, NewTicket, Ticket};
use aglis_db::repo::{customers, technicians};
use aglis_db::{DbError, TransactionTrait};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

/// The SLA table: the admins' rows where they set them, the defaults elsewhere.
pub async fn sla_table(conn: &impl ConnectionTrait) -> AppResult<Vec<TargetRow>> {
    let mut rows = aglis_db::repo::sla::targets(conn).await?;
    rows.extend(ticket_sla::default_targets());
    Ok(rows)
}

/// The calendar a ticket's SLA runs on (business hours skip the holidays in the database).
pub async fn calendar(conn: &impl ConnectionTrait, kind: CalendarKind) -> AppResult<Calendar> {
    Ok(match kind {
        CalendarKind::Always => Calendar::Always,
        CalendarKind::Business => Calendar::business(aglis_db::repo::sla::holidays(conn).await?),
    })
}

/// [`calendar`] for read-only views, with the holidays from the instance's copy.
pub async fn calendar_for_view(state: &AppState, kind: CalendarKind) -> AppResult<Calendar> {
    Ok(match kind {
        CalendarKind::Always => Calendar::Always,
        CalendarKind::Business => Calendar::business(state.holidays.get(&state.reads).await?.as_ref().clone()),
    })
}

/// The SLA pauses of ticket `id`.
pub async fn pauses(conn: &impl ConnectionTrait, id: i64) -> AppResult<Vec<Pause>> {
    Ok(to_pauses(&tickets::pauses(conn, id).await?))
}

/// Stored pauses as the SLA clock takes them.
pub fn to_pauses(rows: &[aglis_db::entity::ticket_pauses::Model]) -> Vec<Pause> {
    rows.iter().map(|p| Pause { from: p.from_at, until: p.until_at }).collect()
}

/// The resolution clock of `t` at `now` on `cal` (stopped at its resolution).
pub fn clock_on(cal: &Calendar, t: &Ticket, pauses: &[Pause], now: DateTime<Utc>) -> SlaClock {
    SlaClock::measure(cal, t.created_at, t.targets().resolution, pauses, t.resolved_at.unwrap_or(now))
}

/// The resolution clock of `t` at `now`.
pub async fn resolution_clock(conn: &impl ConnectionTrait, t: &Ticket, now: DateTime<Utc>) -> AppResult<SlaClock> {
    let cal = calendar(conn, t.targets().calendar).await?;
    Ok(clock_on(&cal, t, &pauses(conn, t.id).await?, now))
}

/// Recomputes the stored deadline (none while paused or once resolved).
async fn refresh_due(conn: &impl ConnectionTrait, t: &Ticket, now: DateTime<Utc>) -> AppResult<()> {
    let due = if t.status.is_active() { resolution_clock(conn, t, now).await?.due_at } else { None };
    tickets::set_due(conn, t.id, due).await?;
    Ok(())
}

fn conflict(detail: impl Into<String>) -> AppError {
    AppError::Conflict { detail: detail.into(), fields: FieldErrors::new() }
}

/// The targets and first deadline of a new ticket.
async fn promises(
    conn: &impl ConnectionTrait,
    new: &NewTicket,
    now: DateTime<Utc>,
) -> AppResult<(Targets, Option<DateTime<Utc>>)> {
    let table = sla_table(conn).await?;
    let targets: Targets = ticket_sla::targets_for(&table, new.ticket_type, new.priority)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no SLA row for {}", new.priority)))?;
    let due = calendar(conn, targets.calendar).await?.add_working(now, targets.resolution);
    Ok((targets, due))
}

/// Creates an open ticket with the next number of the day inside `txn` (which the caller
/// commits). The customer (if any) is told its number by WhatsApp.
pub async fn create_in(
    txn: &impl ConnectionTrait,
    base_url: &str,
    new: NewTicket,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Ticket> {
    let (targets, due) = promises(txn, &new, now).await?;
    let number = tickets::next_number(txn, now).await??;
    let t = tickets::create(txn, &number, new, targets, due, actor, now).await?;
    if let Some(cid) = t.customer_id
        && let Some(c) = customers::get(txn, cid).await?
    {
        let values = vars([
            ("customerName", c.name.clone()),
            ("ticketNumber", t.number.clone()),
            ("title", t.title.clone()),
            ("trackingUrl", format!("{}/tickets/{}", base_url.trim_end_matches('/'), t.id)),
        ]);
        queue_event(txn, "ticket_created", c.language, &c.phone, &values, JobPriority::Normal, now).await?;
    }
    Ok(t)
}

/// Creates an open ticket.
pub async fn create(state: &AppState, new: NewTicket, actor: Option<i64>) -> AppResult<Ticket> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let t = create_in(&txn, &state.config.base_url, new, actor, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(t)
}

fn vars<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Who `auth` is to ticket `t`.
pub async fn actor(conn: &impl ConnectionTrait, auth: &Authenticated, t: &Ticket) -> AppResult<Actor> {
    let on_team = match auth.user.role {
        Role::Technician => match technicians::by_user(conn, auth.user.id).await? {
            Some(tech) => tickets::team(conn, t.id).await?.iter().any(|(id, _)| *id == tech.id),
            None => false,
        },
        _ => false,
    };
    let own_customer = match (auth.user.role, t.customer_id) {
        (Role::Customer, Some(cid)) => customers::by_user(conn, auth.user.id).await?.is_some_and(|c| c.id == cid),
        _ => false,
    };
    Ok(Actor { role: auth.user.role, on_team, own_customer })
}

/// May `auth` see ticket `t`? Staff other than technicians see every ticket; a technician sees
/// A ticket `auth` may see, else a 404.
pub async fn visible(conn: &impl ConnectionTrait, auth: &Authenticated, id: i64) -> AppResult<Ticket> {
    let t = tickets::get(conn, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    if !may_see(conn, auth, &t).await? {
        return Err(AppError::not_found("ticket"));
    }
    Ok(t)
}

/// those they lead or work on as a team member; a customer sees their own.
pub async fn may_see(conn: &impl ConnectionTrait, auth: &Authenticated, t: &Ticket) -> AppResult<bool> {
    Ok(match auth.user.role {
        Role::Technician => actor(conn, auth, t).await?.on_team,
        Role::Customer => actor(conn, auth, t).await?.own_customer,
        _ => true,
    })
}

pub fn refused(e: StepRefused) -> AppError {
    match e {
        StepRefused::Transition { .. } => conflict(e.to_string()),
        StepRefused::Role { .. } => AppError::Forbidden(e.to_string()),
        StepRefused::Missing { field, message } => AppError::field(field, message),
    }
}

/// What a status step carries.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub note: Option<String>,
    pub completion: Option<serde_json::Value>,
}

/// Moves ticket `id` to `to` as `auth`. The customer hears of on-the-way and resolved.
pub async fn step(
    state: &AppState,
    id: i64,
    to: TicketStatus,
    input: StepInput,
    auth: &Authenticated,
) -> AppResult<Ticket> {
    let now = state.now();
    let t = tickets::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    if !may_see(&state.db, auth, &t).await? {
        return Err(AppError::not_found("ticket"));
    }
    let who = actor(&state.db, auth, &t).await?;
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let facts = StepFacts { has_lead: t.lead_technician_id.is_some(), has_reason: note.is_some() };
    ticket::check_step(t.status, to, who, facts).map_err(refused)?;
    if to == TicketStatus::Resolved {
        crate::tickets::completion::check(t.ticket_type, input.completion.as_ref())?;
        crate::tickets::attachments::check_photos(&state.db, &t).await?;
    }
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if !tickets::set_status(&txn, &t, to, input.completion.as_ref(), now).await? {
        return Err(conflict("someone else changed this ticket just now; reload it"));
    }
    let detail = match note {
        Some(n) => format!("{} → {}: {n}", t.status, to),
        None => format!("{} → {}", t.status, to),
    };
    tickets::add_event(&txn, t.id, "status", Some((t.status, to)), &detail, Some(auth.user.id), now).await?;
    crate::tickets::first_response::responded(&txn, auth, t.id, now).await?;
    let moved = tickets::get(&txn, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    refresh_due(&txn, &moved, now).await?;
    if to == TicketStatus::Resolved && moved.breached_at.is_none() {
        // Resolved late before the minute's SLA check saw it: record the breach now.
        let clock = resolution_clock(&txn, &moved, now).await?;
        if clock.breached() {
            tickets::set_breached(&txn, moved.id, clock.due_at.unwrap_or(now)).await?;
        }
    }
    if to == TicketStatus::Resolved && moved.ticket_type == ticket::TicketType::Installation {
        activate_installed_customer(&txn, &moved, auth.user.id, now).await?;
    }
    if matches!(to, TicketStatus::OnTheWay | TicketStatus::Resolved) {
        tell_customer(&txn, &moved, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    Ok(tickets::get(&state.db, id).await?.unwrap_or(moved))
}

/// An installation resolved makes its prospect an active customer.
async fn activate_installed_customer(
    conn: &impl ConnectionTrait,
    t: &Ticket,
    actor: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use aglis_core::customer::CustomerStatus;
    if let Some(cid) = t.customer_id
        && let Some(c) = customers::get(conn, cid).await?
        && c.status == CustomerStatus::Prospect
    {
        let why = format!("installed ({})", t.number);
        customers::set_status(conn, cid, CustomerStatus::Active, &why, Some(actor), now).await?;
    }
    Ok(())
}

async fn tell_customer(conn: &impl ConnectionTrait, t: &Ticket, now: DateTime<Utc>) -> AppResult<()> {
    let Some(cid) = t.customer_id else { return Ok(()) };
    let Some(c) = customers::get(conn, cid).await? else { return Ok(()) };
    let tech = match t.lead_technician_id {
        Some(id) => technicians::get(conn, id).await?.map(|t| t.full_name).unwrap_or_default(),
        None => String::new(),
    };
    // In the customer's language, like the message around it.
    let status = crate::i18n::Lang::from(c.language).t(&format!("ticket.status.{}", t.status)).to_owned();
    let values = vars([
        ("customerName", c.name),
        ("ticketNumber", t.number.clone()),
        ("newStatus", status),
        ("technicianName", tech),
    ]);
    queue_event(conn, "ticket_status_update", c.language, &c.phone, &values, JobPriority::Normal, now).await?;
    Ok(())
}

/// Puts `lead` (and `members`) on ticket `id`; an open or reopened ticket becomes assigned.
/// Only an active, available technician with spare capacity can lead. The lead hears by WhatsApp.
pub async fn assign(state: &AppState, id: i64, lead: i64, members: &[i64], auth: &Authenticated) -> AppResult<Ticket> {
    let now = state.now();
    let t = tickets::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket"))?;
    let who = actor(&state.db, auth, &t).await?;
    let facts = StepFacts { has_lead: true, has_reason: true };
    let moves = matches!(t.status, TicketStatus::Open | TicketStatus::Reopened);
    if moves {
        ticket::check_step(t.status, TicketStatus::Assigned, who, facts).map_err(refused)?;
    } else if !t.status.is_active() {
        return Err(conflict(format!("a ticket that is {} cannot be assigned", t.status)));
    } else if !matches!(who.role, Role::Admin | Role::Supervisor | Role::Noc) {
        return Err(AppError::Forbidden(format!("{} may not assign tickets", who.role)));
    }
    let tech = technicians::get(&state.db, lead).await?.ok_or_else(|| {
        AppError::field("technician_id", crate::i18n::msg("val.unknown.technician", &[("id", &lead)]))
    })?;
    if !tech.is_active || tech.availability != Availability::Available {
        return Err(AppError::taken("technician_id", format!("{} is {} now", tech.full_name, tech.availability)));
    }
    let load = tickets::active_load(&state.db, &[lead]).await?.first().map_or(0, |(_, n)| *n);
    let already_leads = t.lead_technician_id == Some(lead);
    if !already_leads && load >= i64::from(tech.max_daily_tickets) {
        return Err(AppError::field(
            "technician_id",
            format!("{} already has {load} tickets (at most {})", tech.full_name, tech.max_daily_tickets),
        ));
    }
    for m in members {
        if technicians::get(&state.db, *m).await?.is_none() {
            return Err(AppError::field("members", crate::i18n::msg("val.unknown.technician", &[("id", &m)])));
        }
    }
    let txn = state.db.begin().await.map_err(DbError::from)?;
    tickets::set_team(&txn, id, lead, members, now).await?;
    crate::tickets::first_response::responded(&txn, auth, id, now).await?;
    let detail = format!("lead {} ({})", tech.full_name, tech.employee_id);
    if moves {
        let fresh = Ticket { lead_technician_id: Some(lead), ..t.clone() };
        if !tickets::set_status(&txn, &fresh, TicketStatus::Assigned, None, now).await? {
            return Err(conflict("someone else changed this ticket just now; reload it"));
        }
        tickets::add_event(
            &txn,
            id,
            "assigned",
            Some((t.status, TicketStatus::Assigned)),
            &detail,
            Some(auth.user.id),
            now,
        )
        .await?;
    } else {
        tickets::add_event(&txn, id, "assigned", None, &detail, Some(auth.user.id), now).await?;
    }
    let customer = match t.customer_id {
        Some(c) => customers::get(&txn, c).await?,
        None => None,
    };
    let deadline = t
        .sla_due_at
        .map(|d| d.with_timezone(&aglis_core::schedule::JAKARTA).format("%d/%m/%Y %H.%M WIB").to_string())
        .unwrap_or_default();
    let values = vars([
        ("technicianName", tech.full_name.clone()),
        ("ticketNumber", t.number.clone()),
        ("customerName", customer.map(|c| c.name).unwrap_or_default()),
        ("location", t.location.clone()),
        ("priority", t.priority.to_string()),
        ("deadline", deadline),
    ]);
    queue_event(&txn, "ticket_assignment", Language::Id, &tech.phone, &values, JobPriority::High, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    tickets::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket"))
}
