//! Recorded billing runs: one started from the billing page is queued as the job `billing.run`
//! and its progress written as it goes, so that the page shows it move; the daily schedule
//! `billing_monthly_run` bills the month on and after its billing day (a customer activated later
//! in the month is billed the next morning), recording a run only when there is something to
//! write. The run itself is [`super::run`]: idempotent, so a retried job finishes the work.

use super::run::{self, RunReport};
use crate::error::{AppError, AppResult};
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::billing_run::RunTrigger;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::DbError;
use aglis_db::TransactionTrait;
use aglis_db::jobs::{self, NewJob};
use aglis_db::repo::billing_runs::{self, BillingRun, Outcome};
use serde::{Deserialize, Serialize};

pub const RUN_JOB: &str = "billing.run";
pub const MONTHLY_JOB: &str = "billing.monthly_run";

#[derive(Debug, Serialize, Deserialize)]
pub struct RunJob {
    pub run_id: i64,
}

/// Queues a run of `period` by `actor`, or answers the run of that period still under way.
pub async fn queue(state: &AppState, period: Period, actor: i64) -> AppResult<BillingRun> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let active = billing_runs::active(&txn).await?;
    if let Some(running) = active.into_iter().find(|r| r.period == period.to_string()) {
        return Ok(running);
    }
    let now = state.now();
    let recorded = billing_runs::queue(&txn, &period.to_string(), RunTrigger::Manual, Some(actor), now).await?;
    let job = NewJob::new(RUN_JOB, serde_json::json!(RunJob { run_id: recorded.id }));
    jobs::enqueue(&txn, job, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(recorded)
}

/// Runs the recorded run `id` to its end, writing what it did or why it failed.
pub async fn execute(state: &AppState, id: i64) -> AppResult<Option<RunReport>> {
    let Some(recorded) = billing_runs::get(&state.db, id).await? else { return Ok(None) };
    if !billing_runs::start(&state.db, id, state.now()).await? {
        return Ok(None); // finished already
    }
    let Some(period) = Period::parse(&recorded.period) else {
        billing_runs::fail(&state.db, id, "the run's month is not a month", state.now()).await?;
        return Ok(None);
    };
    match run::run(state, period, false, recorded.started_by, Some(id)).await {
        Ok(report) => {
            billing_runs::finish(&state.db, id, outcome(&report), state.now()).await?;
            tracing::info!(run = id, period = %report.period, created = report.created, "billing run done");
            Ok(Some(report))
        }
        Err(e) => {
            let why = match &e {
                AppError::Conflict { detail, .. } => detail.clone(),
                other => other.to_string(),
            };
            tracing::error!(run = id, error = %why, "billing run failed");
            billing_runs::fail(&state.db, id, &why, state.now()).await?;
            Ok(None)
        }
    }
}

/// A run's report as its record keeps it.
pub fn outcome(r: &RunReport) -> Outcome {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Outcome {
        customers: n(r.customers),
        created: n(r.created),
        already_billed: n(r.already_billed),
        nothing_to_bill: n(r.nothing_to_bill),
        total: r.total,
    }
}

pub async fn run_job(state: AppState, job: RunJob) -> Result<(), JobError> {
    execute(&state, job.run_id).await?;
    Ok(())
}

/// The daily schedule's job: this month's run once its billing day has come, recorded when it
/// has invoices to write.
pub async fn monthly_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let today = state.now().with_timezone(&JAKARTA).date_naive();
    let period = Period::containing(today);
    let settings = super::profile::load(&state.db).await?.rules();
    if today < settings.issue_day(period) {
        return Ok(());
    }
    let plan = run::run(&state, period, true, None, None).await?;
    if plan.created == 0 {
        return Ok(());
    }
    let recorded = billing_runs::queue(&state.db, &period.to_string(), RunTrigger::Schedule, None, state.now()).await?;
    execute(&state, recorded.id).await?;
    Ok(())
}
