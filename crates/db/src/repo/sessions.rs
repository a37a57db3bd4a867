//! Login sessions: browser cookies (`web`) and API bearer tokens (`api`). Only a SHA-256 of each
//! token is stored, so a copy of the database does not let anyone in.

use super::users::User;
use crate::DbError;
use crate::entity::sessions::{self, Column, Entity};
use crate::entity::users;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub use aglis_core::user::SessionKind;

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The hard end of a browser session; `None` for API tokens.
    pub absolute_expires_at: Option<DateTime<Utc>>,
    /// Password given, second factor still to come.
    pub second_factor_pending: bool,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    new: NewSession,
    now: DateTime<Utc>,
) -> Result<sessions::Model, DbError> {
    Ok(sessions::ActiveModel {
        token_hash: Set(new.token_hash),
        user_id: Set(new.user_id),
        kind: Set(new.kind),
        csrf_token: Set(new.csrf_token),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(255).collect())),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.expires_at),
        absolute_expires_at: Set(new.absolute_expires_at),
        second_factor_pending: Set(new.second_factor_pending),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The unexpired session of `kind` with this token hash (idle and absolute limits), and its user.
pub async fn find_valid(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    kind: SessionKind,
    now: DateTime<Utc>,
) -> Result<Option<(sessions::Model, User)>, DbError> {
    // One statement: every signed-in request passes here.
    let Some((session, Some(user))) = Entity::find()
        .find_also_related(users::Entity)
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::ExpiresAt.gt(now))
        .filter(Condition::any().add(Column::AbsoluteExpiresAt.is_null()).add(Column::AbsoluteExpiresAt.gt(now)))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((session, User::from(user))))
}

/// Records activity and slides the expiry forward.
pub async fn touch(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::LastSeenAt, Expr::value(now))
        .col_expr(Column::ExpiresAt, Expr::value(expires_at))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn delete_by_hash(conn: &impl ConnectionTrait, token_hash: &str) -> Result<bool, DbError> {
    let res = Entity::delete_many().filter(Column::TokenHash.eq(token_hash)).exec(conn).await?;
    Ok(res.rows_affected > 0)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected > 0)
}

/// Ends every session of a user but `keep` (a password change keeps the session it came from).
pub async fn delete_others(conn: &impl ConnectionTrait, user_id: i64, keep: i64) -> Result<u64, DbError> {
    Ok(Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Id.ne(keep))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Signs a user out everywhere (deactivation, password reset).
pub async fn delete_for_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbError> {
    Ok(Entity::delete_many().filter(Column::UserId.eq(user_id)).exec(conn).await?.rows_affected)
}

/// Deletes sessions that expired before `now`. The hourly `purge_expired_sessions` job.
pub async fn purge_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(Entity::delete_many().filter(Column::ExpiresAt.lte(now)).exec(conn).await?.rows_affected)
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    use sea_orm::PaginatorTrait;
    Ok(Entity::find().count(conn).await?)
}
