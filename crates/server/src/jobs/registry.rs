//! Job kinds and their handlers. A handler gets the state and the job's payload and must be
//! idempotent: a retry after a crash runs it again.

use crate::state::AppState;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Why a handler did not finish its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// A failed attempt: retried with backoff, dead after the last one.
    Failed(String),
    /// Not now (a rate limit): run again at this time; the attempt does not count.
    RetryAt(chrono::DateTime<chrono::Utc>),
    /// A failed attempt whose handler picks the next try's time (its own backoff settings).
    FailedUntil(String, chrono::DateTime<chrono::Utc>),
    /// A failed attempt after which the handler gives up: the job is dead at once.
    GiveUp(String),
}

impl From<String> for JobError {
    fn from(e: String) -> Self {
        JobError::Failed(e)
    }
}

impl From<&str> for JobError {
    fn from(e: &str) -> Self {
        JobError::Failed(e.to_owned())
    }
}

/// `e` and every cause under it, `outer: inner: root`, as the job's last error.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// A failed database step: retried (the database may be back by then), with its causes.
impl From<aglis_db::DbError> for JobError {
    fn from(e: aglis_db::DbError) -> Self {
        JobError::Failed(cause_chain(&e))
    }
}

/// A failed use case (its cause chain kept): retried.
impl From<crate::error::AppError> for JobError {
    fn from(e: crate::error::AppError) -> Self {
        JobError::Failed(cause_chain(&e))
    }
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::Failed(format!("{e:#}"))
    }
}

pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
pub type Handler = Arc<dyn Fn(AppState, serde_json::Value) -> JobFuture + Send + Sync>;

/// Job kind → handler.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn register<F, Fut, E>(&mut self, kind: &str, f: F)
    where
        F: Fn(AppState, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<JobError> + 'static,
    {
        self.handlers.insert(
            kind.to_owned(),
            Arc::new(move |s, p| {
                let fut = f(s, p);
                Box::pin(async move { fut.await.map_err(Into::into) })
            }),
        );
    }

    /// Registers `f` for `kind` with its payload decoded as `P` (the type its producer enqueues).
    /// A payload that is not a `P` makes the job dead at once, saying why: no retry can fix it.
    pub fn register_typed<P, F, Fut, E>(&mut self, kind: &str, f: F)
    where
        P: DeserializeOwned + Send + 'static,
        F: Fn(AppState, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<JobError> + 'static,
    {
        let name = kind.to_owned();
        self.handlers.insert(
            kind.to_owned(),
            Arc::new(move |s, p| match serde_json::from_value::<P>(p) {
                Ok(payload) => {
                    let fut = f(s, payload);
                    Box::pin(async move { fut.await.map_err(Into::into) })
                }
                Err(e) => {
                    let why = format!("the payload of a `{name}` job is not valid: {e}");
                    Box::pin(async move { Err(JobError::GiveUp(why)) })
                }
            }),
        );
    }

    pub fn get(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<_> = self.handlers.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}

pub const PURGE_EXPIRED_SESSIONS: &str = "sessions.purge_expired";

/// The handlers every instance knows.
pub fn builtin_registry() -> Registry {
    let mut r = Registry::default();
    r.register(PURGE_EXPIRED_SESSIONS, purge_expired_sessions);
    r.register(crate::tickets::escalation::SLA_CHECK_JOB, crate::tickets::escalation::sla_check_job);
    r.register_typed(crate::notifications::service::SEND_JOB, crate::notifications::dispatch::send_job);
    r.register_typed(crate::notifications::webhooks::APPLY_FONNTE_JOB, crate::notifications::webhooks::apply_fonnte);
    r.register_typed(
        crate::notifications::meta_webhook::APPLY_META_JOB,
        crate::notifications::meta_webhook::apply_meta,
    );
    r.register(crate::audit::purge::PURGE_JOB, crate::audit::purge::purge_job);
    r.register_typed(crate::backup::jobs::CREATE_JOB, crate::backup::jobs::create_job);
    r.register(crate::backup::jobs::VERIFY_JOB, crate::backup::jobs::verify_job);
    r.register(crate::backup::jobs::WATCH_JOB, crate::backup::jobs::watch_job);
    r.register_typed(crate::backup::jobs::ALERT_JOB, crate::backup::jobs::alert_job);
    r.register(crate::monitoring::alerting::EVALUATE_JOB, crate::monitoring::alerting::evaluate_job);
    r.register(crate::billing::OVERDUE_JOB, crate::billing::overdue_job);
    r.register_typed(crate::billing::webhooks::APPLY_PAYMENT_JOB, crate::billing::webhooks::apply_callback);
    r.register(crate::billing::reconcile::POLL_JOB, crate::billing::reconcile::poll_job);
    r.register(crate::billing::reminders::REMINDER_JOB, crate::billing::reminders::reminders_job);
    r.register(crate::billing::prepaid::RENEWAL_JOB, crate::billing::prepaid::renewals_job);
    r.register_typed(crate::billing::runs::RUN_JOB, crate::billing::runs::run_job);
    r.register(crate::billing::runs::MONTHLY_JOB, crate::billing::runs::monthly_job);
    r.register_typed(crate::enforcement::reconcile::APPLY_JOB, crate::enforcement::reconcile::apply_job);
    r.register(crate::enforcement::reconcile::SWEEP_JOB, crate::enforcement::reconcile::sweep_job);
    r.register(crate::enforcement::policy::POLICY_JOB, crate::enforcement::policy::policy_job);
    r.register_typed(crate::enforcement::policy::PAID_JOB, crate::enforcement::policy::paid_job);
    r
}

/// Deletes login sessions and API tokens that have expired, and portal codes a day old (they
/// expired after ten minutes; the per-number limits are kept apart).
async fn purge_expired_sessions(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let n = aglis_db::repo::sessions::purge_expired(&state.db, state.now()).await?;
    let codes = aglis_db::repo::portal_codes::purge(&state.db, state.now() - chrono::Duration::days(1)).await?;
    tracing::info!(deleted = n, portal_codes = codes, "expired sessions purged");
    Ok(())
}
