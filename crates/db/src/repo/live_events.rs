//! `live_events` (migration m0035): written beside each change, in its transaction, and read by
//! every instance's live hub (`GET /api/v1/events`).

use crate::DbError;
use crate::entity::live_events::{self, Column, Entity};
use crate::entity::{technicians, ticket_team, tickets};
use aglis_core::live::{LiveKind, join_ids};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{Value, json};

pub type LiveEvent = live_events::Model;

/// Records one event.
pub async fn publish(
    conn: &impl ConnectionTrait,
    kind: LiveKind,
    ticket_id: Option<i64>,
    technicians: &[i64],
    for_user: Option<i64>,
    data: Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut data = data.to_string();
    if data.len() > 1000 {
        data = "{}".to_owned();
    }
    let row = live_events::ActiveModel {
        at: Set(now),
        kind: Set(kind.as_str().to_owned()),
        ticket_id: Set(ticket_id),
        technicians: Set(join_ids(technicians)),
        for_user: Set(for_user),
        data: Set(data),
        ..Default::default()
    };
    Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

/// Ticket `id`'s event for its history step `step`: its number, status and priority, and the
/// technicians on it now (an assignment is addressed to the lead's own bell).
pub async fn ticket(conn: &impl ConnectionTrait, id: i64, step: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let Some(t) = tickets::Entity::find_by_id(id).one(conn).await? else { return Ok(()) };
    let mut on: Vec<i64> = ticket_team::Entity::find()
        .select_only()
        .column(ticket_team::Column::TechnicianId)
        .filter(ticket_team::Column::TicketId.eq(id))
        .into_tuple()
        .all(conn)
        .await?;
    on.extend(t.lead_technician_id);
    on.sort_unstable();
    on.dedup();
    let kind = LiveKind::of_ticket_step(step);
    let for_user = match (kind, t.lead_technician_id) {
        (LiveKind::TicketAssigned, Some(lead)) => technicians::Entity::find_by_id(lead)
            .select_only()
            .column(technicians::Column::UserId)
            .into_tuple::<Option<i64>>()
            .one(conn)
            .await?
            .flatten(),
        _ => None,
    };
    let data = json!({
        "ticket_id": id,
        "number": t.number,
        "status": t.status.as_str(),
        "priority": t.priority.as_str(),
        "step": step.chars().take(40).collect::<String>(),
    });
    publish(conn, kind, Some(id), &on, for_user, data, now).await
}

/// Up to `limit` events after `id`, oldest first.
pub async fn after(conn: &impl ConnectionTrait, id: i64, limit: u64) -> Result<Vec<LiveEvent>, DbError> {
    Ok(Entity::find().filter(Column::Id.gt(id)).order_by_asc(Column::Id).limit(limit).all(conn).await?)
}

/// The newest event's id (0 when none).
pub async fn last_id(conn: &impl ConnectionTrait) -> Result<i64, DbError> {
    let id: Option<i64> = Entity::find()
        .select_only()
        .column(Column::Id)
        .order_by_desc(Column::Id)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(id.unwrap_or(0))
}

/// Removes the events before `before`; how many.
pub async fn purge(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(Entity::delete_many().filter(Column::At.lt(before)).exec(conn).await?.rows_affected)
}
