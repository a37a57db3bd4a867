//! Tickets: creation with their SLA targets, status changes (guarded by the status they leave,
//! so two people cannot both move one ticket), the team, the history and the SLA pauses.

use crate::DbError;
use crate::entity::tickets::{self, Column, Entity};
use crate::entity::{ticket_events, ticket_pauses, ticket_team};
use aglis_core::ticket::{Priority, TicketScope, TicketSearch, TicketSort, TicketStatus, TicketType};
use aglis_core::ticket_sla::Targets;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};

/// A ticket is its row: its type, priority, status and calendar are stored as text and read back
/// typed (string-backed enums, see `aglis_core::str_enum!`).
pub use crate::entity::tickets::Model as Ticket;

impl tickets::Model {
    /// The SLA targets fixed when the ticket was created.
    pub fn targets(&self) -> Targets {
        Targets {
            first_response: Duration::minutes(self.response_minutes.into()),
            resolution: Duration::minutes(self.resolution_minutes.into()),
            calendar: self.sla_calendar,
        }
    }

    /// The readings the technician recorded on completion, when there are any.
    pub fn completion_readings(&self) -> Option<serde_json::Value> {
        self.completion.as_deref().and_then(|c| serde_json::from_str(c).ok())
    }
}

/// A new ticket, checked by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub customer_id: Option<i64>,
    pub registration_id: Option<i64>,
    pub ticket_type: TicketType,
    pub category: String,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

fn minutes(d: Duration) -> i32 {
    i32::try_from(d.num_minutes()).unwrap_or(i32::MAX)
}

