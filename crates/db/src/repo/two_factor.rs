//! Second factors (issue 7): the sealed TOTP secret on the user row, its replay guard, and the
//! single-use recovery codes. The secret arrives sealed and leaves sealed: this layer never sees
//! it in the clear.

use crate::DbError;
use crate::entity::recovery_codes;
use crate::entity::users::{Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    Set,
};

/// A user's stored TOTP secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// Sealed (see the server's `auth::sealed`).
    pub sealed: String,
    pub enabled_at: Option<DateTime<Utc>>,
    /// The step of the last accepted code.
    pub last_step: Option<i64>,
}

/// The user's secret, confirmed or still waiting for its first code.
pub async fn secret(conn: &impl ConnectionTrait, user_id: i64) -> Result<Option<StoredSecret>, DbError> {
    type Row = (Option<String>, Option<DateTime<Utc>>, Option<i64>);
    let row: Option<Row> = Entity::find_by_id(user_id)
        .select_only()
        .column(Column::TotpSecret)
        .column(Column::TotpEnabledAt)
        .column(Column::TotpLastStep)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.and_then(|(sealed, enabled_at, last_step)| {
        sealed.map(|sealed| StoredSecret { sealed, enabled_at, last_step })
    }))
}

/// Stores a new secret waiting for confirmation. `false` when the user has a confirmed one
/// (which must be disabled first) or does not exist.
pub async fn set_pending(
    conn: &impl ConnectionTrait,
    user_id: i64,
    sealed: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::TotpSecret, Expr::value(sealed))
        .col_expr(Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(user_id))
        .filter(Column::TotpEnabledAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Confirms the pending secret with the step of its first code. `false` when there is no pending
/// secret (already enabled, or never started).
pub async fn enable(conn: &impl ConnectionTrait, user_id: i64, step: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::TotpEnabledAt, Expr::value(now))
        .col_expr(Column::TotpLastStep, Expr::value(step))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(user_id))
        .filter(Column::TotpEnabledAt.is_null())
        .filter(Column::TotpSecret.is_not_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Removes the second factor: the secret and every recovery code. `false` when the user does not
/// exist.
pub async fn disable(conn: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    recovery_codes::Entity::delete_many().filter(recovery_codes::Column::UserId.eq(user_id)).exec(conn).await?;
    let res = Entity::update_many()
        .col_expr(Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(Column::TotpEnabledAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::TotpLastStep, Expr::value(Option::<i64>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Takes `step` as used, if it is newer than the last one used: `false` means the code was
/// already used (a replay, or the same code twice at once from two places).
pub async fn use_step(conn: &impl ConnectionTrait, user_id: i64, step: i64) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::TotpLastStep, Expr::value(step))
        .filter(Column::Id.eq(user_id))
        .filter(Column::TotpEnabledAt.is_not_null())
        .filter(Condition::any().add(Column::TotpLastStep.is_null()).add(Column::TotpLastStep.lt(step)))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Replaces the user's recovery codes with these hashes (the old ones stop working).
pub async fn replace_recovery_codes(
    conn: &impl ConnectionTrait,
    user_id: i64,
    hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    recovery_codes::Entity::delete_many().filter(recovery_codes::Column::UserId.eq(user_id)).exec(conn).await?;
    for hash in hashes {
        recovery_codes::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(hash.clone()),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Uses the unused recovery code with this hash. `false` when there is none (wrong, or used).
pub async fn use_recovery_code(
    conn: &impl ConnectionTrait,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = recovery_codes::Entity::update_many()
        .col_expr(recovery_codes::Column::UsedAt, Expr::value(now))
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::CodeHash.eq(hash))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Recovery codes the user can still use.
pub async fn unused_recovery_codes(conn: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbError> {
    Ok(recovery_codes::Entity::find()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}
