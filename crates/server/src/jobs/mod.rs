//! Background work: the job handlers, the runner every instance runs, the scheduler only the lease
//! holder runs, and the admin page and API that show jobs by state and re-queue dead ones.

pub mod api;
pub mod pages;
pub mod registry;
pub mod runner;
pub mod scheduler;
pub mod schedules;
pub mod service;

pub use pages::router;
pub use registry::{Registry, builtin_registry};
pub use runner::Runner;
pub use scheduler::Scheduler;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn api_router() -> OpenApiRouter<AppState> {
    api::api_router().merge(schedules::api_router())
}
use aglis_db::schedules::{self as db_schedules, ScheduleDef};

/// Schedules every installation has. Admins may change their times; they are never overwritten.
pub const BUILTIN_SCHEDULES: &[ScheduleDef] = &[
    ScheduleDef {
        name: "purge_expired_sessions",
        cron: "0 * * * *",
        timezone: "Asia/Jakarta",
        job_kind: registry::PURGE_EXPIRED_SESSIONS,
    },
    ScheduleDef {
        name: "sla_check",
        cron: "* * * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::tickets::escalation::SLA_CHECK_JOB,
    },
    // The security audit log's retention, at night.
    ScheduleDef {
        name: "audit_purge",
        cron: "30 2 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::audit::purge::PURGE_JOB,
    },
    // Backups (issue 8): the set at 02:00 WIB, a second verification of the newest set at noon,
    // and every hour the check that a complete backup is younger than AGLIS_BACKUP_MAX_AGE_HOURS.
    ScheduleDef {
        name: crate::backup::jobs::SCHEDULE_NAME,
        cron: "0 2 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::backup::jobs::CREATE_JOB,
    },
    ScheduleDef {
        name: "backup_verify",
        cron: "0 12 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::backup::jobs::VERIFY_JOB,
    },
    ScheduleDef {
        name: "backup_watch",
        cron: "15 * * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::backup::jobs::WATCH_JOB,
    },
    // Billing (issue 19): unpaid invoices past their due day become overdue, every morning.
    ScheduleDef {
        name: "billing_overdue",
        cron: "0 8 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::billing::OVERDUE_JOB,
    },
    // Prepaid customers' next terms, a week before their paid service ends; before the
    // reminders, which then remind of the new invoice the same morning.
    ScheduleDef {
        name: "billing_prepaid_renewals",
        cron: "0 7 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::billing::prepaid::RENEWAL_JOB,
    },
    // Payment reminders (7, 3, 1 days before the due day, and overdue), after the sweep.
    ScheduleDef {
        name: "billing_reminders",
        cron: "5 8 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::billing::reminders::REMINDER_JOB,
    },
    // The month's invoices on and after the billing day (a run with nothing to do is cheap and
    // writes nothing; a customer activated mid-month is billed the next night).
    ScheduleDef {
        name: "billing_monthly_run",
        cron: "30 0 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::billing::runs::MONTHLY_JOB,
    },
    // Online payments whose callback never came are asked about at their gateway.
    ScheduleDef {
        name: "billing_payment_poll",
        cron: "*/5 * * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::billing::reconcile::POLL_JOB,
    },
    // Network enforcement (issue 21): devices follow the customers' status (retries, drift).
    ScheduleDef {
        name: "network_reconcile",
        cron: "* * * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::enforcement::reconcile::SWEEP_JOB,
    },
    // Overdue customers past the grace period are suspended in office hours, when staff can
    // answer the calls that follow.
    ScheduleDef {
        name: "network_suspend_overdue",
        cron: "0 9-16 * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::enforcement::policy::POLICY_JOB,
    },
    // Monitoring (issue 9): the alert rules, every minute.
    ScheduleDef {
        name: crate::monitoring::alerting::SCHEDULE_NAME,
        cron: "* * * * *",
        timezone: "Asia/Jakarta",
        job_kind: crate::monitoring::alerting::EVALUATE_JOB,
    },
];

pub async fn install_builtin_schedules(state: &AppState) -> anyhow::Result<()> {
    for def in BUILTIN_SCHEDULES {
        if db_schedules::ensure(&state.db, def, state.now()).await? {
            tracing::info!(schedule = def.name, cron = def.cron, "schedule installed");
        }
    }
    Ok(())
}
