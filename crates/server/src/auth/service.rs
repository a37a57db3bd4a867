//! Signing in and out: the password step, the second factor, the progressive lockout, per-address
//! throttling, session rotation, "log out everywhere" and changing one's password.
//!
//! Every sign-in makes a new session (a browser's earlier session is deleted, never reused). A
//! browser whose user has two-factor on first gets a *pending* session that opens only the code
//! page; the code replaces it with a full one. The API takes the code in the same request.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::lockout;
use crate::auth::password;
use crate::auth::session::{API_TTL, Authenticated, PENDING_TTL};
use crate::auth::throttle;
use crate::auth::token::{hash_token, random_token};
use crate::auth::two_factor::{self, Used};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::lockout::{Lock, Status};
use aglis_core::permission::Role;
use aglis_core::totp::CodeError;
use aglis_core::user::check_new_password;
use aglis_db::repo::sessions::{self, NewSession, SessionKind};
use aglis_db::repo::users::{self, User};
use aglis_db::{DbError, TransactionTrait};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// The one message for a wrong username or a wrong password, so neither reveals which.
pub const INVALID_CREDENTIALS: &str = "invalid username or password";

#[derive(Debug)]
pub struct SignedIn {
    /// Give this to the client (cookie or bearer); only its hash is stored.
    pub token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

/// What a sign-in gives.
#[derive(Debug)]
pub enum LoginOutcome {
    /// A full session.
    SignedIn(SignedIn),
    /// Browsers only: the password was right and the user has two-factor on; this session opens
    /// only the code page (`/login/2fa`).
    NeedsCode(SignedIn),
}

/// Why a sign-in was refused. The API shows it in English through [`AppError`]; the login pages
/// word it in the page's language.
#[derive(Debug)]
pub enum LoginError {
    /// Wrong username or password (one answer for both); `remaining` warns of a near lock.
    Invalid {
        remaining: Option<u32>,
    },
    /// Too many attempts from this address.
    Throttled {
        retry_after_secs: u64,
    },
    Locked {
        until: DateTime<Utc>,
        retry_after_secs: u64,
    },
    /// The last lockout step: only an admin can unlock it.
    LockedForever,
    /// The API login of a user with two-factor on came without `totp`.
    CodeRequired,
    CodeWrong {
        reason: CodeError,
        remaining: Option<u32>,
    },
    /// An admin or supervisor without two-factor under enforcement, on the API.
    EnrolmentRequired,
    Other(AppError),
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> Self {
        LoginError::Other(e)
    }
}

impl From<DbError> for LoginError {
    fn from(e: DbError) -> Self {
        LoginError::Other(AppError::from(e))
    }
}

impl LoginError {
    /// The refusal for an account that is locked at `now`, if it is.
    pub fn for_lock(user: &User, now: DateTime<Utc>) -> Option<LoginError> {
        match aglis_core::lockout::status(&user.lockout_state(), now) {
            Status::Open => None,
            Status::Locked { until } => Some(LoginError::Locked {
                until,
                retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(60),
            }),
            Status::LockedUntilUnlocked => Some(LoginError::LockedForever),
        }
    }

    fn from_lock(lock: Lock, now: DateTime<Utc>) -> LoginError {
        match lock {
            Lock::Until(until) => LoginError::Locked {
                until,
                retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(60),
            },
            Lock::UntilUnlocked => LoginError::LockedForever,
        }
    }
}

fn warning(remaining: Option<u32>) -> String {
    match remaining {
        Some(1) => "; one more failed sign-in will lock the account".into(),
        Some(n) => format!("; {n} more failed sign-ins will lock the account"),
        None => String::new(),
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Invalid { remaining } => {
                AppError::Unauthorized(format!("{INVALID_CREDENTIALS}{}", warning(remaining)))
            }
            LoginError::Throttled { retry_after_secs } => AppError::TooManyRequests {
                detail: format!(
                    "too many sign-in attempts from this address; try again in {} minutes",
                    retry_after_secs.div_ceil(60)
                ),
                retry_after_secs,
            },
            LoginError::Locked { until, retry_after_secs } => {
                let local = until.with_timezone(&aglis_core::schedule::JAKARTA).format("%H:%M");
                AppError::TooManyRequests {
                    detail: format!("too many failed sign-ins: this account is locked until {local} WIB"),
                    retry_after_secs,
                }
            }
            LoginError::LockedForever => AppError::Forbidden(
                "this account is locked after too many failed sign-ins; ask an admin to unlock it".into(),
            ),
            LoginError::CodeRequired => AppError::Unauthorized(
                "a two-factor code is needed: send the 6-digit code of your authenticator app, or a recovery code, in `totp`"
                    .into(),
            ),
            LoginError::CodeWrong { reason, remaining } => {
                AppError::Unauthorized(format!("{reason}{}", warning(remaining)))
            }
            LoginError::EnrolmentRequired => AppError::Forbidden(
                "two-factor sign-in is mandatory for admins and supervisors: enrol at /account/security in the web UI first, then send the code in `totp`"
                    .into(),
            ),
            LoginError::Other(e) => e,
        }
    }
}

