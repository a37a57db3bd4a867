//! The suspension policy (`network.suspend_overdue`, hourly 09:00–16:00 WIB): active customers with
//! an invoice overdue past the grace period are suspended, unless the day is one the ISP keeps free
//! (weekends, holidays) or the circuit breaker finds the run suspicious: more than
//! `AGLIS_SUSPEND_MAX_SHARE` percent of a device's active customers at once is more likely a
//! billing mistake than a bad month, so that device's customers are left alone and the admins
//! are alerted (the `suspension_breaker` rule). The same run restores customers suspended for
//! being overdue whose debt was settled some other way (a credit note, a manual adjustment).

use super::service::{Requester, restore_if_cleared, set_service};
use crate::error::AppResult;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::enforcement::{ServiceState, SuspendReason, breaker_trips};
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::billing_stats::{self, CustomerAging};
use aglis_db::repo::customer_services;
use aglis_db::repo::network_devices;

pub const POLICY_JOB: &str = "network.suspend_overdue";
pub const PAID_JOB: &str = "network.payment_cleared";
/// Candidates read per run (far beyond any real month).
const MAX_CANDIDATES: u64 = 100_000;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyReport {
    /// Why nothing was suspended, when the policy did not act at all.
    pub skipped: Option<String>,
    pub candidates: usize,
    pub suspended: usize,
    /// Devices (or "unbound customers") the breaker held back, with their counts.
    pub tripped: Vec<String>,
    pub restored: usize,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PaidPayload {
    pub customer_id: i64,
}

pub async fn policy_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let report = run(&state).await?;
    tracing::info!(?report, "suspension policy");
    Ok(())
}

pub async fn paid_job(state: AppState, p: PaidPayload) -> Result<(), JobError> {
    if restore_if_cleared(&state, p.customer_id).await? {
        tracing::info!(customer_id = p.customer_id, "payment cleared the debt: service restored");
    }
    Ok(())
}

/// Queues the check of a customer's debt after a payment (in the payment's transaction).
pub async fn after_payment(
    conn: &impl aglis_db::ConnectionTrait,
    customer_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), aglis_db::DbError> {
    let job = aglis_db::jobs::NewJob::new(PAID_JOB, serde_json::json!(PaidPayload { customer_id }))
        .priority(aglis_core::job::JobPriority::High);
    aglis_db::jobs::enqueue(conn, job, now).await.map(|_| ())
}

/// One run of the policy.
pub async fn run(state: &AppState) -> AppResult<PolicyReport> {
    let mut report = PolicyReport::default();
    for id in customer_services::suspended_for_overdue(&state.db, 10_000).await? {
        if restore_if_cleared(state, id).await? {
            report.restored += 1;
        }
    }
    let cfg = &state.config.enforcement;
    let today = state.now().with_timezone(&JAKARTA).date_naive();
    if !cfg.auto_suspend {
        report.skipped = Some("automatic suspension is off (AGLIS_SUSPEND_AUTO)".into());
        return Ok(report);
    }
    if !cfg.calendar.allows(today) {
        report.skipped = Some(format!("{today} is a weekend day or holiday without suspensions"));
        return Ok(report);
    }
    let cutoff = crate::billing::collections::grace_cutoff(state);
    let (candidates, _) = billing_stats::aging_by_customer(&state.db, today, Some(cutoff), 0, MAX_CANDIDATES).await?;
    report.candidates = candidates.len();
    if candidates.is_empty() {
        return Ok(report);
    }
    // Group by device; customers bound to none are judged against all active customers.
    let ids: Vec<i64> = candidates.iter().map(|c| c.customer_id).collect();
    // Customer → device, looked up once per candidate (a bad month can have thousands).
    let bound: std::collections::HashMap<i64, i64> =
        customer_services::devices_of(&state.db, &ids).await?.into_iter().collect();
    let device_of = |id: i64| bound.get(&id).copied();
    let active = customer_services::active_per_device(&state.db).await?;
    let all_active = usize::try_from(customer_services::active_customers(&state.db).await?).unwrap_or(usize::MAX);
    let devices = network_devices::all(&state.db).await?;
    let mut groups: Vec<(Option<i64>, Vec<&CustomerAging>)> = Vec::new();
    for c in &candidates {
        let d = device_of(c.customer_id);
        match groups.iter_mut().find(|(g, _)| *g == d) {
            Some((_, list)) => list.push(c),
            None => groups.push((d, vec![c])),
        }
    }
    for (device, list) in groups {
        let (name, base) = match device {
            Some(id) => {
                let n = active.iter().find(|(d, _)| *d == id).map_or(0, |(_, n)| *n);
                let name =
                    devices.iter().find(|d| d.id == id).map_or_else(|| format!("device {id}"), |d| d.name.clone());
                (name, usize::try_from(n).unwrap_or(usize::MAX))
            }
            None => ("customers without a device".to_owned(), all_active),
        };
        if breaker_trips(list.len(), base, cfg.max_share_pct) {
            report.tripped.push(format!("{name}: {}/{base}", list.len()));
            continue;
        }
        for c in list {
            let note =
                format!("tagihan lewat jatuh tempo sejak {} ({} tagihan)", c.oldest_due.format("%d/%m/%Y"), c.invoices);
            let changed = set_service(
                state,
                c.customer_id,
                ServiceState::Suspended,
                SuspendReason::Overdue,
                &note,
                &Requester::Policy,
            )
            .await?;
            if changed == super::service::Changed::Yes {
                report.suspended += 1;
            }
        }
    }
    // Who the breaker held back (`device: would/active`); the page says the rest in its language.
    let detail = report.tripped.join("; ");
    customer_services::add_run(
        &state.db,
        report.candidates,
        report.suspended,
        !report.tripped.is_empty(),
        &detail,
        state.now(),
    )
    .await?;
    Ok(report)
}
