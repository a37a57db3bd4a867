//! The database watchdog, on every instance: the alert evaluation cannot tell that the database
//! is down (it runs from the job queue, in the database), so each instance pings it every 15 s.
//! After two failures in a row the admins are told directly through the providers, not the
//! queue, and again after the database rule's re-notify interval; once the database answers again
//! the incident is recorded in the alert history and the all-clear goes through the queue.
//!
//! The recipients and the rule's settings are the ones read at the last successful tick. Several
//! instances each send their own direct notice (they cannot agree without the database); only one
//! records the incident.

use super::alerting::{Notice, Recipient, compose, recipients};
use crate::state::AppState;
use aglis_core::alerting::{AlertStatus, RuleCode, muted};
use aglis_db::repo::alerts::{self, DirectIncident};
use aglis_integrations::notify::Outgoing;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, PoisonError};

/// Failed pings in a row before the database counts as down.
pub const DOWN_AFTER: u32 = 2;
pub const TICK: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Debug, Default, Clone)]
struct WatchState {
    failures: u32,
    down_since: Option<DateTime<Utc>>,
    notified_at: Option<DateTime<Utc>>,
    notifications: i32,
    last_error: String,
    /// From the last successful tick.
    recipients: Vec<Recipient>,
    renotify_minutes: i32,
    muted_until: Option<DateTime<Utc>>,
    enabled: bool,
}

#[derive(Debug, Default)]
pub struct Watchdog {
    state: Mutex<WatchState>,
}

/// What one tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    Up,
    /// Failing, not (yet) notified.
    Failing,
    /// Down, and this tick sent the direct notice to this many recipients.
    Notified(usize),
    /// Back up; the incident was recorded in the history.
    Recovered,
}

impl Watchdog {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pings the database and acts on the result.
    pub async fn tick(&self, state: &AppState) -> Tick {
        let now = state.now();
        let check = super::health::database(state).await;
        if check.status == super::health::CheckStatus::Ok {
            return self.up(state, now).await;
        }
        let (send, to) = {
            let mut w = self.lock();
            w.failures += 1;
            w.down_since.get_or_insert(now);
            w.last_error = check.message.clone().unwrap_or_else(|| "the database does not answer".into());
            let due = match w.notified_at {
                None => true,
                Some(at) => {
                    w.renotify_minutes > 0 && now - at >= chrono::Duration::minutes(i64::from(w.renotify_minutes))
                }
            };
            let send = w.failures >= DOWN_AFTER && due && w.enabled && !muted(w.muted_until, now);
            (send, w.recipients.clone())
        };
        if !send {
            return Tick::Failing;
        }
        let (started, detail, notice) = {
            let w = self.lock();
            let notice = if w.notified_at.is_some() { Notice::Reminder } else { Notice::Firing };
            (w.down_since.unwrap_or(now), w.last_error.clone(), notice)
        };
        let (subject, body) = compose(state, RuleCode::Database, notice, "down", &detail, started, now);
        let mut sent = 0;
        for r in &to {
            let message = Outgoing {
                message_id: 0,
                channel: r.channel,
                recipient: r.to.clone(),
                subject: Some(subject.clone()),
                body: body.clone(),
            };
            match state.notifier.send(&message, now).await {
                Ok(_) => sent += 1,
                Err(e) => {
                    tracing::error!(error = %e, channel = %r.channel, "the direct database alert could not be sent")
                }
            }
        }
        tracing::error!(recipients = sent, since = %started, "database unreachable: alerted directly");
        let mut w = self.lock();
        w.notified_at = Some(now);
        w.notifications += 1;
        Tick::Notified(sent)
    }

    async fn up(&self, state: &AppState, now: DateTime<Utc>) -> Tick {
        let incident = {
            let mut w = self.lock();
            let incident =
                w.notified_at.map(|at| (w.down_since.unwrap_or(at), at, w.notifications, w.last_error.clone()));
            w.failures = 0;
            w.down_since = None;
            w.notified_at = None;
            w.notifications = 0;
            incident
        };
        self.refresh(state).await;
        let Some((started, notified_at, notifications, detail)) = incident else { return Tick::Up };
        if let Err(e) = record(state, started, notified_at, notifications, &detail, now).await {
            tracing::error!(error = %e, "the database outage could not be recorded");
        }
        Tick::Recovered
    }

    /// Reads the database rule and its recipients for the next outage.
    async fn refresh(&self, state: &AppState) {
        let Ok(Some(rule)) = alerts::rule(&state.db, RuleCode::Database).await else { return };
        let Ok(to) = recipients(&state.db, &rule).await else { return };
        let mut w = self.lock();
        w.recipients = to;
        w.renotify_minutes = rule.renotify_minutes;
        w.muted_until = rule.muted_until;
        w.enabled = rule.enabled;
    }
}

/// Records the outage (unless another instance already did) and queues the all-clear.
async fn record(
    state: &AppState,
    started: DateTime<Utc>,
    notified_at: DateTime<Utc>,
    notifications: i32,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), aglis_db::DbError> {
    use aglis_db::TransactionTrait;
    let (recent, _) = alerts::history(&state.db, Some(RuleCode::Database), 1, 5).await?;
    if recent
        .iter()
        .any(|a| a.direct && a.status == AlertStatus::Resolved && a.resolved_at.is_some_and(|r| r >= started))
    {
        return Ok(());
    }
    let txn = state.db.begin().await?;
    alerts::record_direct(
        &txn,
        DirectIncident {
            code: RuleCode::Database,
            value: "down",
            detail,
            started_at: started,
            resolved_at: Some(now),
            notified_at: Some(notified_at),
            notifications,
        },
    )
    .await?;
    if let Some(rule) = alerts::rule(&txn, RuleCode::Database).await?
        && !muted(rule.muted_until, now)
    {
        let (subject, body) = compose(state, RuleCode::Database, Notice::Resolved, "up", detail, started, now);
        let to = recipients(&txn, &rule).await?;
        super::alerting::queue_notice(&txn, &to, &subject, &body, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