/// What the caller typed.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// API only: a TOTP code or a recovery code.
    pub totp: Option<&'a str>,
}

/// How long a browser session of `role` lasts without a request (a customer's lasts to its end).
pub fn idle_for(state: &AppState, role: Role) -> Duration {
    if role == Role::Customer { Duration::days(aglis_core::portal::SESSION_DAYS) } else { web_idle(state) }
}

/// How long a browser session lasts without a request.
pub fn web_idle(state: &AppState) -> Duration {
    Duration::minutes(i64::from(state.config.security.session_idle_minutes))
}

/// How long a browser session lasts at most.
pub fn web_max(state: &AppState) -> Duration {
    Duration::hours(i64::from(state.config.security.session_max_hours))
}

async fn record_failed(
    state: &AppState,
    user: Option<&User>,
    username: &str,
    meta: &RequestMeta,
    result: AuditResult,
    reason: &str,
) -> AppResult<()> {
    let mut entry = Entry::new(AuditEvent::LoginFailed, result).meta(meta).details(json!({ "reason": reason }));
    entry = match user {
        Some(u) => entry.actor(u.id, &u.username).resource(format!("user:{}", u.id)),
        None => entry.attempted(&username.chars().take(50).collect::<String>()),
    };
    audit::record(state, entry).await
}

/// The password step (and, on the API, the second factor). `previous_token` is the session a
/// browser already had: it is deleted on success, so a session is never carried over.
pub async fn login(
    state: &AppState,
    creds: Credentials<'_>,
    kind: SessionKind,
    meta: &RequestMeta,
    previous_token: Option<&str>,
) -> Result<LoginOutcome, LoginError> {
    if let Err(secs) = throttle::login_attempt(state, &meta.ip).await? {
        record_failed(state, None, creds.username, meta, AuditResult::Denied, "throttled").await?;
        return Err(LoginError::Throttled { retry_after_secs: secs });
    }
    let username = creds.username.trim().to_lowercase();
    let Some((user, hash)) = users::find_credentials(&state.db, &username).await? else {
        // Spend the same time as a real check so timing does not reveal unknown usernames.
        password::verify_async(creds.password.to_owned(), password::dummy_hash().to_owned()).await;
        record_failed(state, None, &username, meta, AuditResult::Failure, "unknown_user").await?;
        return Err(LoginError::Invalid { remaining: None });
    };
    let now = state.now();
    if !password::verify_async(creds.password.to_owned(), hash).await {
        // Only the right password learns that an account is locked.
        let counted = lockout::register_failure(state, user.id, meta).await?;
        record_failed(state, Some(&user), &username, meta, AuditResult::Failure, "wrong_password").await?;
        return Err(LoginError::Invalid { remaining: counted.remaining });
    }
    if !user.is_active {
        record_failed(state, Some(&user), &username, meta, AuditResult::Denied, "inactive").await?;
        return Err(LoginError::Invalid { remaining: None });
    }
    if let Some(locked) = LoginError::for_lock(&user, now) {
        record_failed(state, Some(&user), &username, meta, AuditResult::Denied, "locked").await?;
        return Err(locked);
    }
    if user.two_factor_enabled() {
        match (kind, creds.totp.map(str::trim).filter(|c| !c.is_empty())) {
            (SessionKind::Web, _) => {
                let pending = start_pending(state, &user, meta, previous_token).await?;
                return Ok(LoginOutcome::NeedsCode(pending));
            }
            (SessionKind::Api, None) => {
                record_failed(state, Some(&user), &username, meta, AuditResult::Failure, "2fa_code_missing").await?;
                return Err(LoginError::CodeRequired);
            }
            (SessionKind::Api, Some(code)) => {
                let used = verify_second_factor(state, &user, code, meta).await?;
                let signed = start_session(state, &user, kind, meta, previous_token, Some(used)).await?;
                return Ok(LoginOutcome::SignedIn(signed));
            }
        }
    }
    if kind == SessionKind::Api && two_factor::must_enrol(state, &user) {
        record_failed(state, Some(&user), &username, meta, AuditResult::Denied, "2fa_enrolment_required").await?;
        return Err(LoginError::EnrolmentRequired);
    }
    Ok(LoginOutcome::SignedIn(start_session(state, &user, kind, meta, previous_token, None).await?))
}

