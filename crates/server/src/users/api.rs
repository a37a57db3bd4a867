//! `/api/v1/users`: the JSON face of user administration (with unlocking an account and
//! resetting another user's two-factor).

use crate::audit::RequestMeta;
use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::auth::two_factor;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use crate::users::service::{self, CreateUser, EditUser};
use aglis_core::permission::{Permission, Role};
use aglis_db::repo::users::{self, User, UserQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(deactivate))
        .routes(routes!(reset_password))
        .routes(routes!(unlock))
        .routes(routes!(reset_two_factor))
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    /// Normalised Indonesian number, `628…`.
    pub phone: Option<String>,
    #[schema(inline, example = "technician")]
    pub role: Role,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sign-ins need an authenticator code (or a recovery code).
    pub two_factor_enabled: bool,
    /// Failed sign-ins in a row (forgotten after 24 hours without one).
    pub failed_logins: i32,
    /// Locked for a while after repeated failures, until this time.
    pub locked_until: Option<DateTime<Utc>>,
    /// Locked until an admin unlocks it (`POST /api/v1/users/{id}/unlock`).
    pub locked_permanently: bool,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id,
            username: u.username.clone(),
            full_name: u.full_name.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            role: u.role,
            is_active: u.is_active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
            two_factor_enabled: u.two_factor_enabled(),
            failed_logins: u.failed_logins,
            locked_until: u.locked_until,
            locked_permanently: u.locked_forever,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Search in username, full name and e-mail.
    pub q: Option<String>,
    /// One of admin, supervisor, manager, noc, customer_service, technician, customer.
    #[param(inline)]
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Lists accounts, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    params(ListParams, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<UserOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::UsersView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<UserOut>>> {
    let query = UserQuery { q: p.q, role: p.role, active: p.active, page: paging.page, per_page: paging.per_page };
    let (items, total) = users::list(&state.db, &query).await?;
    Ok(Json(Page::new(items.iter().map(UserOut::from).collect(), total, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(schema_with = crate::schemas::username)]
    pub username: String,
    /// At least 8 characters.
    #[schema(schema_with = crate::schemas::new_password)]
    pub password: String,
    #[schema(schema_with = crate::schemas::full_name)]
    pub full_name: String,
    #[schema(schema_with = crate::schemas::email)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub email: Option<String>,
    #[schema(schema_with = crate::schemas::phone)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub phone: Option<String>,
    #[schema(inline, example = "technician")]
    pub role: Role,
}

/// Creates an account (admin only).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = UserOut),
        (status = 409, description = "Username or e-mail taken", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    staff: Staff<perm::UsersCreate>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> AppResult<(StatusCode, Json<UserOut>)> {
    let cmd = CreateUser::parse(
        &req.username,
        &req.password,
        &req.full_name,
        req.email.as_deref(),
        req.phone.as_deref(),
        req.role,
    )?;
    let user = service::create_by(&state, Some(&staff.auth().user), &meta, cmd).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&user))))
}

/// Admins and supervisors see everyone; anyone sees themselves.
fn may_view(actor: &User, id: i64) -> bool {
    actor.id == id || actor.role.can(Permission::UsersView)
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserOut),
    )
)]
async fn show(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
) -> AppResult<Json<UserOut>> {
    if !may_view(&auth.user, id) {
        return Err(AppError::Forbidden("you may only view your own account".into()));
    }
    Ok(Json(UserOut::from(&service::get(&state, id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(schema_with = crate::schemas::full_name)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub full_name: Option<String>,
    /// An empty string removes the address.
    #[schema(schema_with = crate::schemas::email_or_empty)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub email: Option<String>,
    /// An empty string removes the number.
    #[schema(schema_with = crate::schemas::phone_or_empty)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub phone: Option<String>,
    /// Admin only.
    #[schema(inline, example = "supervisor")]
    pub role: Option<Role>,
    /// Admin only. `false` deactivates the account and signs it out everywhere.
    pub is_active: Option<bool>,
}

/// Edits an account: admins and supervisors edit anyone, others only their own name, e-mail and phone.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserOut),
        (status = 409, description = "E-mail taken, or the last admin would be lost", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> AppResult<Json<UserOut>> {
    if auth.user.id != id && !auth.user.role.can(Permission::UsersEdit) {
        return Err(AppError::Forbidden("you may only edit your own account".into()));
    }
    let cmd =
        EditUser::parse(req.full_name.as_deref(), req.email.as_deref(), req.phone.as_deref(), req.role, req.is_active)?;
    Ok(Json(UserOut::from(&service::edit(&state, &auth, &meta, id, cmd).await?)))
}

/// Deactivates an account and signs it out everywhere (admin only).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/deactivate",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserOut),
        (status = 409, description = "The last admin cannot be deactivated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    staff: Staff<perm::UsersEdit>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Json<UserOut>> {
    let cmd = EditUser { is_active: Some(false), ..EditUser::default() };
    Ok(Json(UserOut::from(&service::edit(&state, staff.auth(), &meta, id, cmd).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The new password, at least 8 characters.
    #[schema(schema_with = crate::schemas::new_password)]
    pub password: String,
}

/// Sets a new password and signs the user out everywhere (admin only).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/password",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = ResetPasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password changed"),
    )
)]
async fn reset_password(
    State(state): State<AppState>,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ResetPasswordRequest>,
) -> AppResult<StatusCode> {
    service::reset_password(&state, staff.auth(), &meta, id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlocks an account locked after failed sign-ins and forgets its failures (admin only).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/unlock",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Unlocked", body = UserOut),
    )
)]
async fn unlock(
    State(state): State<AppState>,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Json<UserOut>> {
    Ok(Json(UserOut::from(&crate::auth::lockout::unlock(&state, &staff.auth().user, id, &meta).await?)))
}

/// Clears another user's two-factor (a lost phone) and signs them out everywhere; they enrol
/// again at their next sign-in if their role requires it (admin only).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/2fa/reset",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Two-factor cleared", body = UserOut),
        (status = 409, description = "One's own account: use /account/security", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reset_two_factor(
    State(state): State<AppState>,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Json<UserOut>> {
    Ok(Json(UserOut::from(&two_factor::reset_by_admin(&state, &staff.auth().user, id, &meta).await?)))
}
