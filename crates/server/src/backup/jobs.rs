//! Backup jobs: the scheduled backup (02:00 WIB), "back up now", the daily verification of the
//! newest set, the hourly watch for a missing backup, and the alerts they raise.

use super::create::{self, BackupLease};
use super::progress::{Progress, Silent};
use super::remote::Remote;
use super::set::LocalSets;
use super::verify::{self, Verified};
use super::{Ctx, Trigger, retention};
use crate::i18n::Lang;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::backup::Manifest;
use aglis_core::job::JobPriority;
use aglis_core::notification::Channel;
use aglis_db::DbError;
use aglis_db::jobs::{self, NewJob};
use aglis_db::repo::{backups, messages::NewMessage, users};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

/// Takes a backup, verifies it, applies retention. Payload `{"trigger": "schedule"|"manual", "user_id": N}`.
pub const CREATE_JOB: &str = "backup.create";
/// Verifies the newest complete set.
pub const VERIFY_JOB: &str = "backup.verify";
/// Alerts when no complete backup is younger than `AGLIS_BACKUP_MAX_AGE_HOURS`.
pub const WATCH_JOB: &str = "backup.watch";
/// Sends one backup alert to every admin. Payload `{"subject": …, "body": …}`.
pub const ALERT_JOB: &str = "backup.alert";

/// The built-in schedule's name (its cron is editable on `/admin/jobs`).
pub const SCHEDULE_NAME: &str = "backup";

/// Queues a backup now ("back up now"). At most one such request per minute: `false` when one
/// was already queued this minute.
pub async fn enqueue_now(
    conn: &impl sea_orm::ConnectionTrait,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let job = NewJob::new(CREATE_JOB, json!(CreatePayload { trigger: Some("manual".into()), user_id }))
        .priority(aglis_core::job::JobPriority::High)
        .max_attempts(1)
        .dedup_key(format!("backup-now:{}", now.format("%Y%m%dT%H%M")));
    Ok(matches!(jobs::enqueue(conn, job, now).await?, jobs::Enqueued::Created(_)))
}

/// When the scheduled backup runs next (`None` when its schedule is disabled or missing).
pub async fn next_run(conn: &impl sea_orm::ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(aglis_db::schedules::list(conn)
        .await?
        .into_iter()
        .find(|s| s.name == SCHEDULE_NAME && s.enabled)
        .map(|s| s.next_run_at))
}

/// What one backup run did.
#[derive(Debug)]
pub struct Outcome {
    pub manifest: Manifest,
    pub verified: Verified,
    /// `None`: no bucket configured.
    pub off_site: Option<Result<(), String>>,
    pub deleted: Vec<String>,
}

