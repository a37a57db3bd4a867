//! `/admin/users`: the user administration pages.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::users::service::{self, CreateUser, EditUser};
use aglis_core::permission::{Permission, Role, may_change_role_or_active};
use aglis_db::repo::users::{self, User, UserQuery};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .route("/admin/users/{id}", get(edit_form).post(edit))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/unlock", post(unlock))
        .route("/admin/users/{id}/2fa/reset", get(reset_two_factor_form).post(reset_two_factor))
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    shell: Shell,
    users: Vec<User>,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    role: String,
    status: String,
    roles: &'static [Role],
    can_create: bool,
    /// The query string without `page`, for the pager links.
    base_query: String,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let q = f.q.unwrap_or_default();
    let role_text = f.role.unwrap_or_default();
    let status = f.status.unwrap_or_default();
    let query = UserQuery {
        q: Some(q.clone()),
        role: role_text.parse().ok(),
        active: match status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
        page: paging.page,
        per_page: paging.per_page,
    };
    let (users, total) = users::list(&state.db, &query).await?;
    let base_query =
        serde_urlencoded::to_string([("q", &q), ("role", &role_text), ("status", &status)]).unwrap_or_default();
    render(&ListPage {
        shell,
        users,
        total,
        page: paging.page,
        pages: paging.pages(total),
        q,
        role: role_text,
        status,
        roles: Role::ALL,
        can_create: staff.auth().user.role.can(Permission::UsersCreate),
        base_query,
    })
}

/// The values of the user form, as typed.
#[derive(Debug, Deserialize, Default, Clone)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    shell: Shell,
    form: UserForm,
    errors: FieldErrors,
    roles: &'static [Role],
}

impl NewPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn new_form(shell: Shell, _staff: Staff<perm::UsersCreate>) -> AppResult<Response> {
    let form = UserForm { role: "technician".into(), ..UserForm::default() };
    render(&NewPage { shell, form, errors: FieldErrors::new(), roles: Role::ALL })
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersCreate>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<UserForm>,
) -> AppResult<Response> {
    let result = match form.role.parse::<Role>() {
        Ok(role) => match CreateUser::parse(
            &form.username,
            &form.password,
            &form.full_name,
            Some(&form.email),
            Some(&form.phone),
            role,
        ) {
            Ok(cmd) => service::create_by(&state, Some(&staff.auth().user), &meta, cmd).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(AppError::field("role", e.to_string())),
    };
    match result {
        Ok(user) => Ok(Redirect::to(&format!("/admin/users/{}?saved=1", user.id)).into_response()),
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            let page =
                NewPage { shell, form: UserForm { password: String::new(), ..form }, errors: fields, roles: Role::ALL };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, Default)]
struct Flash {
    saved: Option<String>,
    password: Option<String>,
    unlocked: Option<String>,
    two_factor_reset: Option<String>,
}

#[derive(Template)]
#[template(path = "users/edit.html")]
struct EditPage {
    shell: Shell,
    user: User,
    form: UserForm,
    errors: FieldErrors,
    roles: &'static [Role],
    message: Option<&'static str>,
    can_admin: bool,
    is_self: bool,
    /// Why the account cannot sign in now, if it is locked.
    locked: Option<String>,
}

impl EditPage {
    /// The page for `actor` looking at `user`, with the form showing `form`.
    fn new(
        shell: Shell,
        actor: &User,
        user: User,
        form: UserForm,
        errors: FieldErrors,
        message: Option<&'static str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let locked =
            match aglis_core::lockout::status(&user.lockout_state(), now) {
                aglis_core::lockout::Status::Open => None,
                aglis_core::lockout::Status::Locked { until } => Some(shell.t("users.locked_until").replace(
                    "{time}",
                    &until.with_timezone(&aglis_core::schedule::JAKARTA).format("%H:%M").to_string(),
                )),
                aglis_core::lockout::Status::LockedUntilUnlocked => Some(shell.t("users.locked_forever").to_owned()),
            };
        EditPage {
            locked,
            is_self: actor.id == user.id,
            can_admin: may_change_role_or_active(actor.role),
            user,
            shell,
            form,
            errors,
            roles: Role::ALL,
            message,
        }
    }

    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

fn form_of(user: &User) -> UserForm {
    UserForm {
        username: user.username.clone(),
        password: String::new(),
        full_name: user.full_name.clone(),
        email: user.email.clone().unwrap_or_default(),
        phone: user.phone.clone().unwrap_or_default(),
        role: user.role.as_str().to_owned(),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersView>,
    IdPath(id): IdPath,
    ApiQuery(flash): ApiQuery<Flash>,
) -> AppResult<Response> {
    let user = service::get(&state, id).await?;
    let message = if flash.saved.is_some() {
        Some(shell.t("users.saved"))
    } else if flash.password.is_some() {
        Some(shell.t("users.password_reset_done"))
    } else if flash.unlocked.is_some() {
        Some(shell.t("users.unlocked"))
    } else if flash.two_factor_reset.is_some() {
        Some(shell.t("users.2fa_reset_done"))
    } else {
        None
    };
    let actor = &staff.auth().user;
    let form = form_of(&user);
    render(&EditPage::new(shell, actor, user, form, FieldErrors::new(), message, state.now()))
}

async fn edit(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersEdit>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<UserForm>,
) -> AppResult<Response> {
    let actor = staff.auth();
    let role = if may_change_role_or_active(actor.user.role) {
        Some(form.role.parse::<Role>().map_err(|e| AppError::field("role", e.to_string())))
    } else {
        None
    };
    let result = match role.transpose() {
        Ok(role) => match EditUser::parse(Some(&form.full_name), Some(&form.email), Some(&form.phone), role, None) {
            Ok(cmd) => service::edit(&state, actor, &meta, id, cmd).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(user) => Ok(Redirect::to(&format!("/admin/users/{}?saved=1", user.id)).into_response()),
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            let user = service::get(&state, id).await?;
            let page = EditPage::new(shell, &actor.user, user, form, fields, None, state.now());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<PasswordForm>,
) -> AppResult<Response> {
    match service::reset_password(&state, staff.auth(), &meta, id, &form.password).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?password=1")).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let user = service::get(&state, id).await?;
            let form = form_of(&user);
            let page = EditPage::new(shell, &staff.auth().user, user, form, fields, None, state.now());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    active: bool,
}

async fn set_active(
    State(state): State<AppState>,
    staff: Staff<perm::UsersEdit>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<ActiveForm>,
) -> AppResult<Response> {
    let cmd = EditUser { is_active: Some(form.active), ..EditUser::default() };
    service::edit(&state, staff.auth(), &meta, id, cmd).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response())
}

async fn unlock(
    State(state): State<AppState>,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Response> {
    crate::auth::lockout::unlock(&state, &staff.auth().user, id, &meta).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?unlocked=1")).into_response())
}

#[derive(Template)]
#[template(path = "users/reset_2fa.html")]
struct ResetTwoFactorPage {
    shell: Shell,
    user: User,
}

/// The confirmation step before clearing a user's two-factor.
async fn reset_two_factor_form(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    if staff.auth().user.id == id {
        return Ok(Redirect::to("/account/security").into_response());
    }
    let user = service::get(&state, id).await?;
    render(&ResetTwoFactorPage { shell, user })
}

async fn reset_two_factor(
    State(state): State<AppState>,
    staff: Staff<perm::UsersResetPassword>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Response> {
    crate::auth::two_factor::reset_by_admin(&state, &staff.auth().user, id, &meta).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?two_factor_reset=1")).into_response())
}
