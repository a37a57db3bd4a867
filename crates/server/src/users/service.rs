//! The user-administration use cases. Input is checked into typed commands first; the rules
//! (who may change roles, never lock out the last admin) live here; the handlers stay thin.
//! Creation, role and status changes and password resets are written to the audit log.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::password;
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::permission::{Role, may_change_role_or_active};
use aglis_core::phone::Phone;
use aglis_core::user::{Username, check_new_password, parse_email, parse_full_name};
use aglis_db::repo::sessions;
use aglis_db::repo::users::{self, NewUser, User, UserChanges};
use aglis_db::{DbError, TransactionTrait};
use serde_json::json;

fn push(errors: &mut FieldErrors, field: &str, msg: impl ToString) {
    errors.entry(field.to_owned()).or_default().push(msg.to_string());
}

/// Empty text means "none".
fn optional(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A checked request to create an account.
#[derive(Debug)]
pub struct CreateUser {
    pub username: Username,
    pub password: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<Phone>,
    pub role: Role,
}

impl CreateUser {
    pub fn parse(
        username: &str,
        password: &str,
        full_name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        role: Role,
    ) -> Result<Self, AppError> {
        let mut errors = FieldErrors::new();
        let username = Username::parse(username).map_err(|e| push(&mut errors, "username", e)).ok();
        if let Err(e) = check_new_password(password) {
            push(&mut errors, "password", e);
        }
        let full_name = parse_full_name(full_name).map_err(|e| push(&mut errors, "full_name", e)).ok();
        let email =
            optional(email).map(parse_email).transpose().map_err(|e| push(&mut errors, "email", e)).ok().flatten();
        let phone =
            optional(phone).map(Phone::parse).transpose().map_err(|e| push(&mut errors, "phone", e)).ok().flatten();
        match (username, full_name) {
            (Some(username), Some(full_name)) if errors.is_empty() => {
                Ok(CreateUser { username, password: password.to_owned(), full_name, email, phone, role })
            }
            _ => Err(AppError::fields(errors)),
        }
    }
}

/// A checked edit. `None` leaves a field unchanged; `Some(None)` clears an optional one.
#[derive(Debug, Default)]
pub struct EditUser {
    pub full_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<Phone>>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

impl EditUser {
    pub fn parse(
        full_name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        role: Option<Role>,
        is_active: Option<bool>,
    ) -> Result<Self, AppError> {
        let mut errors = FieldErrors::new();
        let full_name =
            full_name.map(parse_full_name).transpose().map_err(|e| push(&mut errors, "full_name", e)).ok().flatten();
        let email = email
            .map(|e| optional(Some(e)).map(parse_email).transpose())
            .transpose()
            .map_err(|e| push(&mut errors, "email", e))
            .ok()
            .flatten();
        let phone = phone
            .map(|p| optional(Some(p)).map(Phone::parse).transpose())
            .transpose()
            .map_err(|e| push(&mut errors, "phone", e))
            .ok()
            .flatten();
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        Ok(EditUser { full_name, email, phone, role, is_active })
    }
}

fn unique_to_field(e: DbError) -> AppError {
    if e.is_unique_on("username") {
        AppError::taken("username", "this username is already taken")
    } else if e.is_unique_on("email") {
        AppError::taken("email", "another account already uses this e-mail address")
    } else {
        AppError::from(e)
    }
}

/// The account to insert, its password hashed (slow: do it before opening a transaction).
pub async fn prepare(cmd: CreateUser) -> AppResult<NewUser> {
    let hash = password::hash_async(cmd.password).await?;
    Ok(NewUser {
        username: cmd.username.into_inner(),
        email: cmd.email,
        full_name: cmd.full_name,
        phone: cmd.phone.map(|p| p.as_str().to_owned()),
        role: cmd.role,
        password_hash: hash,
    })
}

/// Inserts a prepared account on `conn` (a taken username or e-mail is a 409 naming the field).
pub async fn insert(
    conn: &impl sea_orm::ConnectionTrait,
    new: NewUser,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<User> {
    users::create(conn, new, now).await.map_err(unique_to_field)
}

/// Creates an account outside a request (the `aglis user create-admin` command).
pub async fn create(state: &AppState, cmd: CreateUser) -> AppResult<User> {
    create_by(state, None, &RequestMeta::default(), cmd).await
}

/// Creates an account on behalf of `actor` (`None`: the command line).
pub async fn create_by(state: &AppState, actor: Option<&User>, meta: &RequestMeta, cmd: CreateUser) -> AppResult<User> {
    let new = prepare(cmd).await?;
    let user = insert(&state.db, new, state.now()).await?;
    let mut entry = Entry::new(AuditEvent::UserCreated, AuditResult::Success)
        .resource(format!("user:{}", user.id))
        .details(json!({ "username": user.username, "role": user.role.as_str() }));
    if let Some(a) = actor {
        entry = entry.actor(a.id, &a.username).meta(meta);
    }
    audit::record(state, entry).await?;
    tracing::info!(user = %user.username, role = %user.role, "user created");
    Ok(user)
}

pub async fn get(state: &AppState, id: i64) -> AppResult<User> {
    users::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("user"))
}

/// Applies an edit by `actor`. Only an admin changes roles and active flags; nobody removes the
/// last active admin; deactivation signs the user out everywhere.
pub async fn edit(
    state: &AppState,
    actor: &Authenticated,
    meta: &RequestMeta,
    id: i64,
    cmd: EditUser,
) -> AppResult<User> {
    let target = get(state, id).await?;
    let changes_role = cmd.role.is_some_and(|r| r != target.role);
    let changes_active = cmd.is_active.is_some_and(|a| a != target.is_active);
    if (changes_role || changes_active) && !may_change_role_or_active(actor.user.role) {
        return Err(AppError::Forbidden("only an admin may change a role or (de)activate an account".into()));
    }
    let loses_admin = target.role == Role::Admin
        && target.is_active
        && (cmd.role.is_some_and(|r| r != Role::Admin) || cmd.is_active == Some(false));
    if loses_admin && actor.user.id == target.id {
        return Err(AppError::Conflict {
            detail: "you cannot remove your own admin access; ask another admin".into(),
            fields: FieldErrors::new(),
        });
    }
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if loses_admin && users::count_active_with_role(&txn, Role::Admin).await? <= 1 {
        return Err(AppError::Conflict {
            detail: "this is the last active admin account".into(),
            fields: FieldErrors::new(),
        });
    }
    let changes = UserChanges {
        full_name: cmd.full_name,
        email: cmd.email,
        phone: cmd.phone.map(|p| p.map(|p| p.as_str().to_owned())),
        role: cmd.role,
        is_active: cmd.is_active,
    };
    let user = users::update(&txn, id, changes, state.now())
        .await
        .map_err(unique_to_field)?
        .ok_or_else(|| AppError::not_found("user"))?;
    if cmd.is_active == Some(false) {
        sessions::delete_for_user(&txn, id).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    let entry = |event| {
        Entry::new(event, AuditResult::Success)
            .actor(actor.user.id, &actor.user.username)
            .meta(meta)
            .resource(format!("user:{id}"))
    };
    if changes_role {
        let details = json!({ "username": user.username, "from": target.role.as_str(), "to": user.role.as_str() });
        audit::record(state, entry(AuditEvent::RoleChanged).details(details)).await?;
    }
    if changes_active {
        let event = if user.is_active { AuditEvent::UserReactivated } else { AuditEvent::UserDeactivated };
        audit::record(state, entry(event).details(json!({ "username": user.username }))).await?;
    }
    tracing::info!(actor = %actor.user.username, user = %user.username, "user edited");
    Ok(user)
}

/// Sets a new password chosen by an admin and signs the user out everywhere.
pub async fn reset_password(
    state: &AppState,
    actor: &Authenticated,
    meta: &RequestMeta,
    id: i64,
    new_password: &str,
) -> AppResult<()> {
    check_new_password(new_password).map_err(|e| AppError::field("password", e.to_string()))?;
    let user = get(state, id).await?;
    let hash = password::hash_async(new_password.to_owned()).await?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    users::set_password(&txn, id, &hash, state.now()).await?;
    let ended = sessions::delete_for_user(&txn, id).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::PasswordReset, AuditResult::Success)
            .actor(actor.user.id, &actor.user.username)
            .meta(meta)
            .resource(format!("user:{id}"))
            .details(json!({ "username": user.username, "sessions_ended": ended })),
    )
    .await?;
    tracing::info!(actor = %actor.user.username, user = %user.username, "password reset");
    Ok(())
}
