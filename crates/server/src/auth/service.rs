//! Signing in and out.

use crate::app::AppState;
use crate::auth::password;
use crate::auth::session::{API_TTL, WEB_TTL};
use crate::auth::token::{hash_token, random_token};
use crate::error::{AppError, AppResult};
use aglis_db::repo::sessions::{self, NewSession, SessionKind};
use aglis_db::repo::users::{self, User};
use chrono::{DateTime, Duration, Utc};

/// Failed passwords in a row before an account is locked, and for how long.
pub const LOCK_AFTER: i32 = 5;
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// The one message for a wrong username or a wrong password, so neither reveals which.
pub const INVALID_CREDENTIALS: &str = "invalid username or password";

#[derive(Debug)]
pub struct SignedIn {
    /// Give this to the client (cookie or bearer); only its hash is stored.
    pub token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    kind: SessionKind,
    user_agent: Option<String>,
) -> AppResult<SignedIn> {
    let invalid = || AppError::Unauthorized(INVALID_CREDENTIALS.into());
    let username = username.trim().to_lowercase();
    let Some((user, hash)) = users::find_credentials(&state.db, &username).await? else {
        // Spend the same time as a real check so timing does not reveal unknown usernames.
        password::verify_async(password.to_owned(), password::dummy_hash().to_owned()).await;
        return Err(invalid());
    };
    let now = state.now();
    if !password::verify_async(password.to_owned(), hash).await {
        if user.is_active {
            users::record_login_failure(&state.db, user.id, now, LOCK_AFTER, LOCK_FOR).await?;
        }
        return Err(invalid());
    }
    if !user.is_active {
        return Err(invalid());
    }
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        let local = until.with_timezone(&aglis_core::schedule::JAKARTA).format("%H:%M");
        return Err(AppError::TooManyRequests {
            detail: format!("too many failed sign-ins: this account is locked until {local} WIB"),
            retry_after_secs: u64::try_from((until - now).num_seconds()).unwrap_or(0),
        });
    }
    users::record_login_success(&state.db, user.id, now).await?;
    let token = random_token();
    let expires_at = now + if kind == SessionKind::Web { WEB_TTL } else { API_TTL };
    sessions::create(
        &state.db,
        NewSession {
            token_hash: hash_token(&token),
            user_id: user.id,
            kind,
            csrf_token: random_token(),
            user_agent,
            expires_at,
        },
        now,
    )
    .await?;
    tracing::info!(user = %user.username, kind = kind.as_str(), "signed in");
    Ok(SignedIn { token, user, expires_at })
}

/// Ends the session `token` belongs to.
pub async fn logout(state: &AppState, token: &str) -> AppResult<()> {
    sessions::delete_by_hash(&state.db, &hash_token(token)).await?;
    Ok(())
}