/// A backup, its off-site copy, its verification and retention, under the backup lease, with an
/// alert for each failure. The command line and the jobs both run this.
pub async fn run_backup(
    ctx: &Ctx,
    trigger: Trigger,
    created_by: Option<i64>,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Outcome> {
    let lease = BackupLease::acquire(ctx).await?;
    let result = backup_under_lease(ctx, &lease, trigger, created_by, progress).await;
    lease.release().await;
    if let Err(e) = &result
        && e.downcast_ref::<create::Busy>().is_none()
    {
        alert(ctx, "failed", &format!("{e:#}"), &format!("backup-failed:{}", ctx.now().format("%Y%m%dT%H%M"))).await;
    }
    result
}

async fn backup_under_lease(
    ctx: &Ctx,
    lease: &BackupLease,
    trigger: Trigger,
    created_by: Option<i64>,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Outcome> {
    let manifest = create::create(ctx, lease, trigger, created_by, progress.clone()).await?;
    let local = LocalSets::new(&ctx.config.backup.dir);
    let remote = Remote::from_config(&ctx.config.backup)?;
    let off_site = match &remote {
        Some(r) => Some(create::copy_off_site(ctx, r, &manifest, progress.as_ref()).await),
        None => None,
    };
    if let Some(Err(e)) = &off_site {
        alert(ctx, "offsite_failed", e, &format!("backup-offsite:{}", manifest.name)).await;
    }
    let verified = verify::verify_and_record(ctx, &local, &manifest.name, progress.clone()).await?;
    if !verified.ok() {
        alert(ctx, "verify_failed", &verified.problems.join("; "), &format!("backup-verify:{}", manifest.name)).await;
        anyhow::bail!("the new set {} failed verification: {}", manifest.name, verified.problems.join("; "));
    }
    progress.stage("retention", None);
    let deleted = retention::apply(ctx, &local, remote.as_ref()).await?;
    Ok(Outcome { manifest, verified, off_site, deleted })
}

/// Verifies the newest complete set in the directory (under the lease, so no backup is half
/// written meanwhile) and alerts when it fails. `None` when there is no set.
pub async fn verify_newest(ctx: &Ctx, progress: Arc<dyn Progress>) -> anyhow::Result<Option<Verified>> {
    let local = LocalSets::new(&ctx.config.backup.dir);
    let lease = BackupLease::acquire(ctx).await?;
    let result = async {
        let Some(newest) = local.complete()?.pop() else { return Ok(None) };
        verify::verify_and_record(ctx, &local, &newest.name, progress).await.map(Some)
    }
    .await;
    lease.release().await;
    if let Ok(Some(v)) = &result
        && !v.ok()
    {
        let key = format!("backup-verify:{}:{}", v.name, ctx.now().format("%Y%m%d"));
        alert(ctx, "verify_failed", &v.problems.join("; "), &key).await;
    }
    result
}

/// Queues an alert job (once per `dedup`): e-mail and WhatsApp to every admin.
async fn alert(ctx: &Ctx, kind: &str, detail: &str, dedup: &str) {
    let lang = Lang::Id;
    let subject = lang.t(&format!("backup.alert_{kind}_subject")).to_owned();
    let body = lang
        .t(&format!("backup.alert_{kind}_body"))
        .replace("{detail}", detail)
        .replace("{host}", &super::host_name())
        .replace("{base_url}", &ctx.config.base_url);
    let job =
        NewJob::new(ALERT_JOB, json!(AlertPayload { subject, body })).priority(JobPriority::High).dedup_key(dedup);
    tracing::error!(kind, detail, "backup alert");
    if let Err(e) = jobs::enqueue(&ctx.db, job, ctx.now()).await {
        tracing::error!(error = %e, "the backup alert could not be queued");
    }
}

/// The payload of [`CREATE_JOB`]: `manual` and who asked, or nothing (the schedule's `{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreatePayload {
    #[serde(default)]
    pub trigger: Option<String>,
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// The payload of [`ALERT_JOB`]: the message to the admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertPayload {
    pub subject: String,
    pub body: String,
}

/// Job `backup.create`.
pub async fn create_job(state: AppState, payload: CreatePayload) -> Result<(), JobError> {
    let trigger = match payload.trigger.as_deref() {
        Some("manual") => Trigger::Manual,
        _ => Trigger::Schedule,
    };
    let user = payload.user_id;
    let ctx = Ctx::from_state(&state);
    match run_backup(&ctx, trigger, user, Arc::new(Silent)).await {
        Ok(o) => {
            tracing::info!(set = %o.manifest.name, bytes = o.manifest.size(), deleted = o.deleted.len(), "backup complete and verified");
            Ok(())
        }
        // A long backup whose job lock expired is still running elsewhere: this copy stands down.
        Err(e) if e.downcast_ref::<create::Busy>().is_some() => {
            tracing::info!(reason = %e, "backup job skipped");
            Ok(())
        }
        // Failed and alerted; a retry would only alert again: the next schedule tries afresh.
        Err(e) => Err(JobError::GiveUp(format!("{e:#}"))),
    }
}

/// Job `backup.verify`: the daily verification of the newest set.
pub async fn verify_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let ctx = Ctx::from_state(&state);
    match verify_newest(&ctx, Arc::new(Silent)).await {
        Ok(Some(v)) if v.ok() => Ok(()),
        // A backup is running: it verifies its own set.
        Err(e) if e.downcast_ref::<create::Busy>().is_some() => Ok(()),
        Ok(Some(v)) => Err(JobError::GiveUp(v.problems.join("; "))),
        Ok(None) => Ok(()),
        Err(e) => Err(JobError::Failed(format!("{e:#}"))),
    }
}

/// Job `backup.watch`: alerts when the newest complete backup is older than the limit (or there
/// is none and the installation is older than it).
pub async fn watch_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let ctx = Ctx::from_state(&state);
    let now = ctx.now();
    let limit = chrono::Duration::hours(i64::from(ctx.config.backup.max_age_hours));
    let latest = backups::latest_complete(&ctx.db).await?;
    let since = match &latest {
        Some(row) => row.finished_at.unwrap_or(row.started_at),
        None => {
            let installed = aglis_db::schedules::list(&ctx.db)
                .await?
                .into_iter()
                .find(|s| s.name == SCHEDULE_NAME)
                .map(|s| s.created_at);
            match installed {
                Some(t) => t,
                None => return Ok(()),
            }
        }
    };
    if now - since > limit {
        let detail = match &latest {
            Some(row) => format!(
                "{} ({})",
                row.name,
                since.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M WIB")
            ),
            None => "—".to_owned(),
        };
        alert(&ctx, "stale", &detail, &format!("backup-stale:{}", now.format("%Y%m%d"))).await;
    }
    Ok(())
}

/// Job `backup.alert`: the alert to every active admin, by e-mail and by WhatsApp.
pub async fn alert_job(state: AppState, payload: AlertPayload) -> Result<(), JobError> {
    let AlertPayload { subject, body } = payload;
    let now = state.now();
    let admins = users::active_admins(&state.db).await?;
    let txn = sea_orm::TransactionTrait::begin(&state.db).await.map_err(aglis_db::DbError::from)?;
    for admin in admins {
        let targets = [(Channel::Email, admin.email.clone()), (Channel::Whatsapp, admin.phone.clone())];
        for (channel, to) in targets {
            let Some(to) = to else { continue };
            let new = NewMessage {
                channel,
                recipient: to,
                subject: (channel == Channel::Email).then(|| subject.clone()),
                body: body.clone(),
                template_code: None,
                variables: None,
                priority: JobPriority::High,
                created_by: None,
            };
            crate::notifications::service::queue(&txn, new, now).await?;
        }
    }
    txn.commit().await.map_err(aglis_db::DbError::from)?;
    Ok(())
}
