//! Named leases: at most one holder at a time, kept alive by a heartbeat, taken over when expired.
//!
//! One upsert does it on both engines: insert the lease, or overwrite it only if it is ours or has
//! expired. Whoever the row names afterwards holds it.

use crate::DbError;
use crate::entity::leases::{self, Column, Entity};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, StatementBuilder};

/// Takes or renews `name` for `holder` until `now + ttl`. Returns whether `holder` holds it now.
pub async fn acquire(
    conn: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let expires = now + ttl;
    // Keep `acquired_at` when renewing our own lease, set it when taking the lease over.
    let acquired_at =
        Expr::case(Column::Holder.eq(holder), Expr::col((Entity, Column::AcquiredAt))).finally(Expr::value(now));
    let insert = Query::insert()
        .into_table(Entity)
        .columns([Column::Name, Column::Holder, Column::AcquiredAt, Column::ExpiresAt])
        .values_panic([name.into(), holder.into(), now.into(), expires.into()])
        .on_conflict(
            OnConflict::column(Column::Name)
                .value(Column::Holder, holder)
                .value(Column::AcquiredAt, acquired_at)
                .value(Column::ExpiresAt, expires)
                .action_and_where(Column::Holder.eq(holder).or(Column::ExpiresAt.lt(now)))
                .to_owned(),
        )
        .to_owned();
    let stmt = StatementBuilder::build(&insert, &conn.get_database_backend());
    conn.execute_raw(stmt).await?;
    Ok(current_holder(conn, name, now).await?.as_deref() == Some(holder))
}

/// Gives the lease up if `holder` has it, so another instance can take over at once.
pub async fn release(conn: &impl ConnectionTrait, name: &str, holder: &str) -> Result<bool, DbError> {
    let res = Entity::delete_many().filter(Column::Name.eq(name)).filter(Column::Holder.eq(holder)).exec(conn).await?;
    Ok(res.rows_affected == 1)
}

/// Who holds `name` at `now` (an expired lease has no holder).
pub async fn current_holder(
    conn: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbError> {
    Ok(Entity::find_by_id(name.to_owned())
        .filter(Column::ExpiresAt.gte(now))
        .one(conn)
        .await?
        .map(|l: leases::Model| l.holder))
}
