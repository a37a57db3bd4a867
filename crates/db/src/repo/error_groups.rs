//! The error inbox: occurrences of 500s, panics and dead jobs, grouped by fingerprint.

use crate::DbError;
pub use crate::entity::error_groups::Model;
use crate::entity::error_groups::{self, Column, Entity};
use aglis_core::alerting::{ErrorSource, ErrorStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

/// One occurrence to record.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub fingerprint: String,
    pub source: ErrorSource,
    pub title: String,
    pub route: String,
    pub request_id: Option<String>,
    pub user_id: Option<i64>,
    pub detail: String,
}

/// Adds the occurrence to its group (creating it): one more, last seen now, the latest context.
/// A resolved group opens again; an ignored one stays ignored.
pub async fn record(conn: &impl ConnectionTrait, o: Occurrence, now: DateTime<Utc>) -> Result<Model, DbError> {
    let title: String = o.title.chars().take(500).collect();
    let route: String = o.route.chars().take(300).collect();
    let detail: String = o.detail.chars().take(20_000).collect();
    if let Some(model) = bump(conn, &o, &detail, now).await? {
        return Ok(model);
    }
    let insert = error_groups::ActiveModel {
        fingerprint: Set(o.fingerprint.clone()),
        source: Set(o.source),
        title: Set(title),
        route: Set(route),
        status: Set(ErrorStatus::Open),
        count: Set(1),
        first_seen: Set(now),
        last_seen: Set(now),
        last_request_id: Set(o.request_id.clone()),
        last_user_id: Set(o.user_id),
        detail: Set(detail.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await;
    match insert.map_err(DbError::from) {
        Ok(model) => Ok(model),
        // Another instance created the group meanwhile.
        Err(DbError::Unique(_)) => bump(conn, &o, &detail, now)
            .await?
            .ok_or_else(|| DbError::Corrupt(format!("error group {} vanished", o.fingerprint))),
        Err(e) => Err(e),
    }
}

async fn bump(
    conn: &impl ConnectionTrait,
    o: &Occurrence,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Option<Model>, DbError> {
    let Some(group) = Entity::find().filter(Column::Fingerprint.eq(&o.fingerprint)).one(conn).await? else {
        return Ok(None);
    };
    let status = if group.status == ErrorStatus::Resolved { ErrorStatus::Open } else { group.status };
    Entity::update_many()
        .col_expr(Column::Count, Expr::col(Column::Count).add(1))
        .col_expr(Column::LastSeen, Expr::value(now))
        .col_expr(Column::LastRequestId, Expr::value(o.request_id.clone()))
        .col_expr(Column::LastUserId, Expr::value(o.user_id))
        .col_expr(Column::Detail, Expr::value(detail))
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .filter(Column::Id.eq(group.id))
        .exec(conn)
        .await?;
    get(conn, group.id).await
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// One page, most recently seen first; `q` matches the title or the route.
pub async fn list(
    conn: &impl ConnectionTrait,
    status: Option<ErrorStatus>,
    q: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Model>, u64), DbError> {
    let mut query = Entity::find();
    if let Some(s) = status {
        query = query.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any().add(super::contains_ci(Column::Title, q)).add(super::contains_ci(Column::Route, q)),
        );
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(Column::LastSeen)
        .order_by_desc(Column::Id)
        .paginate(conn, Ord::max(per_page, 1))
        .fetch_page(page.saturating_sub(1))
        .await?;
    Ok((rows, total))
}

/// Resolves, ignores or reopens a group. `None` when there is no such group.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: i64,
    status: ErrorStatus,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Model>, DbError> {
    let resolved = status == ErrorStatus::Resolved;
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::ResolvedAt, Expr::value(resolved.then_some(now)))
        .col_expr(Column::ResolvedBy, Expr::value(if resolved { user } else { None }))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    get(conn, id).await
}

/// Open groups, and the occurrences of open groups seen since `since`.
pub async fn open_count(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::Status.eq(ErrorStatus::Open.as_str())).count(conn).await?)
}