/// The browser's second step: the code for a pending session. On success the pending session is
/// replaced by a new full one.
pub async fn complete_second_factor(
    state: &AppState,
    pending: &Authenticated,
    code: &str,
    meta: &RequestMeta,
) -> Result<SignedIn, LoginError> {
    if let Err(secs) = throttle::code_attempt(state, &meta.ip).await? {
        return Err(LoginError::Throttled { retry_after_secs: secs });
    }
    let user = users::get(&state.db, pending.user.id).await?;
    let Some(user) = user.filter(|u| u.is_active) else {
        sessions::delete(&state.db, pending.session_id).await?;
        return Err(LoginError::Invalid { remaining: None });
    };
    if let Some(locked) = LoginError::for_lock(&user, state.now()) {
        sessions::delete(&state.db, pending.session_id).await?;
        return Err(locked);
    }
    match verify_second_factor(state, &user, code, meta).await {
        Ok(used) => {
            sessions::delete(&state.db, pending.session_id).await?;
            Ok(start_session(state, &user, SessionKind::Web, meta, None, Some(used)).await?)
        }
        Err(e @ (LoginError::Locked { .. } | LoginError::LockedForever)) => {
            sessions::delete(&state.db, pending.session_id).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Checks and uses up a second-factor code at sign-in. A wrong or replayed code counts as a
/// failed sign-in (the password is known to whoever sends it); a malformed one does not.
async fn verify_second_factor(
    state: &AppState,
    user: &User,
    code: &str,
    meta: &RequestMeta,
) -> Result<Used, LoginError> {
    match two_factor::check_code(state, user, code).await? {
        Ok(used) => {
            if used == Used::Recovery {
                two_factor::record_recovery_use(state, user, meta).await?;
            }
            Ok(used)
        }
        Err(CodeError::Malformed) => Err(LoginError::CodeWrong { reason: CodeError::Malformed, remaining: None }),
        Err(reason) => {
            two_factor::record_failure(state, user, meta, "login", reason).await?;
            let counted = lockout::register_failure(state, user.id, meta).await?;
            Err(match counted.locked {
                Some(lock) => LoginError::from_lock(lock, state.now()),
                None => LoginError::CodeWrong { reason, remaining: counted.remaining },
            })
        }
    }
}

/// Records a new session for `user` and returns its token (only the token's hash is stored).
async fn insert_session(
    state: &AppState,
    user_id: i64,
    kind: SessionKind,
    meta: &RequestMeta,
    expires_at: DateTime<Utc>,
    absolute_expires_at: Option<DateTime<Utc>>,
    second_factor_pending: bool,
) -> AppResult<String> {
    let token = random_token();
    let new = NewSession {
        token_hash: hash_token(&token),
        user_id,
        kind,
        csrf_token: random_token(),
        user_agent: meta.user_agent.clone(),
        expires_at,
        absolute_expires_at,
        second_factor_pending,
    };
    sessions::create(&state.db, new, state.now()).await?;
    Ok(token)
}

/// A full session: the failure count starts again, the browser's earlier session ends. A
/// customer's session (the portal) lasts [`aglis_core::portal::SESSION_DAYS`] from sign-in,
/// browser or token alike.
pub(crate) async fn start_session(
    state: &AppState,
    user: &User,
    kind: SessionKind,
    meta: &RequestMeta,
    previous_token: Option<&str>,
    factor: Option<Used>,
) -> AppResult<SignedIn> {
    let now = state.now();
    users::record_login_success(&state.db, user.id, now).await?;
    if let Some(previous) = previous_token {
        sessions::delete_by_hash(&state.db, &hash_token(previous)).await?;
    }
    let (expires_at, absolute) = match (kind, user.role) {
        (_, Role::Customer) => {
            let end = now + Duration::days(aglis_core::portal::SESSION_DAYS);
            (end, Some(end))
        }
        (SessionKind::Web, _) => (now + web_idle(state), Some(now + web_max(state))),
        (SessionKind::Api, _) => (now + API_TTL, None),
    };
    let token = insert_session(state, user.id, kind, meta, expires_at, absolute, false).await?;
    audit::record(
        state,
        Entry::new(AuditEvent::LoginSucceeded, AuditResult::Success)
            .actor(user.id, &user.username)
            .meta(meta)
            .resource(format!("user:{}", user.id))
            .details(json!({ "kind": kind.as_str(), "second_factor": factor.map(Used::as_str) })),
    )
    .await?;
    tracing::info!(user = %user.username, kind = kind.as_str(), "signed in");
    let user = users::get(&state.db, user.id).await?.unwrap_or_else(|| user.clone());
    Ok(SignedIn { token, user, expires_at })
}

/// A browser session waiting for the second factor: short, and good for the code page only.
async fn start_pending(
    state: &AppState,
    user: &User,
    meta: &RequestMeta,
    previous_token: Option<&str>,
) -> AppResult<SignedIn> {
    let now = state.now();
    if let Some(previous) = previous_token {
        sessions::delete_by_hash(&state.db, &hash_token(previous)).await?;
    }
    let expires_at = now + PENDING_TTL;
    let token = insert_session(state, user.id, SessionKind::Web, meta, expires_at, Some(expires_at), true).await?;
    Ok(SignedIn { token, user: user.clone(), expires_at })
}

/// Ends the session `token` belongs to.
pub async fn logout(state: &AppState, who: Option<&User>, token: &str, meta: &RequestMeta) -> AppResult<()> {
    let ended = sessions::delete_by_hash(&state.db, &hash_token(token)).await?;
    state.sessions.clear();
    if let (Some(user), true) = (who, ended) {
        audit::record(
            state,
            Entry::new(AuditEvent::Logout, AuditResult::Success)
                .actor(user.id, &user.username)
                .meta(meta)
                .resource(format!("user:{}", user.id)),
        )
        .await?;
    }
    Ok(())
}

/// Ends every session of the caller, this one included. Returns how many ended.
pub async fn logout_all(state: &AppState, auth: &Authenticated, meta: &RequestMeta) -> AppResult<u64> {
    let ended = sessions::delete_for_user(&state.db, auth.user.id).await?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::LogoutAll, AuditResult::Success)
            .actor(auth.user.id, &auth.user.username)
            .meta(meta)
            .resource(format!("user:{}", auth.user.id))
            .details(json!({ "sessions": ended })),
    )
    .await?;
    tracing::info!(user = %auth.user.username, sessions = ended, "signed out everywhere");
    Ok(ended)
}

/// Changes the caller's own password after checking the current one; every other session of
/// theirs ends (this one stays).
pub async fn change_password(
    state: &AppState,
    auth: &Authenticated,
    current: &str,
    new_password: &str,
    meta: &RequestMeta,
) -> AppResult<()> {
    if let Err(secs) = throttle::login_attempt(state, &meta.ip).await? {
        return Err(LoginError::Throttled { retry_after_secs: secs }.into());
    }
    let mut errors = FieldErrors::new();
    if let Err(e) = check_new_password(new_password) {
        errors.entry("new_password".into()).or_default().push(e.to_string());
    }
    let (_, hash) =
        users::find_credentials(&state.db, &auth.user.username).await?.ok_or_else(|| AppError::not_found("user"))?;
    if !password::verify_async(current.to_owned(), hash).await {
        errors.entry("current_password".into()).or_default().push("the current password is wrong".into());
        audit::record(
            state,
            Entry::new(AuditEvent::PasswordChanged, AuditResult::Failure)
                .actor(auth.user.id, &auth.user.username)
                .meta(meta)
                .resource(format!("user:{}", auth.user.id))
                .details(json!({ "reason": "wrong_current_password" })),
        )
        .await?;
    } else if current == new_password {
        errors.entry("new_password".into()).or_default().push("choose a password other than the current one".into());
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let hash = password::hash_async(new_password.to_owned()).await?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    users::set_password(&txn, auth.user.id, &hash, state.now()).await?;
    let ended = sessions::delete_others(&txn, auth.user.id, auth.session_id).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::PasswordChanged, AuditResult::Success)
            .actor(auth.user.id, &auth.user.username)
            .meta(meta)
            .resource(format!("user:{}", auth.user.id))
            .details(json!({ "other_sessions_ended": ended })),
    )
    .await?;
    tracing::info!(user = %auth.user.username, "password changed");
    Ok(())
}
