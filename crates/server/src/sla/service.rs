//! The SLA table and the holiday list as in use, and their changes (which move the deadlines of
//! the running business-hours tickets at once).

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use crate::tickets::service;
use aglis_core::schedule::JAKARTA;
use aglis_core::sla::SlaClock;
use aglis_core::ticket::{Priority, TicketType};
use aglis_core::ticket_sla::{self, CalendarKind, TargetRow};
use aglis_db::repo::{sla, ticket_stats, tickets};
use aglis_db::{DbError, TransactionTrait};
use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;

/// One row of the table as in use: stored by an admin (`custom`) or a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRow {
    pub row: TargetRow,
    pub custom: bool,
}

fn type_order(t: Option<TicketType>) -> usize {
    t.map_or(0, |t| 1 + TicketType::ALL.iter().position(|x| *x == t).unwrap_or(0))
}

fn priority_order(p: Priority) -> usize {
    Priority::ALL.len() - Priority::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

/// The table in use: the stored rows, and the defaults where none is stored; rows for every type
/// first, most urgent first.
pub async fn table(conn: &impl ConnectionTrait) -> AppResult<Vec<TableRow>> {
    let mut rows: Vec<TableRow> =
        sla::targets(conn).await?.into_iter().map(|row| TableRow { row, custom: true }).collect();
    for row in ticket_sla::default_targets() {
        if !rows.iter().any(|r| r.row.ticket_type == row.ticket_type && r.row.priority == row.priority) {
            rows.push(TableRow { row, custom: false });
        }
    }
    rows.sort_by_key(|r| (type_order(r.row.ticket_type), priority_order(r.row.priority)));
    Ok(rows)
}

/// Stores `rows` (all or none), in the audit log as `auth`'s change.
pub async fn save_targets(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    rows: &[TargetRow],
) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::set_targets(&txn, rows).await?;
    txn.commit().await.map_err(DbError::from)?;
    audit::record(state, Entry::setting_changed(auth, meta, "sla_targets", audit::sites::sla_rows(rows))).await?;
    Ok(())
}

/// The holidays of `year` in use, and whether they are the built-in list (none stored).
pub async fn holidays_of(conn: &impl ConnectionTrait, year: i32) -> AppResult<(Vec<(NaiveDate, String)>, bool)> {
    if sla::has_holidays(conn).await? {
        return Ok((sla::holidays_in_year(conn, year).await?, false));
    }
    let built_in = aglis_core::sla::INDONESIAN_HOLIDAYS
        .iter()
        .filter(|(d, _)| d.year() == year)
        .map(|(d, n)| (*d, (*n).to_owned()))
        .collect();
    Ok((built_in, true))
}

/// Recomputes the stored deadline of the active business-hours tickets whose clock runs, after
/// the holidays changed. Returns how many moved.
async fn refresh_business_dues(conn: &impl ConnectionTrait, now: chrono::DateTime<chrono::Utc>) -> AppResult<usize> {
    let running: Vec<_> = ticket_stats::active(conn)
        .await?
        .into_iter()
        .filter(|t| t.calendar == CalendarKind::Business && !t.status.pauses_sla())
        .collect();
    let ids: Vec<i64> = running.iter().map(|t| t.id).collect();
    let pauses = ticket_stats::pauses_of(conn, &ids).await?;
    let cal = service::calendar(conn, CalendarKind::Business).await?;
    let mut moved = 0;
    for t in running {
        let p = pauses.get(&t.id).map_or(&[][..], Vec::as_slice);
        let due = SlaClock::measure(&cal, t.created_at, t.resolution, p, now).due_at;
        if due != t.sla_due_at {
            tickets::set_due(conn, t.id, due).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Adds a holiday, in the audit log as `auth`'s change: 409 if the day is one already.
pub async fn add(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    day: NaiveDate,
    name: &str,
) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::store_built_in_holidays(&txn).await?;
    if let Some(existing) = sla::holiday(&txn, day).await? {
        return Err(AppError::taken("date", format!("{day} is already a holiday ({existing})")));
    }
    match sla::add_holiday(&txn, day, name).await {
        Err(e) if e.is_unique_on("day") || e.is_unique_on("holidays") => {
            return Err(AppError::taken("date", format!("{day} is already a holiday")));
        }
        other => other?,
    }
    refresh_business_dues(&txn, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.holidays.invalidate();
    audit::record(state, Entry::setting_changed(auth, meta, "holidays", audit::sites::holiday("added", day, name)))
        .await?;
    Ok(())
}

/// Deletes a holiday, in the audit log as `auth`'s change: 404 if the day is none, 409 for the last one (with none stored, the
/// built-in list would apply again).
pub async fn remove(state: &AppState, auth: &Authenticated, meta: &RequestMeta, day: NaiveDate) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::store_built_in_holidays(&txn).await?;
    if sla::holiday(&txn, day).await?.is_none() {
        return Err(AppError::NotFound(format!("{day} is not a holiday")));
    }
    sla::delete_holiday(&txn, day).await?;
    if !sla::has_holidays(&txn).await? {
        return Err(AppError::Conflict {
            detail: "the last holiday cannot be deleted: without any, the built-in Indonesian list applies again. \
                     Add the new holidays first, or use the 24/7 calendar."
                .into(),
            fields: FieldErrors::new(),
        });
    }
    refresh_business_dues(&txn, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.holidays.invalidate();
    audit::record(state, Entry::setting_changed(auth, meta, "holidays", audit::sites::holiday("deleted", day, "")))
        .await?;
    Ok(())
}

pub fn this_year(state: &AppState) -> i32 {
    state.now().with_timezone(&JAKARTA).year()
}
