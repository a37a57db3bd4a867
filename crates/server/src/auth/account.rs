//! `/account/security`: every signed-in user's own security page — two-factor enrolment (QR code,
//! the secret as text, a first code, then ten recovery codes shown once), new recovery codes,
//! turning two-factor off, changing the password, and signing out everywhere.

use crate::audit::RequestMeta;
use crate::auth::extract::CurrentUser;
use crate::auth::service;
use crate::auth::session::SESSION_COOKIE;
use crate::auth::two_factor::{self, Enrolment};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_db::repo::users::User;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/security", get(page))
        .route("/account/security/2fa/setup", post(setup))
        .route("/account/security/2fa/enable", post(enable))
        .route("/account/security/2fa/recovery-codes", post(regenerate))
        .route("/account/security/2fa/disable", post(disable))
        .route("/account/security/password", post(change_password))
        .route("/account/security/logout-all", post(logout_all))
}

/// Which form an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    None,
    Enable,
    Regenerate,
    Disable,
    /// Its errors are per field (`errors`).
    Password,
}

#[derive(Template)]
#[template(path = "account/security.html")]
struct SecurityPage {
    shell: Shell,
    username: String,
    enabled_at: Option<DateTime<Utc>>,
    unused_codes: u64,
    enrolment: Option<Enrolment>,
    /// The user may do nothing else until enrolled.
    must_enrol: bool,
    /// Two-factor cannot be turned off (the role requires it under enforcement).
    mandatory: bool,
    message: Option<&'static str>,
    error_form: Form,
    error: String,
    errors: FieldErrors,
}

impl SecurityPage {
    fn error_for(&self, form: Form) -> &str {
        if self.error_form == form { &self.error } else { "" }
    }

    fn enable_error(&self) -> &str {
        self.error_for(Form::Enable)
    }

    fn regenerate_error(&self) -> &str {
        self.error_for(Form::Regenerate)
    }

    fn disable_error(&self) -> &str {
        self.error_for(Form::Disable)
    }

    fn field_error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }

    /// What the user's role may do (the permission codes the API's 403s name).
    fn permissions(&self) -> Vec<&'static str> {
        self.shell
            .user
            .as_ref()
            .map(|u| aglis_core::permission::grants(u.role).iter().map(|p| p.as_str()).collect())
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct CodesPage {
    shell: Shell,
    codes: Vec<String>,
    /// Just enrolled (rather than new codes for an existing enrolment).
    first: bool,
}

#[derive(Debug, Deserialize, Default)]
struct Flash {
    done: Option<String>,
}

/// The page for `user` as stored now (the request's copy may predate a change).
async fn build(state: &AppState, shell: Shell, user: &User, message: Option<&'static str>) -> AppResult<SecurityPage> {
    let user = aglis_db::repo::users::get(&state.db, user.id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let enrolment = if user.two_factor_enabled() { None } else { two_factor::pending(state, &user).await? };
    let unused_codes = if user.two_factor_enabled() { two_factor::unused_codes(state, &user).await? } else { 0 };
    Ok(SecurityPage {
        username: user.username.clone(),
        enabled_at: user.totp_enabled_at,
        unused_codes,
        enrolment,
        must_enrol: two_factor::must_enrol(state, &user),
        mandatory: two_factor::required_for(state, &user),
        message,
        error_form: Form::None,
        error: String::new(),
        errors: FieldErrors::new(),
        shell,
    })
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    CurrentUser(auth): CurrentUser,
    ApiQuery(flash): ApiQuery<Flash>,
) -> AppResult<Response> {
    let message = match flash.done.as_deref() {
        Some("password") => Some(shell.t("account.password_changed")),
        Some("disabled") => Some(shell.t("account.2fa_disabled")),
        Some("enabled") => Some(shell.t("account.2fa_enabled")),
        _ => None,
    };
    Ok(no_store(render(&build(&state, shell, &auth.user, message).await?)?))
}

/// Pages that show a secret or recovery codes are never kept by caches or the back button.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn setup(State(state): State<AppState>, CurrentUser(auth): CurrentUser) -> AppResult<Response> {
    two_factor::start(&state, &auth.user).await?;
    Ok(Redirect::to("/account/security#enrol").into_response())
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Re-renders the page with a code error on `form`, or passes other errors on.
async fn code_refused(state: &AppState, shell: Shell, user: &User, form: Form, e: AppError) -> AppResult<Response> {
    match e {
        AppError::Validation { fields, .. } if fields.contains_key("code") => {
            let message = match fields.get("code").and_then(|m| m.first()).map(String::as_str) {
                Some(m) if m == aglis_core::totp::CodeError::Replayed.to_string() => shell.t("login.code_replayed"),
                Some(m) if m == aglis_core::totp::CodeError::Malformed.to_string() => shell.t("login.code_malformed"),
                _ => shell.t("login.code_wrong"),
            };
            let mut page = build(state, shell, user, None).await?;
            page.error_form = form;
            page.error = message.to_owned();
            Ok(no_store((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response()))
        }
        other => Err(other),
    }
}

async fn enable(
    State(state): State<AppState>,
    shell: Shell,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    ApiForm(f): ApiForm<CodeForm>,
) -> AppResult<Response> {
    match two_factor::confirm(&state, &auth.user, &f.code, &meta).await {
        Ok(codes) => Ok(no_store(render(&CodesPage { shell, codes, first: true })?)),
        Err(e) => code_refused(&state, shell, &auth.user, Form::Enable, e).await,
    }
}

async fn regenerate(
    State(state): State<AppState>,
    shell: Shell,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    ApiForm(f): ApiForm<CodeForm>,
) -> AppResult<Response> {
    match two_factor::regenerate(&state, &auth.user, &f.code, &meta).await {
        Ok(codes) => Ok(no_store(render(&CodesPage { shell, codes, first: false })?)),
        Err(e) => code_refused(&state, shell, &auth.user, Form::Regenerate, e).await,
    }
}

async fn disable(
    State(state): State<AppState>,
    shell: Shell,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    ApiForm(f): ApiForm<CodeForm>,
) -> AppResult<Response> {
    match two_factor::disable(&state, &auth.user, &f.code, &meta).await {
        Ok(()) => Ok(Redirect::to("/account/security?done=disabled").into_response()),
        Err(e) => code_refused(&state, shell, &auth.user, Form::Disable, e).await,
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    shell: Shell,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    ApiForm(f): ApiForm<PasswordForm>,
) -> AppResult<Response> {
    match service::change_password(&state, &auth, &f.current_password, &f.new_password, &meta).await {
        Ok(()) => Ok(Redirect::to("/account/security?done=password").into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let mut page = build(&state, shell, &auth.user, None).await?;
            page.error_form = Form::Password;
            page.errors = fields;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn logout_all(
    State(state): State<AppState>,
    jar: CookieJar,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    service::logout_all(&state, &auth, &meta).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}
