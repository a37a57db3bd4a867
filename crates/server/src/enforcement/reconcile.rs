//! The reconciler: makes each device do what the database says. A job per change (`network.apply`,
//! queued with the change, so a suspension or a payment reaches the router within seconds) and a
//! sweep every minute (`network.reconcile`) for retries and the drift check. Each look reads the
//! device, writes only what differs, and reads it back; a failure is retried with backoff
//! (5 s, 15 s, 60 s, then every 5 minutes, never given up); a device found changed by hand is
//! corrected and the drift logged. A device in dry run is only read: the log says what it would do.

use super::driver::{self, Driver, Seen};
use crate::error::AppResult;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{DRIFT_CHECK_EVERY, Method, ServiceState, desired_for, retry_after};
use aglis_db::jobs::{self, NewJob};
use aglis_db::repo::customer_services::{self, NewAction, Service};
use aglis_db::repo::network_devices::{self, Device};
use aglis_db::{ConnectionTrait, DbError};
use aglis_integrations::network::{NetError, Outcome, Snapshot};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const APPLY_JOB: &str = "network.apply";
pub const SWEEP_JOB: &str = "network.reconcile";
/// Services looked at per sweep (a drift check from a router's snapshot costs a database write).
const SWEEP_BATCH: u64 = 2_000;
/// Retries this soon get a job of their own; later ones wait for the sweep.
const OWN_JOB_WITHIN: chrono::Duration = chrono::Duration::seconds(60);

#[derive(Debug, Serialize, Deserialize)]
pub struct ApplyPayload {
    pub customer_id: i64,
}

/// Queues a look at the customer's service at `at` (in the caller's transaction).
pub async fn enqueue_apply(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    // A burst of changes queues a job each; the first does the look, the rest find none due.
    let job = NewJob::new(APPLY_JOB, serde_json::json!(ApplyPayload { customer_id })).run_at(at).max_attempts(3);
    jobs::enqueue(conn, job, now).await.map(|_| ())
}

/// What one look did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    /// Not bound to a device, or the device is switched off.
    Idle,
    /// The device already did the right thing.
    Unchanged(ServiceState),
    /// The device was changed and read back.
    Applied(ServiceState),
    /// Dry run: the device does `seen`; the log says what would change.
    DryRun { seen: ServiceState, would_change: bool },
    /// The device failed; tried again later.
    Failed(NetError),
}

pub async fn apply_job(state: AppState, p: ApplyPayload) -> Result<(), JobError> {
    look(&state, p.customer_id).await?;
    Ok(())
}

pub async fn sweep_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    sweep(&state).await?;
    Ok(())
}

/// Looks at one customer's service if a look is due (a change asked for one, or a retry's wait
/// is over); a backing-off service waits for its time however many jobs were queued.
pub async fn look(state: &AppState, customer_id: i64) -> AppResult<Look> {
    let Some(s) = customer_services::get(&state.db, customer_id).await? else { return Ok(Look::Idle) };
    if s.next_attempt_at.is_none_or(|at| at > state.now()) {
        return Ok(Look::Idle);
    }
    let Some((s, status)) = customer_services::with_status(&state.db, vec![s]).await?.pop() else {
        return Ok(Look::Idle);
    };
    let Some(device) = network_devices::get(&state.db, s.device_id).await? else { return Ok(Look::Idle) };
    look_at(state, &device, s, status).await
}

/// The sweep: services whose retry is due or whose device was not read for a while. A device
/// that does not answer is not asked again in the same sweep. The drift check of a router's
/// services reads the router once (all secrets and the isolation list) and looks closer only at
/// the services that differ. Returns how many services were looked at.
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let now = state.now();
    let due = customer_services::due(&state.db, now, now - DRIFT_CHECK_EVERY, SWEEP_BATCH).await?;
    let devices = network_devices::all(&state.db).await?;
    let mut down: Vec<i64> = Vec::new();
    let mut snapshots: std::collections::HashMap<i64, Option<Snapshot>> = std::collections::HashMap::new();
    let mut looked = 0;
    for (s, status) in due {
        if down.contains(&s.device_id) {
            continue;
        }
        let Some(device) = devices.iter().find(|d| d.id == s.device_id) else { continue };
        looked += 1;
        let drift_check_only = s.next_attempt_at.is_none_or(|at| at > now) && s.applied.is_some();
        if drift_check_only && device.enabled && device.kind.is_router() {
            if let std::collections::hash_map::Entry::Vacant(slot) = snapshots.entry(device.id) {
                let snap = match Driver::open(state, device) {
                    Ok(Driver::Router(r)) => r.snapshot(&device.isolate_list).await.ok(),
                    _ => None,
                };
                slot.insert(snap);
            }
            if let Some(Some(snap)) = snapshots.get(&device.id)
                && seen_in(snap, device, &s) == Some(desired_for(status))
                && s.applied == Some(desired_for(status))
            {
                customer_services::mark_checked(&state.db, s.customer_id, now).await?;
                continue;
            }
        }
        if let Look::Failed(NetError::Unreachable(_)) = look_at(state, device, s, status).await? {
            down.push(device.id);
        }
    }
    Ok(looked)
}

/// What a router snapshot says the service is; `None` when it does not say (no such secret).
fn seen_in(snap: &Snapshot, device: &Device, s: &Service) -> Option<ServiceState> {
    let state = |isolated: bool| if isolated { ServiceState::Suspended } else { ServiceState::Active };
    match s.method {
        Method::PppoeProfile => {
            snap.secrets.get(&s.identity).map(|(profile, _)| state(*profile == device.isolate_profile))
        }
        Method::PppoeDisable => snap.secrets.get(&s.identity).map(|(_, disabled)| state(*disabled)),
        Method::AddressList => Some(state(snap.listed.contains(&s.identity))),
        Method::Radius => None,
    }
}

