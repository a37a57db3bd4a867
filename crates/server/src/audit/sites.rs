//! What the recording sites outside this module say, so each site stays one line: the details
//! of a setting change, and refused webhooks (counted, as anyone can send them).

use crate::audit::{Entry, RequestMeta, record};
use crate::auth::session::Authenticated;
use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::audit::AuditEvent;
use aglis_core::ticket_sla::TargetRow;
use aglis_db::repo::notification_templates::Template;
use serde_json::{Value, json};

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

/// Counts a webhook refused for its signature or token; the audit log gets the count per source
/// once a minute ([`crate::audit::refusals`]), so refusals never write on the request path.
pub fn webhook_refused(state: &AppState, meta: &RequestMeta, provider: &'static str, why: &'static str) {
    state.refusals.note(meta, provider, why, state.now());
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
