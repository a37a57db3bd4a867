//! One-time codes of the customer portal. A guess first takes one of the row's attempts (a single
//! conditional update, so two instances guessing at once cannot both use the last one), then is
//! compared; a right code is spent by another conditional update, so it signs in once.

use crate::DbError;
use crate::entity::portal_codes::{self, Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub use crate::entity::portal_codes::Model as PortalCode;

/// What the code is for.
pub const LOGIN: &str = "login";
pub const PHONE: &str = "phone";

#[derive(Debug, Clone)]
pub struct NewCode {
    pub login_key: String,
    pub customer_id: Option<i64>,
    pub purpose: &'static str,
    pub new_phone: Option<String>,
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(conn: &impl ConnectionTrait, new: NewCode, now: DateTime<Utc>) -> Result<PortalCode, DbError> {
    Ok(portal_codes::ActiveModel {
        login_key: Set(new.login_key),
        customer_id: Set(new.customer_id),
        purpose: Set(new.purpose.to_owned()),
        new_phone: Set(new.new_phone),
        code_hash: Set(new.code_hash),
        attempts: Set(0),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The newest code sent for `login_key` and `purpose` (an older one is replaced by a newer).
pub async fn latest(
    conn: &impl ConnectionTrait,
    login_key: &str,
    purpose: &str,
) -> Result<Option<PortalCode>, DbError> {
    Ok(Entity::find()
        .filter(Column::LoginKey.eq(login_key))
        .filter(Column::Purpose.eq(purpose))
        .order_by_desc(Column::Id)
        .one(conn)
        .await?)
}

/// Takes one attempt of code `id` if fewer than `max` were taken; false when none is left.
pub async fn take_attempt(conn: &impl ConnectionTrait, id: i64, max: i32) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .filter(Column::Attempts.lt(max))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Spends code `id`; false when it was already spent.
pub async fn spend(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Deletes codes created before `before` (they expired long ago).
pub async fn purge(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(Entity::delete_many().filter(Column::CreatedAt.lt(before)).exec(conn).await?.rows_affected)
}
