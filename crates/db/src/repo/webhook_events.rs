//! Provider callbacks: stored raw first (so nothing acknowledged is lost), applied by a job.

use crate::DbError;
use crate::entity::webhook_events::{self, Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

pub async fn store(
    conn: &impl ConnectionTrait,
    source: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let row = webhook_events::ActiveModel {
        source: Set(source.to_owned()),
        payload: Set(payload.to_owned()),
        received_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<webhook_events::Model>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Records what applying the event did.
pub async fn finish(
    conn: &impl ConnectionTrait,
    id: i64,
    outcome: &str,
    message_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::ProcessedAt, Expr::value(now))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .col_expr(Column::MessageId, Expr::value(message_id))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Events with `outcome`, for inspection.
pub async fn with_outcome(conn: &impl ConnectionTrait, outcome: &str) -> Result<Vec<webhook_events::Model>, DbError> {
    Ok(Entity::find().filter(Column::Outcome.eq(outcome)).all(conn).await?)
}

/// Records what applying a payment callback did and which checkout it was about.
pub async fn finish_checkout(
    conn: &impl ConnectionTrait,
    id: i64,
    outcome: &str,
    checkout_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::ProcessedAt, Expr::value(now))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .col_expr(Column::CheckoutId, Expr::value(checkout_id))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A page of the events from `sources`, newest first, with how many there are (counted up to
/// `cap`; `false` when there are more).
pub async fn page_of_sources(
    conn: &impl ConnectionTrait,
    sources: &[&str],
    outcome: Option<&str>,
    offset: u64,
    limit: u64,
    cap: u64,
) -> Result<(Vec<webhook_events::Model>, u64, bool), DbError> {
    let mut q = Entity::find().filter(Column::Source.is_in(sources.iter().copied()));
    if let Some(o) = outcome {
        q = q.filter(Column::Outcome.eq(o));
    }
    let counted = q.clone().select_only().column(Column::Id).limit(cap + 1).into_query();
    let (total, exact) = super::capped_count(conn, counted, cap).await?;
    let rows = q.order_by_desc(Column::Id).offset(offset).limit(limit).all(conn).await?;
    Ok((rows, total, exact))
}

/// The callbacks stored about checkout `checkout_id`, oldest first.
pub async fn of_checkouts(
    conn: &impl ConnectionTrait,
    checkout_ids: &[i64],
) -> Result<Vec<webhook_events::Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::CheckoutId.is_in(checkout_ids.iter().copied()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}
