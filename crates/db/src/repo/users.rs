//! Accounts: staff users and customer logins.

use crate::DbError;
use crate::entity::users::{self, Column, Entity};
use aglis_core::permission::Role;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// An account without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub is_active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<users::Model> for User {
    type Error = DbError;
    fn try_from(m: users::Model) -> Result<Self, DbError> {
        Ok(User {
            role: m.role.parse().map_err(|e| DbError::Corrupt(format!("user {}: {e}", m.id)))?,
            id: m.id,
            username: m.username,
            email: m.email,
            full_name: m.full_name,
            phone: m.phone,
            is_active: m.is_active,
            failed_logins: m.failed_logins,
            locked_until: m.locked_until,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub password_hash: String,
}

/// Creates an account. A taken username or e-mail is `DbError::Unique` naming the column.
pub async fn create(conn: &impl ConnectionTrait, new: NewUser, now: DateTime<Utc>) -> Result<User, DbError> {
    let model = users::ActiveModel {
        username: Set(new.username),
        email: Set(new.email),
        full_name: Set(new.full_name),
        phone: Set(new.phone),
        role: Set(new.role.as_str().to_owned()),
        is_active: Set(true),
        password_hash: Set(new.password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    User::try_from(model)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbError> {
    Entity::find_by_id(id).one(conn).await?.map(User::try_from).transpose()
}

/// The account and its password hash, for checking a login.
pub async fn find_credentials(conn: &impl ConnectionTrait, username: &str) -> Result<Option<(User, String)>, DbError> {
    let Some(model) = Entity::find().filter(Column::Username.eq(username)).one(conn).await? else {
        return Ok(None);
    };
    let hash = model.password_hash.clone();
    Ok(Some((User::try_from(model)?, hash)))
}

/// Filters and paging for the user list.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Matches username, full name or e-mail, case-insensitively.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub page: u64,
    pub per_page: u64,
}

pub async fn list(conn: &impl ConnectionTrait, query: &UserQuery) -> Result<(Vec<User>, u64), DbError> {
    let mut cond = Condition::all();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(super::contains_ci(Column::Username, q))
                .add(super::contains_ci(Column::FullName, q))
                .add(super::contains_ci(Column::Email, q)),
        );
    }
    if let Some(role) = query.role {
        cond = cond.add(Column::Role.eq(role.as_str()));
    }
    if let Some(active) = query.active {
        cond = cond.add(Column::IsActive.eq(active));
    }
    let select = Entity::find().filter(cond);
    let total = select.clone().count(conn).await?;
    let per_page = std::cmp::max(query.per_page, 1);
    let rows = select
        .order_by_asc(Column::Username)
        .offset(query.page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows.into_iter().map(User::try_from).collect::<Result<_, _>>()?, total))
}

/// Fields an edit may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Applies `changes`; `None` when the user does not exist.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    changes: UserChanges,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let mut am: users::ActiveModel = model.into();
    if let Some(v) = changes.full_name {
        am.full_name = Set(v);
    }
    if let Some(v) = changes.email {
        am.email = Set(v);
    }
    if let Some(v) = changes.phone {
        am.phone = Set(v);
    }
    if let Some(v) = changes.role {
        am.role = Set(v.as_str().to_owned());
    }
    if let Some(v) = changes.is_active {
        am.is_active = Set(v);
        if v {
            am.failed_logins = Set(0);
            am.locked_until = Set(None);
        }
    }
    am.updated_at = Set(now);
    Ok(Some(User::try_from(am.update(conn).await?)?))
}

/// Replaces the password hash and clears any lockout. `false` when the user does not exist.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::FailedLogins, Expr::value(0))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn record_login_success(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::value(0))
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastLoginAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Counts a failed password; the `lock_after`-th failure in a row locks the account for `lock_for`.
pub async fn record_login_failure(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    lock_after: i32,
    lock_for: Duration,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::FailedLogins, Expr::col(Column::FailedLogins).add(1))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(now + lock_for))
        .col_expr(Column::FailedLogins, Expr::value(0))
        .filter(Column::Id.eq(id))
        .filter(Column::FailedLogins.gte(lock_after))
        .exec(conn)
        .await?;
    Ok(())
}

/// Number of active accounts per role, every role present (zeros included).
pub async fn count_active_by_role(conn: &impl ConnectionTrait) -> Result<Vec<(Role, u64)>, DbError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Role)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::IsActive.eq(true))
        .group_by(Column::Role)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(Role::ALL
        .iter()
        .map(|r| {
            (*r, rows.iter().find(|(name, _)| name == r.as_str()).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)))
        })
        .collect())
}

/// Number of active accounts with `role`.
pub async fn count_active_with_role(conn: &impl ConnectionTrait, role: Role) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::Role.eq(role.as_str())).filter(Column::IsActive.eq(true)).count(conn).await?)
}
