//! Per-address limits on sign-in attempts (password forms, the API login, the two-factor code
//! step), held in the database so they bind every instance (`aglis_db::rate_limit`).

use crate::error::AppResult;
use crate::state::AppState;
use chrono::Duration;

/// The attempt may go ahead, or must wait this many seconds.
pub type Throttle = Result<(), u64>;

/// Takes one password sign-in attempt from `ip` (web form and API share the count).
pub async fn login_attempt(state: &AppState, ip: &str) -> AppResult<Throttle> {
    hit(state, &format!("login-ip:{ip}")).await
}

/// Takes one two-factor code attempt from `ip`.
pub async fn code_attempt(state: &AppState, ip: &str) -> AppResult<Throttle> {
    hit(state, &format!("login-2fa-ip:{ip}")).await
}

async fn hit(state: &AppState, key: &str) -> AppResult<Throttle> {
    let security = &state.config.security;
    if security.login_attempts_per_ip == 0 {
        return Ok(Ok(()));
    }
    let window = Duration::minutes(i64::from(security.login_window_minutes));
    let now = state.now();
    Ok(match aglis_db::rate_limit::acquire(&state.db, key, security.login_attempts_per_ip, window, now).await? {
        Ok(()) => Ok(()),
        Err(until) => Err(u64::try_from((until - now).num_seconds().max(1)).unwrap_or(60)),
    })
}
