//! A sliding-window limit held in the database, so it binds every instance together: at most
//! `limit` hits per `window` for a key. The key's row is updated first, which takes a row lock on
//! PostgreSQL and the write lock on SQLite, so concurrent instances count one at a time.

use crate::DbError;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, StatementBuilder, TransactionTrait};

/// Takes one hit for `key` if the window has room; otherwise says when the oldest hit leaves it.
pub async fn acquire(
    db: &DatabaseConnection,
    key: &str,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Result<(), DateTime<Utc>>, DbError> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    // Serialise hits of this key: insert the key row or touch it (locks it in both engines).
    let upsert = Query::insert()
        .into_table("rate_limit_keys")
        .columns(["key", "touched_at"])
        .values_panic([key.into(), now.into()])
        .on_conflict(OnConflict::column("key").update_column("touched_at").to_owned())
        .to_owned();
    txn.execute_raw(StatementBuilder::build(&upsert, &backend)).await?;
    let since = now - window;
    let purge = Query::delete()
        .from_table("rate_limit_hits")
        .and_where(ExprTrait::eq(Expr::col("key"), key))
        .and_where(ExprTrait::lte(Expr::col("at"), since))
        .to_owned();
    txn.execute_raw(StatementBuilder::build(&purge, &backend)).await?;
    let select = Query::select()
        .column("at")
        .from("rate_limit_hits")
        .and_where(ExprTrait::eq(Expr::col("key"), key))
        .and_where(ExprTrait::gt(Expr::col("at"), since))
        .order_by("at", sea_orm::Order::Asc)
        .to_owned();
    let rows = txn.query_all_raw(StatementBuilder::build(&select, &backend)).await?;
    if rows.len() >= limit as usize {
        let oldest: DateTime<Utc> = rows[0].try_get("", "at")?;
        txn.commit().await?;
        return Ok(Err(oldest + window));
    }
    let insert = Query::insert()
        .into_table("rate_limit_hits")
        .columns(["key", "at"])
        .values_panic([key.into(), now.into()])
        .to_owned();
    txn.execute_raw(StatementBuilder::build(&insert, &backend)).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The times of `key`'s hits since `since`, oldest first (for dashboards and tests).
pub async fn hits_since(
    db: &DatabaseConnection,
    key: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbError> {
    let select = Query::select()
        .column("at")
        .from("rate_limit_hits")
        .and_where(ExprTrait::eq(Expr::col("key"), key))
        .and_where(ExprTrait::gt(Expr::col("at"), since))
        .order_by("at", sea_orm::Order::Asc)
        .to_owned();
    let rows = db.query_all_raw(StatementBuilder::build(&select, &db.get_database_backend())).await?;
    rows.iter().map(|r| r.try_get::<DateTime<Utc>>("", "at").map_err(DbError::from)).collect()
}
