//! Signing in to the portal with a one-time code sent by WhatsApp. Whoever types a number or a
//! customer code gets the same answer, customer or not: a row is written either way (for a
//! stranger with a code nobody was sent), and a guess is counted and refused alike. Codes sent
//! are limited per number and per client address; each code allows five guesses.

use crate::audit::RequestMeta;
use crate::auth::service::{SignedIn, start_session};
use crate::auth::token::{constant_time_eq, random_token};
use crate::error::{AppError, AppResult};
use crate::i18n::msg;
use crate::notifications::service::queue_event;
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::permission::Role;
use aglis_core::portal::{
    CODE_MINUTES, CODES_PER_IP_HOUR, CODES_PER_KEY_HOUR, LoginKey, LoginKeyError, MAX_CODE_ATTEMPTS,
};
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::portal_codes::{self, NewCode};
use aglis_db::repo::sessions::SessionKind;
use aglis_db::repo::users::{self, User};
use aglis_db::{DbError, TransactionTrait};
use chrono::Duration;
use hmac::{KeyInit, Mac};
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

/// The keyed hash a code is stored as: without the server's secret a copy of the table does not
/// give the codes away (a bare hash of six digits would).
pub fn code_hash(state: &AppState, purpose: &str, key: &str, code: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(state.config.secret_bytes()).expect("any key length");
    mac.update(format!("portal:{purpose}:{key}:{code}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn parse_key(raw: &str) -> AppResult<LoginKey> {
    LoginKey::parse(raw).map_err(|e| {
        AppError::field(
            "phone",
            msg(
                match e {
                    LoginKeyError::Empty => "val.portal.login_empty",
                    LoginKeyError::Unreadable => "val.portal.login_unreadable",
                },
                &[],
            ),
        )
    })
}

/// The customer a sign-in names, if any.
pub async fn customer_of(conn: &impl ConnectionTrait, key: &LoginKey) -> AppResult<Option<Customer>> {
    Ok(match key {
        LoginKey::Phone(p) => customers::by_phone(conn, p.as_str()).await?,
        LoginKey::Code(c) => customers::by_code(conn, c).await?,
    })
}

pub async fn limit(state: &AppState, key: &str, per: u32) -> AppResult<()> {
    limit_saying(state, key, per, "val.portal.too_many_codes").await
}

/// [`limit`] with its own message (`{minutes}` until the next try).
pub async fn limit_saying(state: &AppState, key: &str, per: u32, message: &str) -> AppResult<()> {
    match aglis_db::rate_limit::acquire(&state.db, key, per, Duration::hours(1), state.now()).await? {
        Ok(()) => Ok(()),
        Err(until) => {
            let secs = u64::try_from((until - state.now()).num_seconds().max(1)).unwrap_or(60);
            Err(AppError::TooManyRequests {
                detail: msg(message, &[("minutes", &secs.div_ceil(60))]),
                retry_after_secs: secs,
            })
        }
    }
}

fn six_digits() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}

/// Sends a sign-in code to the customer `raw` names (a phone number or customer code), by
/// WhatsApp to the number on file. Says nothing about whether anyone was found.
pub async fn request_code(state: &AppState, raw: &str, ip: &str) -> AppResult<()> {
    let key = parse_key(raw)?;
    limit(state, &format!("portal-ip:{ip}"), CODES_PER_IP_HOUR).await?;
    limit(state, &format!("portal-key:{}", key.key()), CODES_PER_KEY_HOUR).await?;
    let customer = customer_of(&state.db, &key).await?;
    let code = six_digits();
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let new = NewCode {
        login_key: key.key().to_owned(),
        customer_id: customer.as_ref().map(|c| c.id),
        purpose: portal_codes::LOGIN,
        new_phone: None,
        code_hash: code_hash(state, portal_codes::LOGIN, key.key(), &code),
        expires_at: now + Duration::minutes(CODE_MINUTES),
    };
    portal_codes::create(&txn, new, now).await?;
    if let Some(c) = customer {
        let values = otp_values(&c.name, code);
        queue_event(&txn, "otp_login", c.language, &c.phone, &values, JobPriority::Critical, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    Ok(())
}

pub fn otp_values(name: &str, code: String) -> BTreeMap<String, String> {
    [("customerName", name.to_owned()), ("otpCode", code), ("expiryMinutes", CODE_MINUTES.to_string())]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// Checks `code` against the newest code of `purpose` sent for `key`: one attempt is taken
/// first, and a right code is spent. Returns the spent row.
pub async fn check_code(
    state: &AppState,
    purpose: &str,
    key: &str,
    code: &str,
) -> AppResult<aglis_db::repo::portal_codes::PortalCode> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::field("code", msg("val.portal.code_format", &[])));
    }
    let now = state.now();
    let wrong = |left: Option<i32>| match left {
        Some(left) => AppError::Unauthorized(msg("val.portal.code_wrong", &[("left", &left)])),
        None => AppError::Unauthorized(msg("val.portal.code_expired", &[])),
    };
    let Some(row) = portal_codes::latest(&state.db, key, purpose).await? else { return Err(wrong(None)) };
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(wrong(None));
    }
    if !portal_codes::take_attempt(&state.db, row.id, MAX_CODE_ATTEMPTS).await? {
        let secs = u64::try_from((row.expires_at - now).num_seconds().max(1)).unwrap_or(600);
        return Err(AppError::TooManyRequests {
            detail: msg("val.portal.code_spent", &[]),
            retry_after_secs: secs.min(600),
        });
    }
    let right = constant_time_eq(&code_hash(state, purpose, key, code), &row.code_hash);
    if !right || row.customer_id.is_none() {
        return Err(wrong(Some((MAX_CODE_ATTEMPTS - row.attempts - 1).max(0))));
    }
    if !portal_codes::spend(&state.db, row.id, now).await? {
        return Err(wrong(None));
    }
    Ok(row)
}

