//! Counting failed sign-ins and locking accounts (the rules are `aglis_core::lockout`): a
//! failure is counted under a row lock, and a lock queues a message to the owner and every
//! active admin in the same transaction, so the message exists iff the lock does.

use crate::audit::{self, Entry, RequestMeta};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::job::JobPriority;
use aglis_core::lockout::{self, Lock};
use aglis_core::notification::Channel;
use aglis_db::repo::messages::NewMessage;
use aglis_db::repo::users::{self, User};
use aglis_db::{DbError, TransactionTrait};
use chrono::{DateTime, Utc};
use serde_json::json;

/// What one counted failure did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// The lock it caused.
    pub locked: Option<Lock>,
    /// Failures left before the next lock, when close.
    pub remaining: Option<u32>,
}

/// Counts a failed sign-in (wrong password or wrong second factor) of `user_id`. Failures of an
/// inactive or already locked account are not counted: the lock already holds, and counting
/// them would let anyone turn a short lock into a permanent one.
pub async fn register_failure(state: &AppState, user_id: i64, meta: &RequestMeta) -> AppResult<Counted> {
    let now = state.now();
    let policy = &state.config.security.lockout;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let Some(user) = users::get_for_update(&txn, user_id).await? else {
        return Ok(Counted::default());
    };
    let current = user.lockout_state();
    if !user.is_active || lockout::status(&current, now) != lockout::Status::Open {
        return Ok(Counted::default());
    }
    let failure = policy.on_failure(&current, now);
    users::set_lockout(&txn, user_id, &failure.state).await?;
    if let Some(lock) = failure.locked {
        notify_locked(&txn, &user, lock, failure.state.failures, meta, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    state.sessions.clear();
    if let Some(lock) = failure.locked {
        let until = match lock {
            Lock::Until(t) => json!(t),
            Lock::UntilUnlocked => json!("until_unlocked"),
        };
        tracing::warn!(user = %user.username, failures = failure.state.failures, "account locked");
        audit::record(
            state,
            Entry::new(AuditEvent::AccountLocked, AuditResult::Success)
                .actor(user.id, &user.username)
                .meta(meta)
                .resource(format!("user:{}", user.id))
                .details(json!({ "failures": failure.state.failures, "locked_until": until })),
        )
        .await?;
    }
    Ok(Counted { locked: failure.locked, remaining: failure.remaining })
}

/// An admin's unlock of `id`: no lock, no failures counted.
pub async fn unlock(state: &AppState, actor: &User, id: i64, meta: &RequestMeta) -> AppResult<User> {
    let target = users::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("user"))?;
    users::unlock(&state.db, id, state.now()).await?;
    state.sessions.clear();
    let was = target.lockout_state();
    audit::record(
        state,
        Entry::new(AuditEvent::AccountUnlocked, AuditResult::Success)
            .actor(actor.id, &actor.username)
            .meta(meta)
            .resource(format!("user:{id}"))
            .details(json!({
                "username": target.username,
                "failures": was.failures,
                "was_locked": lockout::status(&was, state.now()) != lockout::Status::Open,
            })),
    )
    .await?;
    tracing::info!(actor = %actor.username, user = %target.username, "account unlocked");
    users::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("user"))
}

/// Queues "this account is locked" to its owner and to every active admin: by e-mail when the
/// account has an address, otherwise by WhatsApp when it has a number (staff accounts have
/// both fields, both optional; one with neither is skipped and logged).
async fn notify_locked(
    conn: &impl sea_orm::ConnectionTrait,
    user: &User,
    lock: Lock,
    failures: u32,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let lang = Lang::Id;
    let until = match lock {
        Lock::Until(t) => lang.t("lockout.notify_until").replace(
            "{time}",
            &t.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M WIB").to_string(),
        ),
        Lock::UntilUnlocked => lang.t("lockout.notify_forever").replace("{id}", &user.id.to_string()),
    };
    let body = lang
        .t("lockout.notify_body")
        .replace("{username}", &user.username)
        .replace("{full_name}", &user.full_name)
        .replace("{failures}", &failures.to_string())
        .replace("{ip}", &meta.ip)
        .replace("{until}", &until);
    let subject = lang.t("lockout.notify_subject").replace("{username}", &user.username);
    let mut recipients = vec![user.clone()];
    for admin in users::active_admins(conn).await? {
        if admin.id != user.id {
            recipients.push(admin);
        }
    }
    for r in recipients {
        let (channel, to) = match (&r.email, &r.phone) {
            (Some(email), _) => (Channel::Email, email.clone()),
            (None, Some(phone)) => (Channel::Whatsapp, phone.clone()),
            (None, None) => {
                tracing::warn!(user = %r.username, "no e-mail or phone to tell about a locked account");
                continue;
            }
        };
        let new = NewMessage {
            channel,
            recipient: to,
            subject: (channel == Channel::Email).then(|| subject.clone()),
            body: body.clone(),
            template_code: None,
            variables: None,
            priority: JobPriority::High,
            created_by: None,
        };
        crate::notifications::service::queue(conn, new, now).await?;
    }
    Ok(())
}
