//! What a customer changes about themself in the portal: their e-mail, their phone number (the
//! new number is confirmed by a code sent to it first), which optional WhatsApp messages they
//! get, and a password for signing in at `/login` without a code.

use super::extract::PortalCustomer;
use super::login::{code_hash, limit, otp_values};
use crate::error::{AppError, AppResult};
use crate::i18n::msg;
use crate::notifications::service::queue_event;
use crate::state::AppState;
use crate::validation::Explain;
use aglis_core::job::JobPriority;
use aglis_core::phone::Phone;
use aglis_core::portal::{self, CODE_MINUTES, MessageTopic};
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::portal_codes::{self, NewCode};
use aglis_db::repo::users::{self, UserChanges};
use aglis_db::{DbError, TransactionTrait};
use chrono::Duration;

/// Number changes asked for per customer in an hour.
pub const PHONE_CHANGES_PER_HOUR: u32 = 3;

/// Codes for a number change are filed under the customer, not under a number.
fn change_key(customer_id: i64) -> String {
    format!("customer:{customer_id}")
}

/// Sends a code to `raw`, the number the customer wants to use; returns it normalised.
pub async fn request_phone_change(state: &AppState, pc: &PortalCustomer, raw: &str) -> AppResult<Phone> {
    let phone = Phone::parse(raw).map_err(|e| AppError::field("phone", e.explain()))?;
    if phone.as_str() == pc.customer.phone {
        return Err(AppError::field("phone", msg("val.portal.phone_same", &[])));
    }
    if customers::by_phone(&state.db, phone.as_str()).await?.is_some_and(|c| c.id != pc.customer.id) {
        return Err(AppError::field("phone", msg("val.portal.phone_taken", &[])));
    }
    limit(state, &format!("portal-phone:{}", pc.customer.id), PHONE_CHANGES_PER_HOUR).await?;
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let key = change_key(pc.customer.id);
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let new = NewCode {
        login_key: key.clone(),
        customer_id: Some(pc.customer.id),
        purpose: portal_codes::PHONE,
        new_phone: Some(phone.as_str().to_owned()),
        code_hash: code_hash(state, portal_codes::PHONE, &key, &code),
        expires_at: now + Duration::minutes(CODE_MINUTES),
    };
    portal_codes::create(&txn, new, now).await?;
    let values = otp_values(&pc.customer.name, code);
    queue_event(&txn, "phone_change_otp", pc.customer.language, phone.as_str(), &values, JobPriority::Critical, now)
        .await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(phone)
}

/// The number a change waits on, if a code was sent and is still good.
pub async fn pending_phone(state: &AppState, pc: &PortalCustomer) -> AppResult<Option<String>> {
    let row = portal_codes::latest(&state.reads, &change_key(pc.customer.id), portal_codes::PHONE).await?;
    Ok(row.filter(|r| r.used_at.is_none() && r.expires_at > state.now()).and_then(|r| r.new_phone))
}

/// Confirms the change with the code the new number received: the record and the account take it.
pub async fn confirm_phone_change(state: &AppState, pc: &PortalCustomer, code: &str) -> AppResult<String> {
    let row = super::login::check_code(state, portal_codes::PHONE, &change_key(pc.customer.id), code).await?;
    let phone = row.new_phone.ok_or_else(|| AppError::field("code", msg("val.portal.code_expired", &[])))?;
    if customers::by_phone(&state.db, &phone).await?.is_some_and(|c| c.id != pc.customer.id) {
        return Err(AppError::field("phone", msg("val.portal.phone_taken", &[])));
    }
    let now = state.now();
    let mut profile = Profile::from(&pc.customer);
    profile.phone = phone.clone();
    let change = format!("phone {} → {phone} (portal, confirmed by code)", pc.customer.phone);
    let txn = state.db.begin().await.map_err(DbError::from)?;
    customers::update_profile(&txn, pc.customer.id, profile, &change, Some(pc.auth.user.id), now).await?;
    let changes = UserChanges { phone: Some(Some(phone.clone())), ..UserChanges::default() };
    users::update(&txn, pc.auth.user.id, changes, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(phone)
}

/// Sets (or clears, when empty) the customer's e-mail address.
pub async fn set_email(state: &AppState, pc: &PortalCustomer, raw: &str) -> AppResult<()> {
    let email = match raw.trim() {
        "" => None,
        typed => Some(aglis_core::user::parse_email(typed).map_err(|e| AppError::field("email", e.explain()))?),
    };
    let mut profile = Profile::from(&pc.customer);
    profile.email = email;
    customers::update_profile(
        &state.db,
        pc.customer.id,
        profile,
        "e-mail (portal)",
        Some(pc.auth.user.id),
        state.now(),
    )
    .await?;
    Ok(())
}

/// Keeps the optional messages the customer ticked, turning the others off.
pub async fn set_messages(state: &AppState, pc: &PortalCustomer, wanted: &[MessageTopic]) -> AppResult<()> {
    let off: Vec<MessageTopic> = MessageTopic::ALL.iter().copied().filter(|t| !wanted.contains(t)).collect();
    customers::set_muted(&state.db, pc.customer.id, &portal::muted_text(&off), state.now()).await?;
    Ok(())
}

/// Sets a password for signing in at `/login` with the customer code as the username.
pub async fn set_password(state: &AppState, pc: &PortalCustomer, password: &str, again: &str) -> AppResult<()> {
    aglis_core::user::check_new_password(password).map_err(|e| AppError::field("password", e.explain()))?;
    if password != again {
        return Err(AppError::field("password_again", msg("val.portal.password_again", &[])));
    }
    let hash = crate::auth::password::hash_async(password.to_owned()).await?;
    users::set_password(&state.db, pc.auth.user.id, &hash, state.now()).await?;
    Ok(())
}
