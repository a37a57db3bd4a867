//! `GET /api/health` and the load balancer's `/api/health/live` and `/api/health/ready`.
//!
//! Checks: the database (a round trip, and on SQLite that its file is still there), the job queue
//! (oldest due job, dead jobs), WhatsApp (a provider configured, the last hour's success rate and
//! the provider's own status check, without sending), e-mail (a provider configured), the disk of the data and backup directories, and the age of the
//! last backup. A failing check answers 503; a degraded one 200 unless `AGLIS_HEALTH_DEGRADED_OK`
//! is false. Anyone gets the statuses; the figures and messages need the monitoring token or a
//! staff login.

use crate::auth::session::AuthContext;
use crate::state::AppState;
use aglis_core::alerting::success_rate_pct;
use aglis_core::backup::BackupStatus;
use aglis_core::notification::Channel;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Serving, but something needs attention.
    Degraded,
    Fail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    pub status: CheckStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// What is wrong, for a person (detailed view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The figures behind the status (detailed view only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub figures: BTreeMap<String, Value>,
}

impl Check {
    fn new(status: CheckStatus) -> Self {
        Self { status, latency_ms: None, message: None, figures: BTreeMap::new() }
    }

    fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }

    fn figure(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.figures.insert(k.to_owned(), v.into());
        self
    }

    fn bare(&self) -> Self {
        Self::new(self.status)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// The worst of the checks: `ok`, `degraded` or `fail`.
    pub status: CheckStatus,
    /// Detailed view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// `database`, `queue`, `whatsapp`, `email`, `disk`, `backup`.
    pub checks: BTreeMap<String, Check>,
}

impl Health {
    /// What an anonymous caller sees: the statuses only.
    pub fn bare(&self) -> Self {
        Self {
            status: self.status,
            version: None,
            uptime_secs: None,
            instance: None,
            checks: self.checks.iter().map(|(k, c)| (k.clone(), c.bare())).collect(),
        }
    }

    /// 503 when a check fails, or when one is degraded and that is not acceptable.
    pub fn http_status(&self, degraded_ok: bool) -> StatusCode {
        match self.status {
            CheckStatus::Ok => StatusCode::OK,
            CheckStatus::Degraded if degraded_ok => StatusCode::OK,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Runs every check (concurrently).
pub async fn collect(state: &AppState) -> Health {
    let (database, queue, whatsapp, email, backup) =
        tokio::join!(database(state), queue(state), whatsapp(state), email(state), backup(state));
    let mut checks = BTreeMap::new();
    checks.insert("database".to_owned(), database);
    checks.insert("queue".to_owned(), queue);
    checks.insert("whatsapp".to_owned(), whatsapp);
    checks.insert("email".to_owned(), email);
    checks.insert("disk".to_owned(), disk(state));
    checks.insert("backup".to_owned(), backup);
    let status = checks.values().map(|c| c.status).max().unwrap_or(CheckStatus::Ok);
    Health {
        status,
        version: Some(env!("CARGO_PKG_VERSION")),
        uptime_secs: Some(state.monitor.uptime_secs()),
        instance: Some(state.monitor.instance.clone()),
        checks,
    }
}

/// The detailed view: a staff login or the monitoring token.
fn detailed(state: &AppState, headers: &HeaderMap, auth: Option<&AuthContext>) -> bool {
    let staff = auth.and_then(|a| a.0.as_ref()).is_some_and(|a| a.user.role.is_staff());
    staff || super::metrics::has_token(state, headers)
}

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "monitoring",
    responses(
        (status = 200, description = "Every check passed (or some are degraded, which is acceptable)", body = Health),
        (status = 503, description = "A check failed; `checks` names it", body = Health),
    )
)]
pub async fn health(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Option<axum::Extension<AuthContext>>,
) -> Response {
    let full = collect(&state).await;
    let code = full.http_status(state.config.monitoring.degraded_ok);
    let body = if detailed(&state, &headers, auth.as_deref()) { full } else { full.bare() };
    (code, Json(body)).into_response()
}

#[utoipa::path(
    get,
    path = "/api/health/live",
    tag = "monitoring",
    responses((status = 200, description = "The process is up"))
)]
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(
    get,
    path = "/api/health/ready",
    tag = "monitoring",
    responses(
        (status = 200, description = "Can serve: the database answers"),
        (status = 503, description = "Cannot serve: the database does not answer"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    let db = database(&state).await;
    let code = if db.status == CheckStatus::Ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(json!({ "status": db.status }))).into_response()
}

/// A round trip within 3 s; on SQLite also the database file, which a deleted or moved file
/// would otherwise hide until the restart that loses it.
pub async fn database(state: &AppState) -> Check {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(3), state.db.ping()).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut check = match result {
        Ok(Ok(())) => match aglis_db::sqlite_path(&state.config.database_url) {
            Some(path) if !path.exists() => Check::new(CheckStatus::Fail)
                .message(format!("the SQLite file {} is missing or unreadable", path.display())),
            _ => Check::new(CheckStatus::Ok),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: database check failed");
            Check::new(CheckStatus::Fail).message("the database did not answer")
        }
        Err(_) => Check::new(CheckStatus::Fail).message("the database did not answer within 3 s"),
    };
    check.latency_ms = Some(latency_ms);
    check
}

