//! The login form and sign-out.

use crate::app::AppState;
use crate::auth::service;
use crate::auth::session::SESSION_COOKIE;
use crate::error::{AppError, AppResult};
use crate::extract::ApiForm;
use crate::pages::{Shell, render};
use aglis_db::repo::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(form).post(submit)).route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    shell: Shell,
    username: String,
    next: String,
    error: Option<String>,
    demo: bool,
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

async fn form(
    State(state): State<AppState>,
    shell: Shell,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<NextParam>,
) -> AppResult<Response> {
    if shell.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    render(&LoginPage {
        shell,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        demo: state.config.demo,
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

async fn submit(
    State(state): State<AppState>,
    shell: Shell,
    jar: CookieJar,
    headers: HeaderMap,
    ApiForm(f): ApiForm<LoginForm>,
) -> AppResult<Response> {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let next = safe_next(f.next.as_deref());
    match service::login(&state, &f.username, &f.password, SessionKind::Web, ua).await {
        Ok(signed) => {
            let cookie = Cookie::build((SESSION_COOKIE, signed.token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.config.secure_cookies())
                .build();
            Ok((jar.add(cookie), Redirect::to(&next)).into_response())
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests { .. })) => {
            let status = e.status();
            let message = match e {
                AppError::Unauthorized(_) => shell.t("login.invalid").to_owned(),
                other => other.to_string(),
            };
            let page = LoginPage { shell, username: f.username, next, error: Some(message), demo: state.config.demo };
            Ok((status, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> AppResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        service::logout(&state, c.value()).await?;
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
