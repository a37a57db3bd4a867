//! Two-factor authentication: enrolment (a sealed secret waiting for its first code), checking a
//! code at sign-in (TOTP with a replay guard, or a single-use recovery code), new recovery codes,
//! turning it off, and an admin's reset. The code rules are `aglis_core::totp`.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::sealed;
use crate::auth::service::LoginError;
use crate::auth::throttle;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::totp::{self, CodeError};
use aglis_db::repo::users::{self, User};
use aglis_db::repo::{sessions, two_factor};
use aglis_db::{DbError, TransactionTrait};
use serde_json::json;

/// Whether admins and supervisors must use a second factor here (`AGLIS_REQUIRE_2FA`, off in
/// the demo unless set).
pub fn enforced(state: &AppState) -> bool {
    state.config.security.requires_2fa(state.config.demo)
}

/// Whether `user` must use a second factor.
pub fn required_for(state: &AppState, user: &User) -> bool {
    enforced(state) && totp::role_requires_two_factor(user.role)
}

/// Whether `user` must enrol before doing anything else.
pub fn must_enrol(state: &AppState, user: &User) -> bool {
    required_for(state, user) && !user.two_factor_enabled()
}

/// What the enrolment page shows: the secret as text, the URI, and the URI as a QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, grouped by four for typing.
    pub secret_text: String,
    pub uri: String,
    /// An inline `<svg>` element.
    pub qr_svg: String,
}

/// How a second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    Totp,
    Recovery,
}

impl Used {
    pub fn as_str(self) -> &'static str {
        match self {
            Used::Totp => "totp",
            Used::Recovery => "recovery_code",
        }
    }
}

/// Opens a stored secret. One that cannot be opened (the secret key was changed) is a 503 that
/// says what to do, not a crash: an admin resets the user's two-factor.
fn open_secret(state: &AppState, user_id: i64, sealed_secret: &str) -> AppResult<Vec<u8>> {
    sealed::open(state.config.secret_bytes(), user_id, sealed_secret).map_err(|e| {
        tracing::error!(user_id, error = %e, "two-factor secret cannot be opened");
        AppError::Unavailable(e.to_string())
    })
}

fn unix_now(state: &AppState) -> i64 {
    state.now().timestamp()
}

fn code_field(e: CodeError) -> AppError {
    AppError::field("code", e.to_string())
}

/// Starts enrolment: a new random secret, stored sealed and waiting for its first code. 409 when
/// a second factor is already on (turn it off first).
pub async fn start(state: &AppState, user: &User) -> AppResult<()> {
    let secret: [u8; totp::SECRET_BYTES] = rand::random();
    let sealed_secret = sealed::seal(state.config.secret_bytes(), user.id, &secret)?;
    if !two_factor::set_pending(&state.db, user.id, &sealed_secret, state.now()).await? {
        return Err(AppError::Conflict {
            detail: "two-factor sign-in is already on for this account".into(),
            fields: FieldErrors::new(),
        });
    }
    Ok(())
}

/// The enrolment waiting for its first code, if one was started.
pub async fn pending(state: &AppState, user: &User) -> AppResult<Option<Enrolment>> {
    let Some(stored) = two_factor::secret(&state.db, user.id).await? else { return Ok(None) };
    if stored.enabled_at.is_some() {
        return Ok(None);
    }
    // A pending secret sealed under an older key is simply started again.
    let Ok(secret) = sealed::open(state.config.secret_bytes(), user.id, &stored.sealed) else { return Ok(None) };
    let base32 = totp::base32_encode(&secret);
    let uri = totp::otpauth_uri(&user.username, &base32);
    let qr_svg = qr_svg(&uri)?;
    let secret_text =
        base32.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect::<Vec<_>>().join(" ");
    Ok(Some(Enrolment { secret_text, uri, qr_svg }))
}

/// The QR code of `text` as an inline SVG element (no XML declaration, no style attribute).
fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| anyhow::anyhow!("making a QR code: {e}"))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => svg,
    })
}

