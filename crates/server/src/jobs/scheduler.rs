//! The scheduler: the instance holding the `scheduler` lease turns due cron schedules into jobs.
//! The lease is renewed by a heartbeat; if its holder dies, another instance takes over once it
//! expires.

use crate::state::AppState;
use aglis_db::{leases, schedules};
use chrono::Duration;
use tokio::sync::watch;

pub const LEASE: &str = "scheduler";
/// The lease lives this long without a heartbeat.
pub const LEASE_TTL: Duration = Duration::seconds(30);
/// Heartbeat and schedule check interval.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub holds_lease: bool,
    pub fired: usize,
}

pub struct Scheduler {
    state: AppState,
    holder: String,
}

impl Scheduler {
    pub fn new(state: AppState) -> Self {
        Self { state, holder: format!("scheduler-{}", uuid::Uuid::new_v4().simple()) }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews the lease; if held, fires every due schedule.
    pub async fn tick(&self) -> Result<TickReport, aglis_db::DbError> {
        let now = self.state.now();
        if !leases::acquire(&self.state.db, LEASE, &self.holder, LEASE_TTL, now).await? {
            return Ok(TickReport { holds_lease: false, fired: 0 });
        }
        let fired = schedules::fire_due(&self.state.db, now).await?;
        Ok(TickReport { holds_lease: true, fired })
    }

    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut held = false;
        loop {
            match self.tick().await {
                Ok(r) => {
                    if r.holds_lease != held {
                        tracing::info!(holder = %self.holder, holds = r.holds_lease, "scheduler lease changed");
                        held = r.holds_lease;
                    }
                    if r.fired > 0 {
                        tracing::info!(fired = r.fired, "scheduled jobs enqueued");
                    }
                }
                Err(e) => tracing::error!(error = %e, "scheduler could not reach the database"),
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stop.changed() => break,
            }
        }
        if held {
            let _ = leases::release(&self.state.db, LEASE, &self.holder).await;
        }
    }
}
