//! Cron schedules stored in the database; the scheduler lease holder turns due ones into jobs.
//!
//! Firing is idempotent: the job's dedup key names the schedule and the occurrence, and the
//! schedule row moves forward only from the occurrence it was read at, so two instances that both
//! believe they hold the lease still enqueue each occurrence once.

use crate::DbError;
use crate::entity::schedules::{self, Column, Entity};
use crate::jobs::{self, NewJob};
use aglis_core::schedule::Schedule;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
    TryInsertResult,
};

/// A schedule the application defines (e.g. the hourly session purge).
#[derive(Debug, Clone)]
pub struct ScheduleDef {
    pub name: &'static str,
    pub cron: &'static str,
    pub timezone: &'static str,
    pub job_kind: &'static str,
}

/// Inserts `def` unless a schedule of that name exists (an admin may have edited it: keep theirs).
pub async fn ensure(conn: &impl ConnectionTrait, def: &ScheduleDef, now: DateTime<Utc>) -> Result<bool, DbError> {
    let schedule = Schedule::parse(def.cron, def.timezone).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let next = schedule.next_after(now).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let model = schedules::ActiveModel {
        name: Set(def.name.to_owned()),
        cron: Set(def.cron.to_owned()),
        timezone: Set(def.timezone.to_owned()),
        job_kind: Set(def.job_kind.to_owned()),
        payload: Set("{}".to_owned()),
        enabled: Set(true),
        next_run_at: Set(next),
        last_run_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let res = Entity::insert(model).on_conflict_do_nothing_on([Column::Name]).exec(conn).await?;
    Ok(matches!(res, TryInsertResult::Inserted(_)))
}

pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<schedules::Model>, DbError> {
    Ok(Entity::find().order_by_asc(Column::Name).all(conn).await?)
}

/// Enqueues one job for every enabled schedule that is due at `now` and moves each schedule to its
/// next occurrence. Returns how many jobs were enqueued.
pub async fn fire_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbError> {
    let due = Entity::find()
        .filter(Column::Enabled.eq(true))
        .filter(Column::NextRunAt.lte(now))
        .order_by_asc(Column::NextRunAt)
        .all(db)
        .await?;
    let mut fired = 0;
    for s in due {
        let next = match Schedule::parse(&s.cron, &s.timezone).and_then(|p| p.next_after(now)) {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(schedule = %s.name, error = %e, "schedule cannot fire; disable or fix it");
                continue;
            }
        };
        let occurrence = s.next_run_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let payload = serde_json::from_str(&s.payload).unwrap_or_else(|_| serde_json::json!({}));
        let txn = db.begin().await?;
        let moved = Entity::update_many()
            .col_expr(Column::NextRunAt, Expr::value(next))
            .col_expr(Column::LastRunAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(s.id))
            .filter(Column::NextRunAt.eq(s.next_run_at))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 1 {
            let job = NewJob::new(s.job_kind.clone(), payload).dedup_key(format!("schedule:{}:{occurrence}", s.name));
            if let jobs::Enqueued::Created(_) = jobs::enqueue(&txn, job, now).await? {
                fired += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(fired)
}

/// A change to a schedule's timing; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ScheduleChanges {
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
}

/// Why a schedule edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleEditError {
    #[error("no such schedule")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] aglis_core::schedule::ScheduleError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Changes a schedule's pattern, zone or enabled flag; the next run is recomputed from `now`.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    changes: ScheduleChanges,
    now: DateTime<Utc>,
) -> Result<schedules::Model, ScheduleEditError> {
    use sea_orm::ActiveModelTrait;
    let current = Entity::find_by_id(id).one(conn).await.map_err(DbError::from)?.ok_or(ScheduleEditError::NotFound)?;
    let cron = changes.cron.map(|c| c.trim().to_owned()).unwrap_or_else(|| current.cron.clone());
    let timezone = changes.timezone.map(|t| t.trim().to_owned()).unwrap_or_else(|| current.timezone.clone());
    let next = Schedule::parse(&cron, &timezone)?.next_after(now)?;
    let mut am: schedules::ActiveModel = current.into();
    am.cron = Set(cron);
    am.timezone = Set(timezone);
    if let Some(enabled) = changes.enabled {
        am.enabled = Set(enabled);
    }
    am.next_run_at = Set(next);
    am.updated_at = Set(now);
    Ok(am.update(conn).await.map_err(DbError::from)?)
}
