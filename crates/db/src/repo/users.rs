//! Accounts: staff users and customer logins.

use crate::DbError;
use crate::entity::users::{self, Column, Entity};
use aglis_core::lockout;
use aglis_core::permission::Role;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// An account without its password hash and second-factor secret: the one type of the data layer
/// that is not its row, so that those never reach a handler, a template or a log line.
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
    /// When the user confirmed their authenticator; `None` = no second factor.
    pub totp_enabled_at: Option<DateTime<Utc>>,
    pub last_failed_at: Option<DateTime<Utc>>,
    /// Locked until an admin unlocks it (the last lockout step).
    pub locked_forever: bool,
}

impl User {
    /// Whether sign-ins need a second factor.
    pub fn two_factor_enabled(&self) -> bool {
        self.totp_enabled_at.is_some()
    }

    /// The lockout counters as the lockout rules read them.
    pub fn lockout_state(&self) -> lockout::State {
        lockout::State {
            failures: u32::try_from(self.failed_logins).unwrap_or(0),
            last_failed_at: self.last_failed_at,
            locked_until: self.locked_until,
            locked_forever: self.locked_forever,
        }
    }
}

impl From<users::Model> for User {
    fn from(m: users::Model) -> Self {
        User {
            role: m.role,
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
            totp_enabled_at: m.totp_enabled_at,
            last_failed_at: m.last_failed_at,
            locked_forever: m.locked_forever,
        }
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
        role: Set(new.role),
        is_active: Set(true),
        password_hash: Set(new.password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        last_failed_at: Set(None),
        locked_forever: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(User::from(model))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?.map(User::from))
}

/// The usernames of the accounts `ids`, in one query (ids without an account are left out).
pub async fn usernames(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::BTreeMap<i64, String>, DbError> {
    text_by_id(conn, ids, Column::Username).await
}

/// The full names of the accounts `ids`, in one query (ids without an account are left out).
pub async fn full_names(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::BTreeMap<i64, String>, DbError> {
    text_by_id(conn, ids, Column::FullName).await
}

/// One text column of the accounts `ids`, by id.
async fn text_by_id(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    column: Column,
) -> Result<std::collections::BTreeMap<i64, String>, DbError> {
    if ids.is_empty() {
        return Ok(std::collections::BTreeMap::new());
    }
    let rows: Vec<(i64, String)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(column)
        .filter(Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The account and its password hash, for checking a login.
pub async fn find_credentials(conn: &impl ConnectionTrait, username: &str) -> Result<Option<(User, String)>, DbError> {
    let Some(model) = Entity::find().filter(Column::Username.eq(username)).one(conn).await? else {
        return Ok(None);
    };
    let hash = model.password_hash.clone();
    Ok(Some((User::from(model), hash)))
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
    Ok((rows.into_iter().map(User::from).collect(), total))
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
        am.role = Set(v);
    }
    if let Some(v) = changes.is_active {
        am.is_active = Set(v);
        if v {
            am.failed_logins = Set(0);
            am.locked_until = Set(None);
            am.last_failed_at = Set(None);
            am.locked_forever = Set(false);
        }
    }
    am.updated_at = Set(now);
    Ok(Some(User::from(am.update(conn).await?)))
}

/// Replaces the password hash and clears any lockout. `false` when the user does not exist.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = with_lockout(Entity::update_many(), &lockout::cleared())
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// A successful sign-in: the failure count starts again.
pub async fn record_login_success(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    with_lockout(Entity::update_many(), &lockout::cleared())
        .col_expr(Column::LastLoginAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The account, its row locked until the end of the transaction `conn` (PostgreSQL
/// `FOR UPDATE`; SQLite's single writer serialises write transactions anyway), so two failed
/// sign-ins at once count twice.
pub async fn get_for_update(conn: &impl ConnectionTrait, id: i64) -> Result<Option<User>, DbError> {
    Ok(Entity::find_by_id(id).lock_exclusive().one(conn).await?.map(User::from))
}

/// Stores the lockout counters.
pub async fn set_lockout(conn: &impl ConnectionTrait, id: i64, state: &lockout::State) -> Result<bool, DbError> {
    let res = with_lockout(Entity::update_many(), state).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(res.rows_affected == 1)
}

/// An admin's unlock: no lock, no failures counted. `false` when the user does not exist.
pub async fn unlock(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = with_lockout(Entity::update_many(), &lockout::cleared())
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

fn with_lockout(update: sea_orm::UpdateMany<Entity>, state: &lockout::State) -> sea_orm::UpdateMany<Entity> {
    update
        .col_expr(Column::FailedLogins, Expr::value(i32::try_from(state.failures).unwrap_or(i32::MAX)))
        .col_expr(Column::LastFailedAt, Expr::value(state.last_failed_at))
        .col_expr(Column::LockedUntil, Expr::value(state.locked_until))
        .col_expr(Column::LockedForever, Expr::value(state.locked_forever))
}

/// Active admins, to tell about a locked account.
pub async fn active_admins(conn: &impl ConnectionTrait) -> Result<Vec<User>, DbError> {
    Ok(Entity::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::IsActive.eq(true))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
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

/// How many accounts exist, active or not.
pub async fn count_all(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    Ok(Entity::find().count(conn).await?)
}