/// Ten new recovery codes for `user_id`, stored as hashes on `conn`; the codes are returned to
/// be shown once.
async fn new_recovery_codes(
    conn: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<String>> {
    let codes: Vec<String> = (0..totp::RECOVERY_CODES).map(|_| totp::recovery_code(&rand::random())).collect();
    let hashes: Vec<String> =
        codes.iter().filter_map(|c| totp::normalize_recovery_code(c)).map(|c| totp::hash_recovery_code(&c)).collect();
    two_factor::replace_recovery_codes(conn, user_id, &hashes, now).await?;
    Ok(codes)
}

/// Confirms enrolment with the first code from the app: two-factor is on from now, and the ten
/// recovery codes are returned (shown once).
pub async fn confirm(state: &AppState, user: &User, code: &str, meta: &RequestMeta) -> AppResult<Vec<String>> {
    let stored = two_factor::secret(&state.db, user.id).await?.filter(|s| s.enabled_at.is_none()).ok_or_else(|| {
        AppError::Conflict {
            detail: "there is no enrolment to confirm; start again".into(),
            fields: FieldErrors::new(),
        }
    })?;
    let secret = open_secret(state, user.id, &stored.sealed)?;
    let step = match totp::verify(&secret, code, unix_now(state), None) {
        Ok(step) => step,
        Err(e) => {
            record_failure(state, user, meta, "enrol", e).await?;
            return Err(code_field(e));
        }
    };
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if !two_factor::enable(&txn, user.id, step, now).await? {
        return Err(AppError::Conflict {
            detail: "two-factor sign-in is already on".into(),
            fields: FieldErrors::new(),
        });
    }
    let codes = new_recovery_codes(&txn, user.id, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::TwoFactorEnabled, AuditResult::Success)
            .actor(user.id, &user.username)
            .meta(meta)
            .resource(format!("user:{}", user.id)),
    )
    .await?;
    tracing::info!(user = %user.username, "two-factor enabled");
    Ok(codes)
}

/// Checks a second-factor `code` of `user` (a TOTP code or a recovery code) and uses it up: a
/// TOTP step is not accepted twice, a recovery code only once.
pub async fn check_code(state: &AppState, user: &User, code: &str) -> AppResult<Result<Used, CodeError>> {
    let Some(stored) = two_factor::secret(&state.db, user.id).await?.filter(|s| s.enabled_at.is_some()) else {
        return Ok(Err(CodeError::Wrong));
    };
    if totp::looks_like_totp(code) {
        let secret = open_secret(state, user.id, &stored.sealed)?;
        return Ok(match totp::verify(&secret, code, unix_now(state), stored.last_step) {
            Ok(step) if two_factor::use_step(&state.db, user.id, step).await? => Ok(Used::Totp),
            Ok(_) => Err(CodeError::Replayed),
            Err(e) => Err(e),
        });
    }
    let Some(canonical) = totp::normalize_recovery_code(code) else { return Ok(Err(CodeError::Malformed)) };
    let hash = totp::hash_recovery_code(&canonical);
    Ok(if two_factor::use_recovery_code(&state.db, user.id, &hash, state.now()).await? {
        Ok(Used::Recovery)
    } else {
        Err(CodeError::Wrong)
    })
}

/// Records a refused code in the audit log.
pub async fn record_failure(
    state: &AppState,
    user: &User,
    meta: &RequestMeta,
    stage: &str,
    reason: CodeError,
) -> AppResult<()> {
    let reason = match reason {
        CodeError::Malformed => "malformed",
        CodeError::Wrong => "wrong",
        CodeError::Replayed => "replayed",
    };
    audit::record(
        state,
        Entry::new(AuditEvent::TwoFactorFailed, AuditResult::Failure)
            .actor(user.id, &user.username)
            .meta(meta)
            .resource(format!("user:{}", user.id))
            .details(json!({ "stage": stage, "reason": reason })),
    )
    .await
}

