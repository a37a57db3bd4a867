//! The durable job queue: enqueue inside the caller's transaction, claim, complete, retry with
//! backoff, dead-letter, re-queue.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *` statement.
//! PostgreSQL skips rows other runners hold; SQLite has no row locks (SeaQuery drops the clause) and
//! needs none: its single writer connection runs the statement atomically.

use crate::DbError;
use crate::entity::jobs::{self, Column, Entity};
use aglis_core::job::{JobPriority, JobStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, StatementBuilder, TryInsertResult,
};

/// Attempts a job gets unless its enqueuer says otherwise: the first run and 3 retries.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 4;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub priority: JobPriority,
    /// `None`: due immediately.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    /// At most one job ever exists per key: a second enqueue with the same key is a no-op.
    pub dedup_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            priority: JobPriority::Normal,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedup_key: None,
        }
    }

    pub fn priority(mut self, priority: JobPriority) -> Self {
        self.priority = priority;
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = std::cmp::max(n, 1);
        self
    }

    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Created(i64),
    /// A job with the same dedup key exists; nothing was added.
    Duplicate,
}

/// A job as the runner and the admin pages see it: its row, with status and priority typed (string- and rank-backed enums); the payload stays the JSON text it was stored as.
pub use crate::entity::jobs::Model as Job;