pub async fn add_event(
    conn: &impl ConnectionTrait,
    ticket_id: i64,
    kind: &str,
    change: Option<(TicketStatus, TicketStatus)>,
    detail: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    ticket_events::ActiveModel {
        ticket_id: Set(ticket_id),
        kind: Set(kind.to_owned()),
        from_status: Set(change.map(|c| c.0)),
        to_status: Set(change.map(|c| c.1)),
        detail: Set(detail.chars().take(4000).collect()),
        actor_id: Set(actor),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    super::live_events::ticket(conn, ticket_id, kind, now).await
}

/// Creates an open ticket numbered `number`; a taken number is `DbError::Unique`.
pub async fn create(
    conn: &impl ConnectionTrait,
    number: &str,
    t: NewTicket,
    targets: Targets,
    sla_due_at: Option<DateTime<Utc>>,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Ticket, DbError> {
    let model = tickets::ActiveModel {
        number: Set(number.to_owned()),
        customer_id: Set(t.customer_id),
        registration_id: Set(t.registration_id),
        ticket_type: Set(t.ticket_type),
        category: Set(t.category),
        priority: Set(t.priority),
        status: Set(TicketStatus::Open),
        title: Set(t.title),
        description: Set(t.description),
        location: Set(t.location),
        latitude: Set(t.latitude),
        longitude: Set(t.longitude),
        lead_technician_id: Set(None),
        created_by: Set(actor),
        sla_calendar: Set(targets.calendar),
        response_minutes: Set(minutes(targets.first_response)),
        resolution_minutes: Set(minutes(targets.resolution)),
        sla_due_at: Set(sla_due_at),
        first_response_at: Set(None),
        started_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        breached_at: Set(None),
        escalated_high_at: Set(None),
        escalated_critical_at: Set(None),
        completion: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    add_event(conn, model.id, "created", None, &format!("{number} ({})", t.priority), actor, now).await?;
    let customer_name = match model.customer_id {
        Some(c) => crate::entity::customers::Entity::find_by_id(c).one(conn).await?.map(|c| c.name),
        None => None,
    };
    super::ticket_search::index_ticket(conn, model.id, &model.title, customer_name.as_deref().unwrap_or("")).await?;
    Ok(model)
}

/// The next ticket number of the day at `now` (see [`crate::codes::next`]).
pub async fn next_number(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Result<String, aglis_core::codes::SeriesFull>, DbError> {
    let series = aglis_core::ticket::number_series(now);
    let highest = highest_number(conn, &series.prefix).await?;
    crate::codes::next(conn, &series, highest.as_deref()).await
}

/// The day's highest ticket number starting with `prefix` (`TKT20261125`), longest first: past
/// 999 a day the counter has four digits, and `…1000` sorts before `…999` as text.
pub async fn highest_number(conn: &impl ConnectionTrait, prefix: &str) -> Result<Option<String>, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Number)
        .filter(Column::Number.gte(prefix.to_owned()))
        .filter(Column::Number.lt(format!("{prefix}~")))
        .order_by(Expr::cust("LENGTH(number)"), Order::Desc)
        .order_by_desc(Column::Number)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Ticket>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Moves ticket `id` from `from` to `to`, stamping the step's times, opening or closing an SLA
/// pause. `false` when the ticket is no longer `from` (someone else moved it first).
pub async fn set_status(
    conn: &impl ConnectionTrait,
    ticket: &Ticket,
    to: TicketStatus,
    completion: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    let first_touch = matches!(to, TicketStatus::OnTheWay | TicketStatus::InProgress | TicketStatus::Resolved);
    if first_touch && ticket.first_response_at.is_none() {
        update = update.col_expr(Column::FirstResponseAt, Expr::value(now));
    }
    if to == TicketStatus::InProgress && ticket.started_at.is_none() {
        update = update.col_expr(Column::StartedAt, Expr::value(now));
    }
    match to {
        TicketStatus::Resolved => update = update.col_expr(Column::ResolvedAt, Expr::value(now)),
        TicketStatus::Closed => update = update.col_expr(Column::ClosedAt, Expr::value(now)),
        TicketStatus::Reopened => {
            update = update
                .col_expr(Column::ResolvedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(Column::ClosedAt, Expr::value(Option::<DateTime<Utc>>::None));
        }
        _ => {}
    }
    if let Some(c) = completion {
        update = update.col_expr(Column::Completion, Expr::value(c.to_string()));
    }
    let done = update
        .filter(Column::Id.eq(ticket.id))
        .filter(Column::Status.eq(ticket.status.as_str()))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if !done {
        return Ok(false);
    }
    if to.pauses_sla() && !ticket.status.pauses_sla() {
        ticket_pauses::ActiveModel {
            ticket_id: Set(ticket.id),
            from_at: Set(now),
            until_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    if ticket.status.pauses_sla() && !to.pauses_sla() {
        ticket_pauses::Entity::update_many()
            .col_expr(ticket_pauses::Column::UntilAt, Expr::value(now))
            .filter(ticket_pauses::Column::TicketId.eq(ticket.id))
            .filter(ticket_pauses::Column::UntilAt.is_null())
            .exec(conn)
            .await?;
    }
    Ok(true)
}

/// Sets the resolution deadline as last computed (none while paused or when done).
pub async fn set_due(conn: &impl ConnectionTrait, id: i64, due: Option<DateTime<Utc>>) -> Result<(), DbError> {
    Entity::update_many().col_expr(Column::SlaDueAt, Expr::value(due)).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

/// Records the instant the resolution target was missed (once).
pub async fn set_breached(conn: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::BreachedAt, Expr::value(at))
        .filter(Column::Id.eq(id))
        .filter(Column::BreachedAt.is_null())
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Raises the priority for an escalation step, once: `false` if the step was taken already.
pub async fn escalate(
    conn: &impl ConnectionTrait,
    id: i64,
    step: aglis_core::ticket_sla::Step,
    to: Priority,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let stamp = match step {
        aglis_core::ticket_sla::Step::ToHigh => Column::EscalatedHighAt,
        aglis_core::ticket_sla::Step::ToCritical => Column::EscalatedCriticalAt,
    };
    let r = Entity::update_many()
        .col_expr(stamp, Expr::value(now))
        .col_expr(Column::Priority, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(stamp.is_null())
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Replaces the team: `lead` plus `members`, and mirrors the lead on the ticket.
pub async fn set_team(
    conn: &impl ConnectionTrait,
    id: i64,
    lead: i64,
    members: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    ticket_team::Entity::delete_many().filter(ticket_team::Column::TicketId.eq(id)).exec(conn).await?;
    let mut rows = vec![ticket_team::ActiveModel {
        ticket_id: Set(id),
        technician_id: Set(lead),
        role: Set("lead".into()),
        assigned_at: Set(now),
    }];
    for m in members.iter().filter(|m| **m != lead) {
        rows.push(ticket_team::ActiveModel {
            ticket_id: Set(id),
            technician_id: Set(*m),
            role: Set("member".into()),
            assigned_at: Set(now),
        });
    }
    ticket_team::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Entity::update_many()
        .col_expr(Column::LeadTechnicianId, Expr::value(lead))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// `(technician_id, role)` of the ticket's team, lead first.
pub async fn team(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<(i64, String)>, DbError> {
    let mut rows: Vec<(i64, String)> = ticket_team::Entity::find()
        .select_only()
        .column(ticket_team::Column::TechnicianId)
        .column(ticket_team::Column::Role)
        .filter(ticket_team::Column::TicketId.eq(id))
        .into_tuple()
        .all(conn)
        .await?;
    rows.sort_by_key(|(t, role)| (role != "lead", *t));
    Ok(rows)
}

pub async fn events(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<ticket_events::Model>, DbError> {
    Ok(ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketId.eq(id))
        .order_by_desc(ticket_events::Column::Id)
        .all(conn)
        .await?)
}

/// The ticket's SLA pauses, oldest first.
pub async fn pauses(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<ticket_pauses::Model>, DbError> {
    Ok(ticket_pauses::Entity::find()
        .filter(ticket_pauses::Column::TicketId.eq(id))
        .order_by_asc(ticket_pauses::Column::Id)
        .all(conn)
        .await?)
}

/// Active tickets led by each of `technicians` (their current load).
pub async fn active_load(conn: &impl ConnectionTrait, technicians: &[i64]) -> Result<Vec<(i64, i64)>, DbError> {
    if technicians.is_empty() {
        return Ok(Vec::new());
    }
    let active: Vec<&str> = TicketStatus::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
    Ok(Entity::find()
        .select_only()
        .column(Column::LeadTechnicianId)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::LeadTechnicianId.is_in(technicians.to_vec()))
        .filter(Column::Status.is_in(active))
        .group_by(Column::LeadTechnicianId)
        .into_tuple()
        .all(conn)
        .await?)
}

/// A ticket list's filters. `technician_id` narrows to one technician's tickets;
/// `include_open` adds every open ticket (a technician's queue shows what they could pick up).
#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    pub technician_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Tickets technician N leads or works on as a team member.
    pub member: Option<i64>,
    /// The search box: a ticket number or its start (`TKT2026…`), or words of the title or the
    /// customer's name, each matched from its start (see [`super::ticket_search`]).
    pub search: Option<String>,
    /// Without a status: which tickets (none: all).
    pub scope: Option<TicketScope>,
    /// The order (none: newest first). A text search is always newest first.
    pub sort: Option<TicketSort>,
    pub page: u64,
    pub per_page: u64,
}

impl TicketQuery {
    /// The statuses the scope narrows to, when no status is asked for.
    pub fn scope_statuses(&self) -> Option<Vec<TicketStatus>> {
        match (self.status, self.scope) {
            (None, Some(scope)) if scope != TicketScope::All => Some(scope.statuses()),
            _ => None,
        }
    }
}

/// `priority` as [`Priority::urgency`] in SQL.
const URGENCY_SQL: &str = "CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

/// Most rows a list counts before answering "10000+".
pub const TOTAL_CAP: u64 = 10_000;

/// One page, newest first, and the number of matches (capped at [`TOTAL_CAP`]; `false` when capped).
pub async fn list(conn: &impl ConnectionTrait, q: &TicketQuery) -> Result<(Vec<Ticket>, u64, bool), DbError> {
    let number = match q.search.as_deref().and_then(TicketSearch::parse) {
        Some(TicketSearch::Words(words)) => return super::ticket_search::list(conn, q, &words).await,
        Some(TicketSearch::Number(n)) => Some(n),
        None => None,
    };
    let mut cond = Condition::all();
    if let Some(p) = q.priority {
        cond = cond.add(Column::Priority.eq(p.as_str()));
    }
    if let Some(t) = q.technician_id {
        cond = cond.add(Column::LeadTechnicianId.eq(t));
    }
    if let Some(c) = q.customer_id {
        cond = cond.add(Column::CustomerId.eq(c));
    }
    if let Some(id) = q.member {
        let team = Query::select()
            .column(ticket_team::Column::TicketId)
            .from(ticket_team::Entity)
            .and_where(ticket_team::Column::TechnicianId.eq(id))
            .to_owned();
        cond = cond.add(Condition::any().add(Column::LeadTechnicianId.eq(id)).add(Column::Id.in_subquery(team)));
    }
    if let Some(n) = number.as_deref() {
        cond = cond.add(Column::Number.gte(n.to_owned())).add(Column::Number.lt(format!("{n}~")));
    }
    let statuses = q.status.map(|s| vec![s]).or_else(|| q.scope_statuses());
    let sort = effective_sort(q.sort, statuses.as_deref());
    let per_page = Ord::max(q.per_page, 1);
    let offset = q.page.saturating_sub(1) * per_page;
    let by_number = number.is_some() && sort == TicketSort::Newest;
    let Some(list) = statuses.filter(|l| l.len() > 1 && number.is_none()) else {
        if let Some(s) = q.status {
            cond = cond.add(Column::Status.eq(s.as_str()));
        } else if let Some(list) = q.scope_statuses() {
            cond = cond.add(Column::Status.is_in(list.iter().map(|s| s.as_str())));
        }
        let rows = ordered(Entity::find().filter(cond.clone()), sort, by_number)
            .offset(offset)
            .limit(per_page)
            .all(conn)
            .await?;
        let inner = Entity::find().select_only().column(Column::Id).filter(cond).limit(TOTAL_CAP + 1).into_query();
        let (total, exact) = super::capped_count(conn, inner, TOTAL_CAP).await?;
        return Ok((rows, total, exact));
    };
    // Several statuses (a scope). Counted one status at a time: `status IN (…)` makes SQLite's
    // planner (after ANALYZE) scan the table, `status = ?` reads the (status, id) index.
    let (mut total, mut exact) = (0, true);
    for status in &list {
        let cond = cond.clone().add(Column::Status.eq(status.as_str()));
        let inner = Entity::find().select_only().column(Column::Id).filter(cond).limit(TOTAL_CAP + 1).into_query();
        let (n, all_counted) = super::capped_count(conn, inner, TOTAL_CAP).await?;
        total += n;
        exact &= all_counted;
    }
    let total_out = (Ord::min(total, TOTAL_CAP), exact && total <= TOTAL_CAP);
    if sort != TicketSort::Urgent {
        // By id: walking the id index meets the scope's tickets soon enough (the newest are the
        // open ones; most of the rest are finished).
        let cond = cond.add(Column::Status.is_in(list.iter().map(|s| s.as_str())));
        let rows = ordered(Entity::find().filter(cond), sort, false).offset(offset).limit(per_page).all(conn).await?;
        return Ok((rows, total_out.0, total_out.1));
    }
    // Urgent (work still to do, which is little): each status brings at most the rows up to the
    // page, through its index; merged and cut in memory.
    let mut rows = Vec::new();
    for status in list {
        let cond = cond.clone().add(Column::Status.eq(status.as_str()));
        rows.extend(ordered(Entity::find().filter(cond), sort, false).limit(offset + per_page).all(conn).await?);
    }
    rows.sort_by(|a, b| compare(sort, a, b));
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let page = rows.into_iter().skip(skip).take(usize::try_from(per_page).unwrap_or(usize::MAX)).collect();
    Ok((page, total_out.0, total_out.1))
}

/// The order a list gets: `urgent` ranks work still to do; a list that may hold finished tickets
/// (which have no clock) is newest first instead. No order asked: newest first.
pub fn effective_sort(sort: Option<TicketSort>, statuses: Option<&[TicketStatus]>) -> TicketSort {
    match sort {
        Some(TicketSort::Urgent) if statuses.is_some_and(|l| l.iter().all(|s| s.is_active())) => TicketSort::Urgent,
        Some(TicketSort::Oldest) => TicketSort::Oldest,
        _ => TicketSort::Newest,
    }
}

/// `find` in the order `sort`: urgent is past the SLA first (their deadline is the earliest), then
/// by the time left, then by priority, a paused clock (no deadline) last. Newest by number when
/// searching by number: the (status, number) index gives that order, where ordering by id would
/// sort every match of a month's prefix.
fn ordered(find: sea_orm::Select<Entity>, sort: TicketSort, by_number: bool) -> sea_orm::Select<Entity> {
    match sort {
        TicketSort::Urgent => find
            .order_by_asc(Expr::col(Column::SlaDueAt).is_null())
            .order_by_asc(Column::SlaDueAt)
            .order_by_asc(Expr::cust(URGENCY_SQL))
            .order_by_desc(Column::Id),
        TicketSort::Oldest => find.order_by_asc(Column::Id),
        TicketSort::Newest if by_number => find.order_by_desc(Column::Number),
        TicketSort::Newest => find.order_by_desc(Column::Id),
    }
}

/// [`ordered`]'s order in memory.
fn compare(sort: TicketSort, a: &Ticket, b: &Ticket) -> std::cmp::Ordering {
    match sort {
        TicketSort::Urgent => (a.sla_due_at.is_none(), a.sla_due_at, a.priority.urgency(), std::cmp::Reverse(a.id))
            .cmp(&(b.sla_due_at.is_none(), b.sla_due_at, b.priority.urgency(), std::cmp::Reverse(b.id))),
        TicketSort::Oldest => a.id.cmp(&b.id),
        TicketSort::Newest => b.id.cmp(&a.id),
    }
}

/// Tickets the SLA check looks at: still worked, clock running, and with an escalation or the
/// breach still to record (through the status index: active tickets are few among a million).
pub async fn for_sla_check(conn: &impl ConnectionTrait) -> Result<Vec<Ticket>, DbError> {
    // One query per status: with `status IN (…)` SQLite's planner, after ANALYZE, scans the table.
    let mut out = Vec::new();
    for status in TicketStatus::ALL.iter().filter(|s| s.is_active() && !s.pauses_sla()) {
        let rows = Entity::find()
            .filter(Column::Status.eq(status.as_str()))
            .filter(Condition::any().add(Column::BreachedAt.is_null()).add(Column::EscalatedCriticalAt.is_null()))
            .all(conn)
            .await?;
        out.extend(rows);
    }
    out.sort_by_key(|t| t.id);
    Ok(out)
}

/// The ticket figures of the staff dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Figures {
    /// Every status with its count.
    pub by_status: Vec<(TicketStatus, i64)>,
    /// Still worked and past the resolution SLA.
    pub breached_active: i64,
    /// Still worked, escalated, not yet past the SLA.
    pub at_risk: i64,
    /// Resolved since `day_start`.
    pub resolved_today: i64,
    /// Resolved in the last 30 days, and of those within the SLA.
    pub resolved_30d: i64,
    pub within_sla_30d: i64,
    /// Escalation instants of the last 7 days (the caller buckets them by local day).
    pub escalations_7d: Vec<DateTime<Utc>>,
}

async fn count(conn: &impl ConnectionTrait, cond: Condition) -> Result<i64, DbError> {
    Ok(Entity::find()
        .select_only()
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(cond)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .unwrap_or(0))
}

pub async fn figures(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    day_start: DateTime<Utc>,
) -> Result<Figures, DbError> {
    let rows: Vec<(String, i64)> =
        crate::entity::ticket_counts::Entity::find().all(conn).await?.into_iter().map(|r| (r.status, r.n)).collect();
    let by_status = TicketStatus::ALL
        .iter()
        .map(|s| (*s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, n)| *n)))
        .collect();
    // Per status (`status IN (…)` makes SQLite scan the table), each through `ix_tickets_status_id`.
    // Both figures in one pass over each status's tickets.
    let (mut breached_active, mut at_risk) = (0, 0);
    for status in TicketStatus::ALL.iter().filter(|s| s.is_active()) {
        let (breached, risky): (Option<i64>, Option<i64>) = Entity::find()
            .select_only()
            .column_as(Expr::col(Column::BreachedAt).count(), "breached")
            .column_as(
                Expr::cust("SUM(CASE WHEN breached_at IS NULL AND escalated_high_at IS NOT NULL THEN 1 ELSE 0 END)"),
                "risky",
            )
            .filter(Column::Status.eq(status.as_str()))
            .into_tuple()
            .one(conn)
            .await?
            .unwrap_or_default();
        breached_active += breached.unwrap_or(0);
        at_risk += risky.unwrap_or(0);
    }
    let resolved_today = count(conn, Condition::all().add(Column::ResolvedAt.gte(day_start))).await?;
    let month = now - Duration::days(30);
    // Resolved and of those late, in one pass over the covering (resolved_at, breached_at) index.
    let (resolved_30d, late): (Option<i64>, Option<i64>) = Entity::find()
        .select_only()
        .column_as(Expr::col(Column::ResolvedAt).count(), "resolved")
        .column_as(Expr::col(Column::BreachedAt).count(), "late")
        .filter(Column::ResolvedAt.gte(month))
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or_default();
    let (resolved_30d, late) = (resolved_30d.unwrap_or(0), late.unwrap_or(0));
    let escalations_7d: Vec<DateTime<Utc>> = ticket_events::Entity::find()
        .select_only()
        .column(ticket_events::Column::At)
        .filter(ticket_events::Column::Kind.eq("escalated"))
        .filter(ticket_events::Column::At.gte(now - Duration::days(7)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(Figures {
        by_status,
        breached_active,
        at_risk,
        resolved_today,
        resolved_30d,
        within_sla_30d: resolved_30d - late,
        escalations_7d,
    })
}

/// Stamps the ticket's first response at `at` unless it has an earlier one; `true` when this was it.
pub async fn mark_first_response(
    conn: &impl ConnectionTrait,
    ticket_id: i64,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::FirstResponseAt, Expr::value(at))
        .filter(Column::Id.eq(ticket_id))
        .filter(sea_orm::Condition::any().add(Column::FirstResponseAt.is_null()).add(Column::FirstResponseAt.gt(at)))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Records the customer's rating of ticket `id`'s visit; `false` when it was already rated.
pub async fn set_rating(
    conn: &impl ConnectionTrait,
    id: i64,
    stars: i32,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = tickets::Entity::update_many()
        .col_expr(tickets::Column::Rating, Expr::value(stars))
        .col_expr(tickets::Column::RatingComment, Expr::value(comment.to_owned()))
        .col_expr(tickets::Column::RatedAt, Expr::value(now))
        .filter(tickets::Column::Id.eq(id))
        .filter(tickets::Column::Rating.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Per technician (the lead of the visit): how many visits were rated and the average, ×100.
pub async fn ratings_by_lead(conn: &impl ConnectionTrait) -> Result<Vec<(i64, i64, i64)>, DbError> {
    let rows: Vec<(Option<i64>, i64, Option<i64>)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::LeadTechnicianId)
        .column_as(tickets::Column::Id.count(), "rated")
        .column_as(Expr::col(tickets::Column::Rating).sum(), "stars")
        .filter(tickets::Column::Rating.is_not_null())
        .filter(tickets::Column::LeadTechnicianId.is_not_null())
        .group_by(tickets::Column::LeadTechnicianId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(lead, rated, stars)| {
            let lead = lead?;
            (rated > 0).then(|| (lead, rated, stars.unwrap_or(0) * 100 / rated))
        })
        .collect())
}

/// The latest `limit` rated visits led by technician `lead`, newest first.
pub async fn ratings_of_lead(conn: &impl ConnectionTrait, lead: i64, limit: u64) -> Result<Vec<Ticket>, DbError> {
    Ok(tickets::Entity::find()
        .filter(tickets::Column::LeadTechnicianId.eq(lead))
        .filter(tickets::Column::Rating.is_not_null())
        .order_by_desc(tickets::Column::RatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Customer `customer_id`'s tickets still being worked, newest first, at most `limit`.
pub async fn active_of_customer(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    limit: u64,
) -> Result<Vec<Ticket>, DbError> {
    let active: Vec<&str> = TicketStatus::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
    Ok(tickets::Entity::find()
        .filter(tickets::Column::CustomerId.eq(customer_id))
        .filter(tickets::Column::Status.is_in(active))
        .order_by_desc(tickets::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Technician `lead`'s rated visits and their average ×100 (0 and 0 when none).
pub async fn rating_of_lead(conn: &impl ConnectionTrait, lead: i64) -> Result<(i64, i64), DbError> {
    let row: Option<(i64, Option<i64>)> = tickets::Entity::find()
        .select_only()
        .column_as(tickets::Column::Id.count(), "rated")
        .column_as(Expr::col(tickets::Column::Rating).sum(), "stars")
        .filter(tickets::Column::LeadTechnicianId.eq(lead))
        .filter(tickets::Column::Rating.is_not_null())
        .into_tuple()
        .one(conn)
        .await?;
    Ok(match row {
        Some((rated, stars)) if rated > 0 => (rated, stars.unwrap_or(0) * 100 / rated),
        _ => (0, 0),
    })
}

/// Sets another priority (a triage decision; the SLA targets stay those fixed at creation).
/// `false` if the ticket changed since `t` was read.
pub async fn set_priority(
    conn: &impl ConnectionTrait,
    t: &Ticket,
    to: Priority,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::Priority, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(t.id))
        .filter(Column::Priority.eq(t.priority.as_str()))
        .filter(Column::Status.eq(t.status.as_str()))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn urgent_ranks_only_work_still_to_do() {
        let open = TicketScope::Open.statuses();
        assert_eq!(effective_sort(Some(TicketSort::Urgent), Some(&open)), TicketSort::Urgent);
        assert_eq!(effective_sort(Some(TicketSort::Urgent), Some(&[TicketStatus::Closed])), TicketSort::Newest);
        assert_eq!(effective_sort(Some(TicketSort::Urgent), None), TicketSort::Newest, "all tickets");
        assert_eq!(effective_sort(Some(TicketSort::Oldest), None), TicketSort::Oldest);
        assert_eq!(effective_sort(None, Some(&open)), TicketSort::Newest);
    }
}
