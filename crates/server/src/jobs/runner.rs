//! The job runner: claims due jobs, runs their handlers, records the outcome. Every instance runs
//! one. `run_once` does one batch synchronously (tests drain the queue with it); `run` loops.

use crate::jobs::registry::{JobError, Registry};
use crate::state::AppState;
use aglis_core::backoff::default_retry_delay;
use aglis_db::jobs::{self, Failure, Job};
use chrono::Duration;
use std::sync::Arc;
use tokio::sync::watch;

/// How long a claimed job stays locked; a runner that dies frees its jobs after this.
pub const LOCK_FOR: Duration = Duration::minutes(5);
pub const BATCH: u64 = 10;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub claimed: usize,
    pub done: usize,
    pub retried: usize,
    pub dead: usize,
    /// Put back by a rate limit, attempt not counted.
    pub deferred: usize,
}

pub struct Runner {
    state: AppState,
    registry: Arc<Registry>,
    worker_id: String,
    lock_for: Duration,
}

impl Runner {
    pub fn new(state: AppState, registry: Arc<Registry>) -> Self {
        let worker_id = format!("{}-{}", hostname(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Self { state, registry, worker_id, lock_for: LOCK_FOR }
    }

    pub fn with_lock_for(mut self, lock_for: Duration) -> Self {
        self.lock_for = lock_for;
        self
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Claims one batch of due jobs and runs them one after another.
    pub async fn run_once(&self) -> Result<RunReport, aglis_db::DbError> {
        let now = self.state.now();
        let batch = jobs::claim(&self.state.db, &self.worker_id, BATCH, self.lock_for, now).await?;
        let mut report = RunReport { claimed: batch.len(), ..RunReport::default() };
        for job in batch {
            match self.execute(&job).await {
                Ok(()) => {
                    if jobs::complete(&self.state.db, job.id, &self.worker_id, self.state.now()).await? {
                        report.done += 1;
                    }
                }
                Err(JobError::RetryAt(at)) => {
                    if jobs::defer(&self.state.db, &job, &self.worker_id, at, self.state.now()).await? {
                        report.deferred += 1;
                    }
                }
                Err(JobError::Failed(error)) => self.record_failure(&job, &error, None, false, &mut report).await?,
                Err(JobError::FailedUntil(error, at)) => {
                    self.record_failure(&job, &error, Some(at), false, &mut report).await?;
                }
                Err(JobError::GiveUp(error)) => self.record_failure(&job, &error, None, true, &mut report).await?,
            }
        }
        Ok(report)
    }

    /// Records a failed attempt: retried at `retry_at` (or after the default backoff), or dead
    /// when it was the last attempt or the handler gave up.
    async fn record_failure(
        &self,
        job: &Job,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        give_up: bool,
        report: &mut RunReport,
    ) -> Result<(), aglis_db::DbError> {
        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
        let now = self.state.now();
        let last = if give_up { Job { attempts: job.max_attempts, ..job.clone() } } else { job.clone() };
        let delay = |attempts: u32| retry_at.map_or_else(|| default_retry_delay(attempts), |at| at - now);
        match jobs::fail(&self.state.db, &last, &self.worker_id, error, now, delay).await? {
            Failure::Retry(_) => report.retried += 1,
            Failure::Dead => {
                tracing::error!(job = job.id, kind = %job.kind, %error, "job dead after its last attempt");
                report.dead += 1;
                let captured = crate::monitoring::errors::Captured {
                    source: aglis_core::alerting::ErrorSource::Job,
                    title: error.lines().next().unwrap_or_default().to_owned(),
                    route: job.kind.clone(),
                    method: None,
                    request_id: Some(format!("job-{}", job.id)),
                    user_id: None,
                    detail: format!("job {} ({}) dead after {} attempts: {error}", job.id, job.kind, job.attempts),
                    backtrace: None,
                };
                crate::monitoring::errors::record(&self.state, captured).await;
            }
            Failure::NotHeld => {}
        }
        Ok(())
    }

    async fn execute(&self, job: &Job) -> Result<(), JobError> {
        let Some(handler) = self.registry.get(&job.kind) else {
            return Err(JobError::Failed(format!("no handler for job kind `{}`", job.kind)));
        };
        // A panicking handler is a failed attempt, not a dead runner.
        // Stored text that is not JSON stays so: no retry can help.
        let payload =
            job.payload_json().map_err(|e| JobError::GiveUp(format!("the stored payload is not JSON: {e}")))?;
        let fut = handler(self.state.clone(), payload);
        match tokio::spawn(fut).await {
            Ok(result) => result,
            Err(e) => Err(JobError::Failed(format!("handler panicked: {e}"))),
        }
    }

    /// Runs batches until `stop` turns true; sleeps `poll` when the queue is empty.
    pub async fn run(self, poll: std::time::Duration, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.worker_id, "job runner started");
        loop {
            if *stop.borrow() {
                break;
            }
            let idle = match self.run_once().await {
                Ok(report) => report.claimed == 0,
                Err(e) => {
                    tracing::error!(error = %e, "job runner could not reach the database");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.worker_id, "job runner stopped");
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "aglis".into())
}