/// Due jobs waiting longer than this make the queue degraded.
pub const QUEUE_LATE_SECS: i64 = 600;

async fn queue(state: &AppState) -> Check {
    let now = state.now();
    let stats = aglis_db::jobs::queue_stats(&state.reads, now).await;
    let dead = aglis_db::jobs::count(&state.reads, aglis_core::job::JobStatus::Dead).await;
    let (Ok(stats), Ok(dead)) = (stats, dead) else {
        return Check::new(CheckStatus::Fail).message("the job queue could not be read");
    };
    let waiting: i64 = stats.iter().map(|s| s.waiting).sum();
    let oldest = stats.iter().filter_map(|s| s.oldest_due).min().map_or(0, |t| (now - t).num_seconds().max(0));
    let status = if oldest > QUEUE_LATE_SECS { CheckStatus::Degraded } else { CheckStatus::Ok };
    let mut check =
        Check::new(status).figure("waiting", waiting).figure("oldest_due_secs", oldest).figure("dead", dead);
    if status != CheckStatus::Ok {
        check = check.message(format!("the oldest due job has waited {} min; is a runner running?", oldest / 60));
    }
    check
}

async fn whatsapp(state: &AppState) -> Check {
    let since = state.now() - chrono::Duration::hours(1);
    let Ok(rates) = aglis_db::repo::delivery_attempts::rates(&state.reads, since).await else {
        return Check::new(CheckStatus::Degraded).message("the delivery figures could not be read");
    };
    let (calls, ok) = aglis_db::repo::delivery_attempts::channel_totals(&rates, "whatsapp");
    let rate = success_rate_pct(calls, ok);
    let probes = super::probe::whatsapp(state).await;
    let mut check = Check::new(CheckStatus::Ok).figure("calls_1h", calls).figure("accepted_1h", ok);
    if let Some(r) = rate {
        check = check.figure("success_pct_1h", (r * 10.0).round() / 10.0);
    }
    let mut problems = Vec::new();
    if let Some(unserved) = provider_missing(state, Channel::Whatsapp).await {
        return unserved;
    }
    if probes.is_empty() && !state.notifier.serves_whatsapp() {
        return check.message("no WhatsApp provider is configured: messages are recorded as sent without leaving (AGLIS_NOTIFY_LOG_PROVIDER)");
    }
    for p in &probes {
        check = check.figure(&format!("{}_reachable", p.provider), p.result.is_ok());
        if let Err(e) = &p.result {
            problems.push(format!("{}: {e}", p.provider));
        }
    }
    let all_down = !probes.is_empty() && probes.iter().all(|p| p.result.is_err());
    if let Some(r) = rate.filter(|r| *r < 80.0) {
        problems.push(format!("only {r:.0} % of the last hour's sends were accepted"));
    }
    if all_down || rate.is_some_and(|r| r < 80.0) {
        check.status = CheckStatus::Degraded;
    }
    if !problems.is_empty() {
        check = check.message(problems.join("; "));
    }
    check
}

/// E-mail: whether a provider takes it (SMTP, or the `log` provider where configured).
async fn email(state: &AppState) -> Check {
    if let Some(unserved) = provider_missing(state, Channel::Email).await {
        return unserved;
    }
    if state.config.providers.smtp.is_none() {
        return Check::new(CheckStatus::Ok).message(
            "no SMTP server is configured: e-mails are recorded as sent without leaving (AGLIS_NOTIFY_LOG_PROVIDER)",
        );
    }
    Check::new(CheckStatus::Ok)
}

/// Degraded, naming the channel and the settings that would serve it, when no provider takes its
/// messages (they are held, not lost); `None` when one does.
async fn provider_missing(state: &AppState, channel: Channel) -> Option<Check> {
    if state.notifier.serves(channel) {
        return None;
    }
    let held = aglis_db::repo::messages::count_held(&state.reads, channel).await.unwrap_or_default();
    let why = crate::notifications::dispatch::no_provider(channel);
    Some(Check::new(CheckStatus::Degraded).figure("held", held).message(format!("{held} messages held: {why}")))
}