/// Signs in with a code: the customer's portal account is made on first use, and a session of
/// seven days starts (a browser's earlier session, `previous`, ends).
pub async fn login(
    state: &AppState,
    raw: &str,
    code: &str,
    kind: SessionKind,
    meta: &RequestMeta,
    previous: Option<&str>,
) -> AppResult<(SignedIn, Customer)> {
    let key = parse_key(raw)?;
    let row = check_code(state, portal_codes::LOGIN, key.key(), code).await?;
    let cid = row.customer_id.ok_or_else(|| AppError::Unauthorized(msg("val.portal.code_expired", &[])))?;
    let customer = customers::get(&state.db, cid).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let user = account_of(state, &customer).await?;
    if !user.is_active {
        return Err(AppError::Forbidden(msg("val.portal.account_off", &[])));
    }
    let signed = start_session(state, &user, kind, meta, previous, None).await?;
    let customer = customers::get(&state.db, cid).await?.unwrap_or(customer);
    Ok((signed, customer))
}

/// The customer's portal account, made (role `customer`, a random password nobody knows) when
/// they first sign in with a code.
async fn account_of(state: &AppState, c: &Customer) -> AppResult<User> {
    if let Some(uid) = c.user_id
        && let Some(u) = users::get(&state.db, uid).await?
    {
        return Ok(u);
    }
    let username = c.code.to_ascii_lowercase();
    let cmd = crate::users::service::CreateUser::parse(
        &username,
        &random_token(),
        &c.name,
        None,
        Some(&c.phone),
        Role::Customer,
    )?;
    let new = crate::users::service::prepare(cmd).await?;
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let user = crate::users::service::insert(&txn, new, now).await?;
    customers::set_user(&txn, c.id, Some(user.id)).await?;
    customers::add_event(&txn, c.id, "account", &format!("portal account {}", user.username), None, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(user)
}
