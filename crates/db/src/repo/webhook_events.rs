//! Provider callbacks: stored raw first (so nothing acknowledged is lost), applied by a job.

use crate::DbError;
use crate::entity::webhook_events::{self, Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

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