async fn look_at(state: &AppState, device: &Device, s: Service, status: CustomerStatus) -> AppResult<Look> {
    if !device.enabled {
        // Not asked again every minute (it would crowd out the other devices' services).
        customer_services::mark_checked(&state.db, s.customer_id, state.now()).await?;
        return Ok(Look::Idle);
    }
    let want = desired_for(status);
    let drv = match Driver::open(state, device) {
        Ok(d) => d,
        Err(e) => return failed(state, device, &s, want, e).await,
    };
    let seen = match driver::observe(state, &drv, device, &s).await {
        Ok(seen) => seen,
        Err(e) => return failed(state, device, &s, want, e).await,
    };
    let now = state.now();
    if seen.state == want {
        // An earlier try changed the device but may have failed before the session was cut.
        if s.applied.is_some_and(|a| a != want) && !device.dry_run {
            match driver::cut_session(&drv, device, &s).await {
                Ok(out) => log(state, device, &s, want, "reconciler", &out, None).await?,
                Err(e) => return failed(state, device, &s, want, e).await,
            }
        }
        customer_services::record_applied(&state.db, &s, want, seen.plan, now).await?;
        return Ok(Look::Unchanged(want));
    }
    if s.applied == Some(want) {
        // Last time the device did `want`; someone changed it by hand since.
        let drift = Outcome {
            changed: false,
            steps: vec![format!("the device shows {} where {want} was applied; correcting", seen.state)],
            previous: None,
        };
        let mut entry = action(device, &s, "drift", "reconciler", &drift, None);
        entry.dry_run = device.dry_run;
        customer_services::add_action(&state.db, entry, now).await?;
        tracing::warn!(customer_id = s.customer_id, device = %device.name, "network drift found");
    }
    let plan = seen.plan.clone().or_else(|| s.paid_profile.clone());
    let out = match driver::converge(state, &drv, device, &s, want, plan.as_deref()).await {
        Ok(out) => out,
        Err(e) => return failed(state, device, &s, want, e).await,
    };
    if device.dry_run {
        dry_log(state, device, &s, want, &out).await?;
        customer_services::record_applied(&state.db, &s, seen.state, seen.plan, now).await?;
        return Ok(Look::DryRun { seen: seen.state, would_change: out.changed });
    }
    let after: Seen = match driver::observe(state, &drv, device, &s).await {
        Ok(after) if after.state == want => after,
        Ok(after) => {
            let e = NetError::Unexpected(format!("the device still shows {} after the change", after.state));
            return failed(state, device, &s, want, e).await;
        }
        Err(e) => return failed(state, device, &s, want, e).await,
    };
    // The plan to restore later: what the secret had before it was isolated.
    let remember = seen.plan.or(after.plan);
    customer_services::record_applied(&state.db, &s, want, remember, state.now()).await?;
    log(state, device, &s, want, "reconciler", &out, None).await?;
    Ok(Look::Applied(want))
}

fn verb(want: ServiceState) -> &'static str {
    if want == ServiceState::Suspended { "suspend" } else { "restore" }
}

fn action(
    device: &Device,
    s: &Service,
    what: &'static str,
    by: &str,
    out: &Outcome,
    error: Option<&NetError>,
) -> NewAction {
    NewAction {
        customer_id: s.customer_id,
        device_id: Some(device.id),
        action: what,
        requested_by: by.to_owned(),
        reason: String::new(),
        dry_run: device.dry_run,
        ok: error.is_none(),
        steps: out.steps.clone(),
        error: error.map(ToString::to_string).unwrap_or_default(),
    }
}

async fn log(
    state: &AppState,
    device: &Device,
    s: &Service,
    want: ServiceState,
    by: &str,
    out: &Outcome,
    error: Option<&NetError>,
) -> AppResult<()> {
    customer_services::add_action(&state.db, action(device, s, verb(want), by, out, error), state.now()).await?;
    Ok(())
}

/// A dry run's plan, logged unless the newest entry already says the same.
async fn dry_log(state: &AppState, device: &Device, s: &Service, want: ServiceState, out: &Outcome) -> AppResult<()> {
    let (last, _) = customer_services::actions(&state.db, Some(s.customer_id), None, 0, 1).await?;
    let steps = out.steps.join("\n");
    if last.first().is_some_and(|a| a.dry_run && a.action == verb(want) && a.steps == steps) {
        return Ok(());
    }
    log(state, device, s, want, "reconciler", out, None).await
}

/// Records a failure and when to try again; the first failure of a streak is logged.
async fn failed(state: &AppState, device: &Device, s: &Service, want: ServiceState, e: NetError) -> AppResult<Look> {
    let now = state.now();
    let failures = s.failures.saturating_add(1);
    let wait = retry_after(u32::try_from(failures).unwrap_or(u32::MAX));
    let next = now + wait;
    customer_services::record_failure(&state.db, s.customer_id, failures, &e.to_string(), next, now).await?;
    if s.failures == 0 {
        log(state, device, s, want, "reconciler", &Outcome::default(), Some(&e)).await?;
    }
    if wait <= OWN_JOB_WITHIN {
        enqueue_apply(&state.db, s.customer_id, next, now).await?;
    }
    tracing::warn!(customer_id = s.customer_id, device = %device.name, error = %e, failures, "network enforcement failed");
    Ok(Look::Failed(e))
}
