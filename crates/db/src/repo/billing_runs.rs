//! Billing runs as recorded: queued by the billing page or the daily schedule, moved to running
//! by the worker that takes the job, its progress written after each batch, and closed with what
//! it did or why it failed.

use crate::DbError;
use crate::entity::billing_runs::{ActiveModel, Column, Entity, Model};
use aglis_core::billing_run::{RunStatus, RunTrigger};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

pub use crate::entity::billing_runs::Model as BillingRun;

/// What a finished run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub customers: i64,
    pub created: i64,
    pub already_billed: i64,
    pub nothing_to_bill: i64,
    pub total: i64,
}

pub async fn queue(
    conn: &impl ConnectionTrait,
    period: &str,
    trigger: RunTrigger,
    started_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Model, DbError> {
    Ok(ActiveModel {
        period: Set(period.to_owned()),
        trigger: Set(trigger),
        status: Set(RunStatus::Queued),
        done: Set(0),
        of_total: Set(0),
        customers: Set(0),
        created: Set(0),
        already_billed: Set(0),
        nothing_to_bill: Set(0),
        total: Set(0),
        error: Set(None),
        started_by: Set(started_by),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Marks a run as running; `false` when it has finished. A running one is taken again: its job
/// is retried after the worker died, and the run itself skips who it billed already.
pub async fn start(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(RunStatus::Running.as_str()))
        .col_expr(Column::StartedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// `done` of `of` customers written so far.
pub async fn progress(conn: &impl ConnectionTrait, id: i64, done: i64, of: i64) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Done, Expr::value(done))
        .col_expr(Column::OfTotal, Expr::value(of))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn finish(conn: &impl ConnectionTrait, id: i64, o: Outcome, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(RunStatus::Done.as_str()))
        .col_expr(Column::Customers, Expr::value(o.customers))
        .col_expr(Column::Created, Expr::value(o.created))
        .col_expr(Column::Done, Expr::col(Column::OfTotal))
        .col_expr(Column::AlreadyBilled, Expr::value(o.already_billed))
        .col_expr(Column::NothingToBill, Expr::value(o.nothing_to_bill))
        .col_expr(Column::Total, Expr::value(o.total))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn fail(conn: &impl ConnectionTrait, id: i64, error: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(RunStatus::Failed.as_str()))
        .col_expr(Column::Error, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Queued or running runs, oldest first.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

/// One page of the runs, newest first, and how many there are.
pub async fn page(conn: &impl ConnectionTrait, offset: u64, limit: u64) -> Result<(Vec<Model>, u64), DbError> {
    let total = Entity::find().count(conn).await?;
    let rows = Entity::find().order_by_desc(Column::Id).offset(offset).limit(limit).all(conn).await?;
    Ok((rows, total))
}
