//! The `notifications.send` job: hand one message to the providers and record the outcome.
//! Idempotent: a message that is already sent (or dead) is not sent again.

use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::backoff::retry_delay;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_db::repo::delivery_attempts::{self, NewAttempt};
use aglis_db::repo::messages;
use aglis_integrations::notify::{Outgoing, SendError};

/// The rate-limit key of WhatsApp sends: the installation's sending number.
pub const WHATSAPP_RATE_KEY: &str = "whatsapp";
/// How often a held message (no provider for its channel) is looked at again.
pub const HELD_RECHECK: chrono::Duration = chrono::Duration::minutes(5);

/// Why messages of `channel` are held, naming the settings that would send them.
pub fn no_provider(channel: Channel) -> String {
    match channel {
        Channel::Whatsapp => "no WhatsApp provider is configured: set AGLIS_FONNTE_TOKEN (Fonnte) or AGLIS_META_TOKEN \
             with AGLIS_META_PHONE_NUMBER_ID (WhatsApp Cloud API) and restart"
            .into(),
        Channel::Email => {
            "no e-mail provider is configured: set AGLIS_SMTP_HOST (and the SMTP login) and restart".into()
        }
    }
}

pub async fn send_job(state: AppState, payload: super::service::SendPayload) -> Result<(), JobError> {
    let id = payload.message_id;
    let db_err = JobError::from;
    let Some(pending) = messages::get(&state.db, id).await.map_err(db_err)? else { return Ok(()) };
    if !matches!(
        pending.status,
        MessageStatus::Queued | MessageStatus::Held | MessageStatus::Failed | MessageStatus::Sending
    ) {
        return Ok(()); // already sent, or dead: nothing to do
    }
    if !state.notifier.serves(pending.channel) {
        // Nothing would send it: it waits, visibly, and is looked at again later (a restart with
        // a provider configured sends it at the next look). The attempt does not count.
        messages::mark_held(&state.db, id, &no_provider(pending.channel), state.now()).await.map_err(db_err)?;
        return Err(JobError::RetryAt(state.now() + HELD_RECHECK));
    }
    let rate = state.config.whatsapp_rate;
    if pending.channel == Channel::Whatsapp && rate > 0 {
        let window = chrono::Duration::seconds(i64::from(state.config.whatsapp_rate_window_secs));
        if let Err(retry_at) = aglis_db::rate_limit::acquire(&state.db, WHATSAPP_RATE_KEY, rate, window, state.now())
            .await
            .map_err(db_err)?
        {
            return Err(JobError::RetryAt(retry_at));
        }
    }
    if !messages::start_attempt(&state.db, id, state.now()).await.map_err(db_err)? {
        return Ok(()); // already sent, or dead: nothing to do
    }
    let msg = messages::get(&state.db, id).await.map_err(db_err)?.ok_or("message vanished")?;
    let outgoing = Outgoing {
        message_id: msg.id,
        channel: msg.channel,
        recipient: msg.recipient.clone(),
        subject: msg.subject.clone(),
        body: msg.body.clone(),
    };
    let delivery = state.notifier.send_recorded(&outgoing, state.now()).await;
    let attempts = delivery
        .calls
        .into_iter()
        .map(|c| NewAttempt {
            message_id: id,
            provider: c.provider,
            channel: msg.channel,
            ok: c.error.is_none(),
            error: c.error,
            duration_ms: i32::try_from(c.elapsed.as_millis()).unwrap_or(i32::MAX),
        })
        .collect();
    // The message's own record first: the window between the provider's acceptance and our record
    // is where a crash can cause a duplicate, so nothing else goes in it.
    let outcome = match delivery.result {
        Ok(receipt) => {
            messages::mark_sent(&state.db, id, &receipt.provider, receipt.provider_message_id.as_deref(), state.now())
                .await
                .map_err(db_err)?;
            Ok(())
        }
        Err(e @ SendError::Rejected { .. }) => {
            messages::mark_failed(&state.db, id, &e.to_string(), true, state.now()).await.map_err(db_err)?;
            Ok(()) // retrying cannot help
        }
        Err(e) => {
            let retries = i32::try_from(state.config.notify_retries).unwrap_or(i32::MAX);
            let dead = msg.attempts > retries;
            messages::mark_failed(&state.db, id, &e.to_string(), dead, state.now()).await.map_err(db_err)?;
            if dead {
                Err(JobError::GiveUp(e.to_string()))
            } else {
                let base = chrono::Duration::seconds(i64::from(state.config.notify_retry_base_secs));
                let attempts = u32::try_from(msg.attempts).unwrap_or(1);
                let at = state.now() + retry_delay(attempts, base, chrono::Duration::hours(1));
                Err(JobError::FailedUntil(e.to_string(), at))
            }
        }
    };
    delivery_attempts::record(&state.db, attempts, state.now()).await.map_err(db_err)?;
    outcome
}
