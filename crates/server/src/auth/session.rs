//! Who is calling: resolves the bearer token or session cookie once per request and stores the
//! result in the request's extensions for the extractors and the CSRF check.
//!
//! Browser sessions end after `AGLIS_SESSION_IDLE_MINUTES` without a request and
//! `AGLIS_SESSION_MAX_HOURS` after sign-in; API tokens 30 days after their last use. A session
//! still waiting for its second factor counts as anonymous everywhere but the code page
//! ([`PendingLogin`]). A user who must enrol in two-factor reaches nothing but the enrolment page
//! (browsers are sent there; API calls get 403).

use crate::auth::service;
use crate::auth::token::hash_token;
use crate::auth::two_factor;
use crate::error::AppError;
use crate::state::AppState;
use aglis_db::repo::sessions::{self, SessionKind};
use aglis_db::repo::users::User;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Duration;

pub const SESSION_COOKIE: &str = "aglis_session";
/// An API token lasts this long after it was issued or last used.
pub const API_TTL: Duration = Duration::days(30);
/// Time to type the second factor after the password.
pub const PENDING_TTL: Duration = Duration::minutes(10);
/// Activity is written back at most this often, so most requests stay read-only.
const TOUCH_EVERY: Duration = Duration::minutes(5);
/// Where a user who must enrol in two-factor is sent.
pub const ENROL_PATH: &str = "/account/security";

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub session_id: i64,
    pub kind: SessionKind,
    pub csrf_token: String,
}

/// The request extension: `None` for anonymous callers (and sessions still waiting for their
/// second factor).
#[derive(Debug, Clone)]
pub struct AuthContext(pub Option<Authenticated>);

/// The request extension of a browser session whose password was right and whose second factor
/// is still to come: only the code page reads it.
#[derive(Debug, Clone)]
pub struct PendingLogin(pub Authenticated);

enum Resolved {
    Anonymous,
    Pending(Authenticated),
    Signed(Authenticated),
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/assets/") {
        // Static files are the same for everyone: no session look-up.
        req.extensions_mut().insert(AuthContext(None));
        return next.run(req).await;
    }
    match authenticate(&state, req.headers()).await {
        Ok(Resolved::Anonymous) => {
            req.extensions_mut().insert(AuthContext(None));
            next.run(req).await
        }
        Ok(Resolved::Pending(auth)) => {
            req.extensions_mut().insert(AuthContext(None));
            req.extensions_mut().insert(PendingLogin(auth));
            next.run(req).await
        }
        Ok(Resolved::Signed(auth)) => {
            let path = req.uri().path();
            if two_factor::must_enrol(&state, &auth.user) && !open_before_enrolment(path, auth.kind) {
                return enrolment_first(path, auth.kind);
            }
            // A customer's home is the portal (the staff dashboard would only refuse them).
            if auth.user.role == aglis_core::permission::Role::Customer && path == "/" {
                return Redirect::to(crate::portal::pages::HOME).into_response();
            }
            req.extensions_mut().insert(AuthContext(Some(auth)));
            next.run(req).await
        }
        // The health checks and metrics must answer while the database is down: they do not
        // need the caller (the monitoring token is checked without the database).
        Err(_) if is_monitoring(req.uri().path()) => {
            req.extensions_mut().insert(AuthContext(None));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn is_monitoring(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/api/health")
}

/// What a user who must still enrol may reach.
fn open_before_enrolment(path: &str, kind: SessionKind) -> bool {
    path == "/api/v1/auth/logout"
        || (kind == SessionKind::Web
            && (path == ENROL_PATH || path.starts_with("/account/security/") || path == "/logout"))
}

fn enrolment_first(path: &str, kind: SessionKind) -> Response {
    if kind == SessionKind::Api || path.starts_with("/api/") {
        AppError::Forbidden(
            "two-factor sign-in is mandatory for your role: enrol at /account/security in the web UI before anything else"
                .into(),
        )
        .into_response()
    } else {
        Redirect::to(ENROL_PATH).into_response()
    }
}

/// The bearer token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The session cookie's token, if the browser sent one.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers).get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Resolved, AppError> {
    let (token, kind) = if let Some(t) = bearer_token(headers) {
        (t.to_owned(), SessionKind::Api)
    } else if let Some(c) = cookie_token(headers) {
        (c, SessionKind::Web)
    } else {
        return Ok(Resolved::Anonymous);
    };
    let now = state.now();
    let hash = hash_token(&token);
    let cached = if kind == SessionKind::Api { state.sessions.get(&hash) } else { None };
    let (session, user) = match cached {
        Some((s, u)) if s.expires_at > now => (s, u),
        Some(_) => return Ok(Resolved::Anonymous),
        // From the read pool: on SQLite the writer is one connection, and every request passes here.
        None => match sessions::find_valid(&state.reads, &hash, kind, now).await? {
            Some((s, u)) => {
                if kind == SessionKind::Api {
                    state.sessions.put(hash.clone(), s.clone(), u.clone());
                }
                (s, u)
            }
            None => return Ok(Resolved::Anonymous),
        },
    };
    if !user.is_active {
        return Ok(Resolved::Anonymous);
    }
    let auth = Authenticated { user, session_id: session.id, kind, csrf_token: session.csrf_token };
    if session.second_factor_pending {
        return Ok(Resolved::Pending(auth));
    }
    let (touch_every, expires_at) = match kind {
        SessionKind::Web => {
            let idle = service::idle_for(state, auth.user.role);
            let slid = now + idle;
            (TOUCH_EVERY.min(idle / 10), session.absolute_expires_at.map_or(slid, |end| slid.min(end)))
        }
        SessionKind::Api => {
            let slid = now + API_TTL;
            (TOUCH_EVERY, session.absolute_expires_at.map_or(slid, |end| slid.min(end)))
        }
    };
    if now - session.last_seen_at > touch_every {
        sessions::touch(&state.db, session.id, now, expires_at).await?;
        state.sessions.clear(); // the held copy's last use is now stale
    }
    Ok(Resolved::Signed(auth))
}