/// Records the use of a recovery code.
pub async fn record_recovery_use(state: &AppState, user: &User, meta: &RequestMeta) -> AppResult<()> {
    let left = two_factor::unused_recovery_codes(&state.db, user.id).await?;
    audit::record(
        state,
        Entry::new(AuditEvent::RecoveryCodeUsed, AuditResult::Success)
            .actor(user.id, &user.username)
            .meta(meta)
            .resource(format!("user:{}", user.id))
            .details(json!({ "remaining": left })),
    )
    .await
}

/// A signed-in user's own check before a change to their second factor.
async fn confirm_current(state: &AppState, user: &User, code: &str, meta: &RequestMeta, stage: &str) -> AppResult<()> {
    if !user.two_factor_enabled() {
        return Err(AppError::Conflict { detail: "two-factor sign-in is not on".into(), fields: FieldErrors::new() });
    }
    // Guessing codes here is bounded like at sign-in: per address, and by the account's lockout.
    if let Err(secs) = throttle::code_attempt(state, &meta.ip).await? {
        return Err(LoginError::Throttled { retry_after_secs: secs }.into());
    }
    let fresh = users::get(&state.db, user.id).await?.ok_or_else(|| AppError::not_found("user"))?;
    if let Some(e) = LoginError::for_lock(&fresh, state.now()) {
        return Err(e.into());
    }
    match check_code(state, user, code).await? {
        Ok(Used::Totp) => Ok(()),
        Ok(Used::Recovery) => record_recovery_use(state, user, meta).await,
        Err(e) => {
            record_failure(state, user, meta, stage, e).await?;
            crate::auth::lockout::register_failure(state, user.id, meta).await?;
            Err(code_field(e))
        }
    }
}

/// New recovery codes (the old ones stop working), after a current code.
pub async fn regenerate(state: &AppState, user: &User, code: &str, meta: &RequestMeta) -> AppResult<Vec<String>> {
    confirm_current(state, user, code, meta, "recovery_codes").await?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let codes = new_recovery_codes(&txn, user.id, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    tracing::info!(user = %user.username, "recovery codes replaced");
    Ok(codes)
}

/// Turns one's own second factor off, after a current code. Refused (403) for roles that must
/// keep it while enforcement is on.
pub async fn disable(state: &AppState, user: &User, code: &str, meta: &RequestMeta) -> AppResult<()> {
    if required_for(state, user) {
        return Err(AppError::Forbidden(
            "two-factor sign-in is mandatory for your role; it cannot be turned off (an admin can reset it)".into(),
        ));
    }
    confirm_current(state, user, code, meta, "disable").await?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    two_factor::disable(&txn, user.id, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::TwoFactorDisabled, AuditResult::Success)
            .actor(user.id, &user.username)
            .meta(meta)
            .resource(format!("user:{}", user.id)),
    )
    .await?;
    tracing::info!(user = %user.username, "two-factor disabled");
    Ok(())
}

/// An admin clears another user's second factor (a lost phone) and signs them out everywhere;
/// they enrol again at their next sign-in if their role requires it. Not for one's own account
/// (use the account page, which asks for a code).
pub async fn reset_by_admin(state: &AppState, actor: &User, id: i64, meta: &RequestMeta) -> AppResult<User> {
    if actor.id == id {
        return Err(AppError::Conflict {
            detail: "reset your own two-factor on /account/security (it asks for a current code)".into(),
            fields: FieldErrors::new(),
        });
    }
    let target = users::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    two_factor::disable(&txn, id, state.now()).await?;
    let ended = sessions::delete_for_user(&txn, id).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    audit::record(
        state,
        Entry::new(AuditEvent::TwoFactorReset, AuditResult::Success)
            .actor(actor.id, &actor.username)
            .meta(meta)
            .resource(format!("user:{id}"))
            .details(json!({ "username": target.username, "was_enabled": target.two_factor_enabled(), "sessions_ended": ended })),
    )
    .await?;
    tracing::info!(actor = %actor.username, user = %target.username, "two-factor reset");
    users::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("user"))
}

/// Recovery codes still unused.
pub async fn unused_codes(state: &AppState, user: &User) -> AppResult<u64> {
    Ok(two_factor::unused_recovery_codes(&state.db, user.id).await?)
}
