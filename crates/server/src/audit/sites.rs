//! What the recording sites outside this module say, so each site stays one line: the details
//! of a setting change, and refused webhooks (limited per address, as anyone can send them).

use crate::app::AppState;
use crate::audit::{Entry, RequestMeta, record};
use crate::auth::session::Authenticated;
use crate::error::AppResult;
use aglis_core::audit::AuditEvent;
use aglis_core::ticket_sla::TargetRow;
use aglis_db::repo::audit_log;
use aglis_db::repo::notification_templates::Template;
use serde_json::{Value, json};

/// Refused webhooks recorded per address and minute; more are only logged.
const WEBHOOK_RECORDS_PER_MINUTE: u64 = 20;

/// The SLA rows as stored.
pub fn sla_rows(rows: &[TargetRow]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "ticket_type": r.ticket_type.map_or("*", |t| t.as_str()),
                "priority": r.priority.as_str(),
                "response_minutes": r.targets.first_response.num_minutes(),
                "resolution_minutes": r.targets.resolution.num_minutes(),
                "calendar": r.targets.calendar.as_str(),
            })
        })
        .collect();
    json!({ "rows": rows })
}

/// A holiday added or deleted.
pub fn holiday(action: &str, day: chrono::NaiveDate, name: &str) -> Value {
    json!({ "action": action, "date": day.to_string(), "name": name })
}

/// Records a message text saved by `auth` (which one and how long; not the text itself).
pub async fn template_saved(state: &AppState, auth: &Authenticated, meta: &RequestMeta, t: &Template) -> AppResult<()> {
    let details = json!({
        "event": t.event,
        "language": t.language,
        "subject_chars": t.subject.chars().count(),
        "body_chars": t.body.chars().count(),
    });
    record(state, Entry::setting_changed(auth, meta, &format!("notification_template:{}", t.id), details)).await
}

/// Records a webhook refused for its signature or token (at most
/// [`WEBHOOK_RECORDS_PER_MINUTE`] per address and minute).
pub async fn webhook_refused(state: &AppState, meta: &RequestMeta, provider: &str, why: &str) -> AppResult<()> {
    let since = state.now() - chrono::Duration::minutes(1);
    let recent = audit_log::count_from(&state.db, AuditEvent::WebhookSignatureFailed, &meta.ip, since).await?;
    if recent >= WEBHOOK_RECORDS_PER_MINUTE {
        tracing::warn!(provider, ip = %meta.ip, "refused webhook not recorded: too many from this address");
        return Ok(());
    }
    record(state, Entry::webhook_refused(meta, provider, why)).await
}

/// Records a change of master data (`what` is `package` or `odp`; `action` is `created`,
/// `updated` or `deleted`) by `auth`.
pub async fn master_data(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    what: &str,
    id: i64,
    action: &str,
) -> AppResult<()> {
    let entry = Entry::new(AuditEvent::SettingChanged, aglis_core::audit::AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("{what}:{id}"))
        .details(json!({ "action": action }));
    record(state, entry).await
}

/// Records a schedule's new times (an admin may move or pause a built-in job, the audit purge
/// included).
pub async fn schedule_changed(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    s: &aglis_db::entity::schedules::Model,
) -> AppResult<()> {
    let details = json!({ "name": s.name, "cron": s.cron, "timezone": s.timezone, "enabled": s.enabled });
    record(state, Entry::setting_changed(auth, meta, &format!("schedule:{}", s.name), details)).await
}