/// Used space above this is degraded, above [`DISK_FAIL_PCT`] failing.
pub const DISK_WARN_PCT: f64 = 90.0;
pub const DISK_FAIL_PCT: f64 = 98.0;

/// Percent used of the file system holding `path` (the nearest existing ancestor).
pub fn disk_used_pct(path: &Path) -> Option<f64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let s = rustix::fs::statvfs(existing).ok()?;
    let used = s.f_blocks.saturating_sub(s.f_bfree);
    let total = used + s.f_bavail;
    (total > 0).then(|| used as f64 * 100.0 / total as f64)
}

/// The data and backup directories with the percent used of their file systems (`None`: not
/// readable): what the disk check and the disk rule look at.
pub fn disks(state: &AppState) -> [(&'static str, &Path, Option<f64>); 2] {
    let data = state.config.data_dir.as_path();
    let backups = state.config.backup.dir.as_path();
    let used = |p: &Path| state.config.disk_used_pct.or_else(|| disk_used_pct(p));
    [("data", data, used(data)), ("backups", backups, used(backups))]
}

fn disk(state: &AppState) -> Check {
    let mut check = Check::new(CheckStatus::Ok);
    let mut worst: Option<(f64, &str)> = None;
    for (name, _, used) in disks(state) {
        match used {
            Some(pct) => {
                check = check.figure(&format!("{name}_used_pct"), (pct * 10.0).round() / 10.0);
                if worst.is_none_or(|(w, _)| pct > w) {
                    worst = Some((pct, name));
                }
            }
            None => {
                check.status = CheckStatus::Degraded;
                check = check.message(format!("the {name} directory's file system could not be read"));
            }
        }
    }
    if let Some((pct, name)) = worst {
        let status = if pct >= DISK_FAIL_PCT {
            CheckStatus::Fail
        } else if pct > DISK_WARN_PCT {
            CheckStatus::Degraded
        } else {
            CheckStatus::Ok
        };
        if status > check.status {
            check.status = status;
            check = check.message(format!("the {name} directory's disk is {pct:.0} % full"));
        }
    }
    check
}

async fn backup(state: &AppState) -> Check {
    use aglis_db::repo::backups;
    let now = state.now();
    let limit = chrono::Duration::hours(i64::from(state.config.backup.max_age_hours));
    let (latest, newest) = tokio::join!(backups::latest_complete(&state.reads), backups::newest(&state.reads));
    let (Ok(latest), Ok(newest)) = (latest, newest) else {
        return Check::new(CheckStatus::Degraded).message("the backup records could not be read");
    };
    let mut check = Check::new(CheckStatus::Ok);
    match &latest {
        Some(b) => {
            let at = b.finished_at.unwrap_or(b.started_at);
            let age = now - at;
            check = check.figure("last_backup", b.name.clone()).figure("age_hours", age.num_minutes() as f64 / 60.0);
            if age > limit {
                check.status = CheckStatus::Degraded;
                check = check.message(format!("the last complete backup is {} h old", age.num_hours()));
            }
        }
        None if now - state.monitor.started_at > limit => {
            check.status = CheckStatus::Degraded;
            check = check.message("no backup has completed yet");
        }
        None => check = check.message("no backup yet"),
    }
    if let Some(n) = newest
        .filter(|n| n.status == BackupStatus::Failed && latest.as_ref().is_none_or(|l| l.started_at < n.started_at))
    {
        check.status = CheckStatus::Degraded;
        check = check.message(format!("the last backup ({}) failed", n.name));
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_check_decides_and_degraded_may_be_acceptable() {
        let mut h = Health {
            status: CheckStatus::Degraded,
            version: None,
            uptime_secs: None,
            instance: None,
            checks: BTreeMap::new(),
        };
        assert_eq!(h.http_status(true), StatusCode::OK);
        assert_eq!(h.http_status(false), StatusCode::SERVICE_UNAVAILABLE);
        h.status = CheckStatus::Fail;
        assert_eq!(h.http_status(true), StatusCode::SERVICE_UNAVAILABLE);
        assert!(disk_used_pct(Path::new("/")).is_some_and(|p| (0.0..=100.0).contains(&p)));
        assert!(disk_used_pct(Path::new("/no/such/dir/below/root")).is_some(), "the nearest existing ancestor counts");
    }
}
