//! Backup sets as the database knows them: started, progressing, complete or failed, verified,
//! deleted by retention. See `m0020_backups`.

use crate::DbError;
use crate::entity::backups::{self, Column, Entity, Model};
use aglis_core::backup::{BackupStatus, RemoteStatus, Trigger, VerifyStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

pub struct NewBackup<'a> {
    pub name: &'a str,
    pub trigger: Trigger,
    pub host: &'a str,
    pub created_by: Option<i64>,
}

pub async fn start(conn: &impl ConnectionTrait, new: NewBackup<'_>, now: DateTime<Utc>) -> Result<Model, DbError> {
    Ok(backups::ActiveModel {
        name: Set(new.name.to_owned()),
        trigger: Set(new.trigger),
        status: Set(BackupStatus::Running),
        stage: Set(None),
        progress: Set(0),
        host: Set(new.host.to_owned()),
        created_by: Set(new.created_by),
        started_at: Set(now),
        remote_status: Set(RemoteStatus::None),
        verify_status: Set(VerifyStatus::Pending),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The step a running backup is at, and how far (0–100), for the admin page.
pub async fn progress(conn: &impl ConnectionTrait, id: i64, stage: &str, percent: i32) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Stage, Expr::value(stage))
        .col_expr(Column::Progress, Expr::value(percent.clamp(0, 100)))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The set is complete: its manifest (JSON) and total size.
pub async fn complete(
    conn: &impl ConnectionTrait,
    name: &str,
    manifest: &str,
    size: u64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Complete.as_str()))
        .col_expr(Column::Stage, Expr::value(Option::<String>::None))
        .col_expr(Column::Progress, Expr::value(100))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::SizeBytes, Expr::value(i64::try_from(size).unwrap_or(i64::MAX)))
        .col_expr(Column::Manifest, Expr::value(manifest))
        .col_expr(Column::Error, Expr::value(Option::<String>::None))
        .filter(Column::Name.eq(name))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn fail(conn: &impl ConnectionTrait, id: i64, error: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Failed.as_str()))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::Error, Expr::value(error))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn remote_status(conn: &impl ConnectionTrait, name: &str, status: RemoteStatus) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::RemoteStatus, Expr::value(status.as_str()))
        .filter(Column::Name.eq(name))
        .exec(conn)
        .await?;
    Ok(())
}

/// Running rows other than `except` become `interrupted`: called by whoever holds the backup
/// lease, so no other backup can be running.
pub async fn interrupt_running(
    conn: &impl ConnectionTrait,
    except: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mut q = Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Interrupted.as_str()))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::Error, Expr::value("the backup stopped before it finished (process ended)"))
        .filter(Column::Status.eq(BackupStatus::Running.as_str()));
    if let Some(name) = except {
        q = q.filter(Column::Name.ne(name));
    }
    Ok(q.exec(conn).await?.rows_affected)
}

pub async fn record_verify(
    conn: &impl ConnectionTrait,
    name: &str,
    error: Option<&str>,
    millis: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let status = if error.is_some() { VerifyStatus::Failed } else { VerifyStatus::Passed };
    Entity::update_many()
        .col_expr(Column::VerifyStatus, Expr::value(status.as_str()))
        .col_expr(Column::VerifiedAt, Expr::value(now))
        .col_expr(Column::VerifyMs, Expr::value(millis))
        .col_expr(Column::VerifyError, Expr::value(error))
        .filter(Column::Name.eq(name))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn mark_deleted(conn: &impl ConnectionTrait, name: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::DeletedAt, Expr::value(now))
        .filter(Column::Name.eq(name))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn by_name(conn: &impl ConnectionTrait, name: &str) -> Result<Option<Model>, DbError> {
    Ok(Entity::find().filter(Column::Name.eq(name)).one(conn).await?)
}

/// Sets not deleted by retention, newest first, one page; and how many there are.
pub async fn page(conn: &impl ConnectionTrait, page: u64, per_page: u64) -> Result<(Vec<Model>, u64), DbError> {
    let q = Entity::find().filter(Column::DeletedAt.is_null());
    let total = q.clone().count(conn).await?;
    let rows = q
        .order_by_desc(Column::StartedAt)
        .order_by_desc(Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Every set retention has not deleted (a few dozen at most): for retention's verification flags,
/// the command line's list and the page's space total, in one read each.
pub async fn kept(conn: &impl ConnectionTrait) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find().filter(Column::DeletedAt.is_null()).order_by_asc(Column::StartedAt).all(conn).await?)
}

/// The newest complete set (deleted or not): what "no backup in 26 h" looks at.
pub async fn latest_complete(conn: &impl ConnectionTrait) -> Result<Option<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.eq(BackupStatus::Complete.as_str()))
        .order_by_desc(Column::StartedAt)
        .one(conn)
        .await?)
}

/// The newest set that has finished, well or not (a failed one is what the alert looks at).
pub async fn newest(conn: &impl ConnectionTrait) -> Result<Option<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.ne(BackupStatus::Running.as_str()))
        .order_by_desc(Column::StartedAt)
        .one(conn)
        .await?)
}

/// The newest running set, if any (the admin page polls it for progress).
pub async fn running(conn: &impl ConnectionTrait) -> Result<Option<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.eq(BackupStatus::Running.as_str()))
        .order_by_desc(Column::StartedAt)
        .one(conn)
        .await?)
}

/// Complete sets started at or after `since`, oldest first: the size chart.
pub async fn complete_since(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.eq(BackupStatus::Complete.as_str()))
        .filter(Column::StartedAt.gte(since))
        .order_by_asc(Column::StartedAt)
        .all(conn)
        .await?)
}