impl jobs::Model {
    /// The payload as JSON. A stored payload that is not JSON fails this job only, not the claim.
    pub fn payload_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// Adds a job. Pass the caller's transaction so the job exists iff the business change commits.
pub async fn enqueue(conn: &impl ConnectionTrait, job: NewJob, now: DateTime<Utc>) -> Result<Enqueued, DbError> {
    let model = jobs::ActiveModel {
        kind: Set(job.kind),
        payload: Set(job.payload.to_string()),
        priority: Set(job.priority),
        status: Set(JobStatus::Queued),
        run_at: Set(job.run_at.unwrap_or(now)),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        dedup_key: Set(job.dedup_key),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    match Entity::insert(model).on_conflict_do_nothing_on([Column::DedupKey]).exec(conn).await? {
        TryInsertResult::Inserted(res) => Ok(Enqueued::Created(res.last_insert_id)),
        TryInsertResult::Conflicted | TryInsertResult::Empty => Ok(Enqueued::Duplicate),
    }
}

/// Claims up to `limit` due jobs for `worker`, locking each for `lock_for`. Due means queued with
/// `run_at <= now`, or running with an expired lock (its runner died). Strict priority order, then
/// oldest due first.
pub async fn claim(
    conn: &impl ConnectionTrait,
    worker: &str,
    limit: u64,
    lock_for: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Job>, DbError> {
    bury_exhausted(conn, now).await?;
    let stmt = claim_statement(conn.get_database_backend(), worker, limit, lock_for, now);
    let mut claimed = jobs::Model::find_by_statement(stmt).all(conn).await?;
    claimed.sort_by_key(|j| (j.priority, j.run_at, j.id));
    Ok(claimed)
}

/// The claim statement for `backend`: on PostgreSQL the inner select locks with
/// `FOR UPDATE SKIP LOCKED`, so concurrent runners pass over each other's rows.
pub fn claim_statement(
    backend: sea_orm::DatabaseBackend,
    worker: &str,
    limit: u64,
    lock_for: Duration,
    now: DateTime<Utc>,
) -> sea_orm::Statement {
    let due = Condition::any()
        .add(Column::Status.eq(JobStatus::Queued.as_str()).and(Column::RunAt.lte(now)))
        .add(Column::Status.eq(JobStatus::Running.as_str()).and(Column::LockedUntil.lt(now)));
    let pick = Query::select()
        .column(Column::Id)
        .from(Entity)
        .cond_where(due)
        .order_by(Column::Priority, sea_orm::Order::Asc)
        .order_by(Column::RunAt, sea_orm::Order::Asc)
        .order_by(Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let update = Query::update()
        .table(Entity)
        .value(Column::Status, JobStatus::Running.as_str())
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .value(Column::LockedUntil, now + lock_for)
        .value(Column::LockedBy, worker)
        .value(Column::UpdatedAt, now)
        .and_where(Column::Id.in_subquery(pick))
        .returning_all()
        .to_owned();
    StatementBuilder::build(&update, &backend)
}

/// A running job whose lock expired after its last allowed attempt is not run again: it is dead.
async fn bury_exhausted(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(JobStatus::Dead.as_str()))
        .col_expr(Column::LastError, Expr::value("runner stopped during the final attempt (lock expired)"))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Status.eq(JobStatus::Running.as_str()))
        .filter(Column::LockedUntil.lt(now))
        .filter(Column::Attempts.into_expr().gte(Column::MaxAttempts.into_expr()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Marks a claimed job done. `false` when `worker` no longer holds it (its lock expired and another
/// runner took it over).
pub async fn complete(conn: &impl ConnectionTrait, id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(JobStatus::Done.as_str()))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(JobStatus::Running.as_str()))
        .filter(Column::LockedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Queued again, due at this time.
    Retry(DateTime<Utc>),
    /// No attempts left: dead-lettered with the error.
    Dead,
    /// `worker` no longer held the job; nothing changed.
    NotHeld,
}

/// Records a failed attempt of a claimed job: back to `queued` after `delay(attempts)`, or `dead`
/// when the attempts are used up.
pub async fn fail(
    conn: &impl ConnectionTrait,
    job: &Job,
    worker: &str,
    error: &str,
    now: DateTime<Utc>,
    delay: impl Fn(u32) -> Duration,
) -> Result<Failure, DbError> {
    let error: String = error.chars().take(2000).collect();
    let (status, run_at, outcome) = if job.attempts >= job.max_attempts {
        (JobStatus::Dead, job.run_at, Failure::Dead)
    } else {
        let at = now + delay(u32::try_from(job.attempts).unwrap_or(u32::MAX));
        (JobStatus::Queued, at, Failure::Retry(at))
    };
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::RunAt, Expr::value(run_at))
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(job.id))
        .filter(Column::Status.eq(JobStatus::Running.as_str()))
        .filter(Column::LockedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(if res.rows_affected == 1 { outcome } else { Failure::NotHeld })
}

/// Puts a claimed job back to wait until `run_at` without counting the attempt (a rate limit said
/// "not yet"). `false` when `worker` no longer holds it.
pub async fn defer(
    conn: &impl ConnectionTrait,
    job: &Job,
    worker: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(JobStatus::Queued.as_str()))
        .col_expr(Column::RunAt, Expr::value(run_at))
        .col_expr(Column::Attempts, Expr::value(job.attempts.saturating_sub(1)))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(job.id))
        .filter(Column::Status.eq(JobStatus::Running.as_str()))
        .filter(Column::LockedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Puts a dead job back in the queue, due now, with a fresh set of attempts. `false` if the job
/// does not exist or is not dead.
pub async fn requeue_dead(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(JobStatus::Queued.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::RunAt, Expr::value(now))
        .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(JobStatus::Dead.as_str()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Job>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Number of jobs in each state, in life-cycle order (queued, running, done, dead), zeros included.
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(&'static str, u64)>, DbError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "n")
        .group_by(Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(JobStatus::ALL
        .iter()
        .map(|s| {
            let n = rows.iter().find(|(name, _)| name == s.as_str()).map_or(0, |(_, n)| *n);
            (s.as_str(), u64::try_from(n).unwrap_or(0))
        })
        .collect())
}

/// The number of jobs in `status`.
/// Jobs of `kind` that are queued and due, or running, at `now`.
pub async fn count_pending(conn: &impl ConnectionTrait, kind: &str, now: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(Entity::find()
        .filter(Column::Kind.eq(kind))
        .filter(Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]))
        .filter(Column::RunAt.lte(now))
        .count(conn)
        .await?)
}

pub async fn count(conn: &impl ConnectionTrait, status: JobStatus) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::Status.eq(status.as_str())).count(conn).await?)
}

/// One page of jobs in `status`, most recently changed first, and the total in that state.
pub async fn list(
    conn: &impl ConnectionTrait,
    status: JobStatus,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Job>, u64), DbError> {
    let query = Entity::find().filter(Column::Status.eq(status.as_str()));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(Column::UpdatedAt)
        .order_by_desc(Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    let jobs = rows;
    Ok((jobs, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DatabaseBackend;

    #[test]
    fn postgres_claims_skip_locked_rows_and_sqlite_needs_no_lock_clause() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let pg = claim_statement(DatabaseBackend::Postgres, "w", 10, Duration::minutes(5), now).to_string();
        assert!(pg.contains("FOR UPDATE SKIP LOCKED"), "{pg}");
        assert!(pg.starts_with("UPDATE \"jobs\"") && pg.contains("RETURNING"), "{pg}");
        let lite = claim_statement(DatabaseBackend::Sqlite, "w", 10, Duration::minutes(5), now).to_string();
        assert!(!lite.contains("FOR UPDATE") && lite.contains("RETURNING"), "{lite}");
        assert!(lite.contains("ORDER BY \"priority\" ASC, \"run_at\" ASC"), "{lite}");
    }
}

/// Due work per kind and priority: jobs queued and due or running, and the oldest due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStat {
    pub kind: String,
    pub priority: i16,
    pub waiting: i64,
    pub oldest_due: Option<DateTime<Utc>>,
}

pub async fn queue_stats(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<QueueStat>, DbError> {
    let rows: Vec<(String, i16, i64, Option<DateTime<Utc>>)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column(Column::Priority)
        .column_as(Expr::col(Column::Id).count(), "n")
        .column_as(Expr::col(Column::RunAt).min(), "oldest")
        .filter(Column::Status.is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]))
        .filter(Column::RunAt.lte(now))
        .group_by(Column::Kind)
        .group_by(Column::Priority)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, priority, waiting, oldest_due)| QueueStat { kind, priority, waiting, oldest_due })
        .collect())
}

/// Dead jobs per kind.
pub async fn dead_by_kind(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::Status.eq(JobStatus::Dead.as_str()))
        .group_by(Column::Kind)
        .order_by_asc(Column::Kind)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Jobs that went dead since `since`, with the kinds involved.
pub async fn dead_since(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::Status.eq(JobStatus::Dead.as_str()))
        .filter(Column::UpdatedAt.gte(since))
        .group_by(Column::Kind)
        .order_by_asc(Column::Kind)
        .into_tuple()
        .all(conn)
        .await?)
}
