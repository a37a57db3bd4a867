//! The login form, its two-factor code step, and sign-out.

use crate::audit::RequestMeta;
use crate::auth::extract::MaybeUser;
use crate::auth::service::{self, Credentials, LoginError, LoginOutcome, SignedIn};
use crate::auth::session::{ENROL_PATH, PendingLogin, SESSION_COOKIE, cookie_token};
use crate::auth::two_factor;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, ApiQuery};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_db::repo::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(form).post(submit))
        .route("/login/2fa", get(code_form).post(code_submit))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    shell: Shell,
    username: String,
    next: String,
    error: Option<String>,
    demo: bool,
    /// Whether admins and supervisors must use a second factor (the demo says it is off).
    enforced: bool,
}

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
struct CodePage {
    shell: Shell,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// Only local paths may be a post-login destination (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.starts_with("/login") => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub(crate) fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .build()
}

/// A refusal in the page's words, with its status and, when it has one, `Retry-After`.
fn refusal(shell: &Shell, e: LoginError) -> Result<(StatusCode, String, Option<u64>), AppError> {
    let t = |key: &str| shell.t(key).to_owned();
    let warn = |remaining: Option<u32>| match remaining {
        Some(n) => format!(" {}", t("login.warn_remaining").replace("{n}", &n.to_string())),
        None => String::new(),
    };
    Ok(match e {
        LoginError::Invalid { remaining } => {
            (StatusCode::UNAUTHORIZED, format!("{}{}", t("login.invalid"), warn(remaining)), None)
        }
        LoginError::Throttled { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            t("login.throttled").replace("{minutes}", &retry_after_secs.div_ceil(60).to_string()),
            Some(retry_after_secs),
        ),
        LoginError::Locked { until, retry_after_secs } => {
            let local = until.with_timezone(&aglis_core::schedule::JAKARTA).format("%H:%M").to_string();
            (StatusCode::TOO_MANY_REQUESTS, t("login.locked_until").replace("{time}", &local), Some(retry_after_secs))
        }
        LoginError::LockedForever => (StatusCode::FORBIDDEN, t("login.locked_forever"), None),
        LoginError::CodeRequired => (StatusCode::UNAUTHORIZED, t("login.code_required"), None),
        LoginError::CodeWrong { reason, remaining } => {
            let key = match reason {
                aglis_core::totp::CodeError::Malformed => "login.code_malformed",
                aglis_core::totp::CodeError::Wrong => "login.code_wrong",
                aglis_core::totp::CodeError::Replayed => "login.code_replayed",
            };
            (StatusCode::UNAUTHORIZED, format!("{}{}", t(key), warn(remaining)), None)
        }
        LoginError::EnrolmentRequired => (StatusCode::FORBIDDEN, t("login.enrol_first"), None),
        LoginError::Other(e) => return Err(e),
    })
}

fn with_retry_after(mut response: Response, secs: Option<u64>) -> Response {
    if let Some(secs) = secs {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn form(State(state): State<AppState>, shell: Shell, ApiQuery(q): ApiQuery<NextParam>) -> AppResult<Response> {
    if shell.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    render(&LoginPage {
        shell,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        demo: state.config.demo,
        enforced: two_factor::enforced(&state),
    })
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Where a fresh full session goes: the enrolment page first when the user must enrol.
fn after_sign_in(state: &AppState, signed: &SignedIn, next: &str) -> String {
    if two_factor::must_enrol(state, &signed.user) { ENROL_PATH.to_owned() } else { next.to_owned() }
}

async fn submit(
    State(state): State<AppState>,
    shell: Shell,
    jar: CookieJar,
    headers: HeaderMap,
    meta: RequestMeta,
    ApiForm(f): ApiForm<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    let previous = cookie_token(&headers);
    let creds = Credentials { username: &f.username, password: &f.password, totp: None };
    match service::login(&state, creds, SessionKind::Web, &meta, previous.as_deref()).await {
        Ok(LoginOutcome::SignedIn(signed)) => {
            let to = after_sign_in(&state, &signed, &next);
            Ok((jar.add(session_cookie(&state, signed.token)), Redirect::to(&to)).into_response())
        }
        Ok(LoginOutcome::NeedsCode(pending)) => {
            let to =
                format!("/login/2fa?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
            Ok((jar.add(session_cookie(&state, pending.token)), Redirect::to(&to)).into_response())
        }
        Err(e) => {
            let (status, message, retry) = refusal(&shell, e)?;
            let page = LoginPage {
                shell,
                username: f.username,
                next,
                error: Some(message),
                demo: state.config.demo,
                enforced: two_factor::enforced(&state),
            };
            Ok(with_retry_after((status, render(&page)?).into_response(), retry))
        }
    }
}

async fn code_form(
    shell: Shell,
    pending: Option<axum::Extension<PendingLogin>>,
    ApiQuery(q): ApiQuery<NextParam>,
) -> AppResult<Response> {
    let next = safe_next(q.next.as_deref());
    if pending.is_none() {
        // No password step behind this browser (or it expired): start again.
        let to = format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
        return Ok(Redirect::to(&to).into_response());
    }
    render(&CodePage { shell, next, error: None })
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

async fn code_submit(
    State(state): State<AppState>,
    shell: Shell,
    jar: CookieJar,
    meta: RequestMeta,
    pending: Option<axum::Extension<PendingLogin>>,
    ApiForm(f): ApiForm<CodeForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    let Some(axum::Extension(PendingLogin(pending))) = pending else {
        let to = format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
        return Ok(Redirect::to(&to).into_response());
    };
    match service::complete_second_factor(&state, &pending, &f.code, &meta).await {
        Ok(signed) => Ok((jar.add(session_cookie(&state, signed.token)), Redirect::to(&next)).into_response()),
        Err(e @ (LoginError::Locked { .. } | LoginError::LockedForever | LoginError::Invalid { .. })) => {
            // The pending session is gone: back to the password form, with the reason.
            let (status, message, retry) = refusal(&shell, e)?;
            let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
            let page = LoginPage {
                shell,
                username: pending.user.username.clone(),
                next,
                error: Some(message),
                demo: state.config.demo,
                enforced: two_factor::enforced(&state),
            };
            Ok(with_retry_after((status, jar, render(&page)?).into_response(), retry))
        }
        Err(e) => {
            let (status, message, retry) = refusal(&shell, e)?;
            let page = CodePage { shell, next, error: Some(message) };
            Ok(with_retry_after((status, render(&page)?).into_response(), retry))
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    MaybeUser(who): MaybeUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        service::logout(&state, who.as_ref().map(|a| &a.user), c.value(), &meta).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/admin/users?page=2")), "/admin/users?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
