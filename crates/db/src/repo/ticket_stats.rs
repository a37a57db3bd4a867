//! The escalation dashboard's figures: the tickets still worked with what their SLA clocks need,
//! escalations per day and SLA compliance per lead technician. Each query reads through an index,
//! so they stay fast at a million tickets: active tickets through the status indexes (a few
//! thousand among a million), escalation events through `(kind, at)`, resolved tickets through
//! `resolved_at`, pauses through their ticket.

use crate::DbError;
use crate::entity::{ticket_events, ticket_pauses, tickets};
use aglis_core::sla::Pause;
use aglis_core::ticket::{Priority, TicketStatus};
use aglis_core::ticket_sla::CalendarKind;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;

/// A ticket still being worked, with what its resolution clock needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveTicket {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub priority: Priority,
    pub status: TicketStatus,
    pub lead_technician_id: Option<i64>,
    pub resolution: Duration,
    pub calendar: CalendarKind,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct ActiveRow {
    id: i64,
    number: String,
    customer_id: Option<i64>,
    priority: String,
    status: String,
    lead_technician_id: Option<i64>,
    resolution_minutes: i32,
    sla_calendar: String,
    created_at: DateTime<Utc>,
    sla_due_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
}

impl TryFrom<ActiveRow> for ActiveTicket {
    type Error = DbError;
    fn try_from(r: ActiveRow) -> Result<Self, DbError> {
        let bad = |e: aglis_core::notification::UnknownValue| DbError::Corrupt(format!("ticket {}: {e}", r.id));
        Ok(ActiveTicket {
            priority: r.priority.parse().map_err(bad)?,
            status: r.status.parse().map_err(bad)?,
            calendar: r.sla_calendar.parse().map_err(bad)?,
            resolution: Duration::minutes(r.resolution_minutes.into()),
            id: r.id,
            number: r.number,
            customer_id: r.customer_id,
            lead_technician_id: r.lead_technician_id,
            created_at: r.created_at,
            sla_due_at: r.sla_due_at,
            breached_at: r.breached_at,
        })
    }
}

/// Every ticket still being worked (not resolved, closed or cancelled), by status.
///
/// One query per status on purpose: with the statistics `ANALYZE` keeps (ten statuses, so a
/// tenth of the table per status on average), SQLite plans `status IN (…seven…)` as a scan of
/// every ticket (0.4 s at a million), while `status = ?` reads the status index.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Vec<ActiveTicket>, DbError> {
    use tickets::Column as C;
    let mut out = Vec::new();
    for status in TicketStatus::ALL.iter().filter(|s| s.is_active()) {
        let rows = tickets::Entity::find()
            .select_only()
            .columns([C::Id, C::Number, C::CustomerId, C::Priority, C::Status, C::LeadTechnicianId])
            .columns([C::ResolutionMinutes, C::SlaCalendar, C::CreatedAt, C::SlaDueAt, C::BreachedAt])
            .filter(C::Status.eq(status.as_str()))
            .into_model::<ActiveRow>()
            .all(conn)
            .await?;
        for r in rows {
            out.push(ActiveTicket::try_from(r)?);
        }
    }
    Ok(out)
}

/// Tickets still being worked whose SLA is breached: how many, and the numbers of the oldest
/// breaches (at most `sample`). One query per active status, as [`active`].
pub async fn breached_active(conn: &impl ConnectionTrait, sample: usize) -> Result<(u64, Vec<String>), DbError> {
    use tickets::Column as C;
    let mut rows: Vec<(String, chrono::DateTime<chrono::Utc>)> = Vec::new();
    for status in TicketStatus::ALL.iter().filter(|s| s.is_active()) {
        let found: Vec<(String, chrono::DateTime<chrono::Utc>)> = tickets::Entity::find()
            .select_only()
            .columns([C::Number, C::BreachedAt])
            .filter(C::Status.eq(status.as_str()))
            .filter(C::BreachedAt.is_not_null())
            .into_tuple()
            .all(conn)
            .await?;
        rows.extend(found);
    }
    rows.sort_by_key(|(_, at)| *at);
    let n = rows.len() as u64;
    Ok((n, rows.into_iter().take(sample).map(|(number, _)| number).collect()))
}

/// Bound parameters per `IN (…)` list (SQLite allows 32 766, PostgreSQL 65 535 per statement).
const CHUNK: usize = 500;

/// The SLA pauses of tickets `ids`, by ticket.
pub async fn pauses_of(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<BTreeMap<i64, Vec<Pause>>, DbError> {
    let mut out: BTreeMap<i64, Vec<Pause>> = BTreeMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = ticket_pauses::Entity::find()
            .filter(ticket_pauses::Column::TicketId.is_in(chunk.to_vec()))
            .order_by_asc(ticket_pauses::Column::Id)
            .all(conn)
            .await?;
        for p in rows {
            out.entry(p.ticket_id).or_default().push(Pause { from: p.from_at, until: p.until_at });
        }
    }
    Ok(out)
}

/// When each escalation step since `since` was taken (the caller buckets them by local day).
pub async fn escalations_since(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbError> {
    Ok(ticket_events::Entity::find()
        .select_only()
        .column(ticket_events::Column::At)
        .filter(ticket_events::Column::Kind.eq("escalated"))
        .filter(ticket_events::Column::At.gte(since))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Tickets resolved since a date by one lead technician, and of those the ones resolved within
/// their resolution SLA (never breached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadCompliance {
    /// `None`: resolved without a lead technician.
    pub lead_technician_id: Option<i64>,
    pub resolved: i64,
    pub within_sla: i64,
}

/// SLA compliance per lead technician of the tickets resolved since `since` (resolved and later
/// closed included; reopened tickets count again when resolved again).
pub async fn compliance_by_lead(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<LeadCompliance>, DbError> {
    // Grouped by an expression, not the bare column: SQLite would otherwise walk the whole
    // (lead, status) index for its order instead of reading the month from `resolved_at`.
    let lead = || Expr::cust("COALESCE(lead_technician_id, 0)");
    let rows: Vec<(i64, i64, i64)> = tickets::Entity::find()
        .select_only()
        .column_as(lead(), "lead")
        .column_as(Expr::cust("COUNT(*)"), "resolved")
        .column_as(Expr::cust("CAST(SUM(CASE WHEN breached_at IS NULL THEN 1 ELSE 0 END) AS BIGINT)"), "within_sla")
        .filter(tickets::Column::ResolvedAt.gte(since))
        .group_by(lead())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(lead, resolved, within_sla)| LeadCompliance {
            lead_technician_id: (lead > 0).then_some(lead),
            resolved,
            within_sla,
        })
        .collect())
}

/// How many of customer `customer_id`'s tickets are still being worked.
pub async fn open_of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<u64, DbError> {
    use sea_orm::PaginatorTrait;
    let active: Vec<&str> = TicketStatus::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
    Ok(tickets::Entity::find()
        .filter(tickets::Column::CustomerId.eq(customer_id))
        .filter(tickets::Column::Status.is_in(active))
        .count(conn)
        .await?)
}
