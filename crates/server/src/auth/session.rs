//! Who is calling: resolves the bearer token or session cookie once per request and stores the
//! result in the request's extensions for the extractors and the CSRF check.

use crate::app::AppState;
use crate::auth::token::hash_token;
use aglis_db::repo::sessions::{self, SessionKind};
use aglis_db::repo::users::User;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Duration;

pub const SESSION_COOKIE: &str = "aglis_session";
/// A browser session lasts this long after the last request.
pub const WEB_TTL: Duration = Duration::hours(12);
/// An API token lasts this long after it was issued or last used.
pub const API_TTL: Duration = Duration::days(30);
/// Activity is written back at most this often, so most requests stay read-only.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub session_id: i64,
    pub kind: SessionKind,
    pub csrf_token: String,
}

/// The request extension: `None` for anonymous callers.
#[derive(Debug, Clone)]
pub struct AuthContext(pub Option<Authenticated>);

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/assets/") {
        // Static files are the same for everyone: no session look-up.
        req.extensions_mut().insert(AuthContext(None));
        return next.run(req).await;
    }
    match authenticate(&state, req.headers()).await {
        Ok(auth) => {
            req.extensions_mut().insert(AuthContext(auth));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The bearer token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Authenticated>, crate::error::AppError> {
    let (token, kind) = if let Some(t) = bearer_token(headers) {
        (t.to_owned(), SessionKind::Api)
    } else if let Some(c) = CookieJar::from_headers(headers).get(SESSION_COOKIE) {
        (c.value().to_owned(), SessionKind::Web)
    } else {
        return Ok(None);
    };
    let now = state.now();
    // From the read pool: on SQLite the writer is one connection, and every request passes here.
    let Some((session, user)) = sessions::find_valid(&state.reads, &hash_token(&token), kind, now).await? else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    if now - session.last_seen_at > TOUCH_EVERY {
        let ttl = if kind == SessionKind::Web { WEB_TTL } else { API_TTL };
        sessions::touch(&state.db, session.id, now, now + ttl).await?;
    }
    Ok(Some(Authenticated { user, session_id: session.id, kind, csrf_token: session.csrf_token }))
}
