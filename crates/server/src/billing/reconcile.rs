//! The status poll: pending checkouts whose callback has not come (a firewall, a redirect, a 500
//! on our side, a gateway that never sent it) are asked about at the gateway, and what it says is
//! applied as a callback would be. Runs every five minutes on the lease holder; each checkout is
//! asked again only after `AGLIS_PAYMENT_POLL_AFTER_MINS`.

use super::online;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_db::repo::payment_checkouts;
use chrono::TimeDelta;

pub const POLL_JOB: &str = "billing.poll_checkouts";
/// Checkouts asked about per run.
const BATCH: u64 = 50;
/// A checkout still pending after this many polls is given up on (the gateway expires it long
/// before: Snap and Xendit checkouts live a day).
const MAX_CHECKS: i32 = 300;

/// What one poll run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub asked: usize,
    pub applied: usize,
    pub failed: usize,
}

pub async fn poll(state: &AppState) -> Result<PollReport, JobError> {
    let now = state.now();
    let wait = TimeDelta::minutes(i64::from(state.config.payments.poll_after_mins));
    let due = payment_checkouts::due_for_poll(&state.db, now - wait, now - wait, BATCH).await?;
    let gateways = online::gateways(state)?;
    let mut report = PollReport::default();
    for checkout in due.into_iter().filter(|c| c.checks < MAX_CHECKS) {
        let Some(gateway) = gateways.iter().find(|g| g.name() == checkout.gateway) else { continue };
        report.asked += 1;
        match gateway.status(&checkout.order_id, &checkout.gateway_ref).await {
            Ok(Some(status)) => {
                let (applied, _) = online::apply(state, gateway.name(), &status).await?;
                if applied.outcome() == "applied" {
                    report.applied += 1;
                    tracing::info!(order_id = %checkout.order_id, ?applied, "status poll applied a payment state");
                }
            }
            Ok(None) => {}
            Err(e) => {
                report.failed += 1;
                tracing::warn!(order_id = %checkout.order_id, error = %e, "status poll failed");
            }
        }
        payment_checkouts::polled(&state.db, checkout.id, state.now()).await?;
    }
    Ok(report)
}

pub async fn poll_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let report = poll(&state).await?;
    if report.asked > 0 {
        tracing::info!(?report, "payment status poll");
    }
    Ok(())
}
