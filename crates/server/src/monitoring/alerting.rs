//! The alert evaluation: every minute (schedule `alert_evaluate`, fired by the scheduler lease
//! holder), each enabled rule is measured and [`aglis_core::alerting::decide`] says whether to
//! fire, re-notify, resolve or do nothing. Notifications go to the rule's recipients (or every
//! active admin) by e-mail and WhatsApp through the notification queue, in the same transaction as
//! the alert's row, so an incident is notified exactly once per decision.

use crate::i18n::Lang;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::alerting::{Active, Decision, RuleCode, decide, format_duration, muted};
use aglis_core::job::JobPriority;
use aglis_core::notification::Channel;
use aglis_db::repo::alerts::{self, Alert, Rule};
use aglis_db::repo::messages::NewMessage;
use aglis_db::repo::metrics::{self as figures, QueueSample};
use aglis_db::{ConnectionTrait, DbError, TransactionTrait};
use chrono::{DateTime, DurationRound, Timelike, Utc};
use std::str::FromStr;

pub const EVALUATE_JOB: &str = "monitoring.evaluate";
pub const SCHEDULE_NAME: &str = "alert_evaluate";
/// Figures and queue samples are kept this long.
pub const KEEP_FIGURES: chrono::Duration = chrono::Duration::days(8);

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub channel: Channel,
    pub to: String,
}

/// A rule's stored recipients text: one e-mail address or WhatsApp number per line (commas work
/// too), read with the rules form's own check ([`super::service::parse_recipient`]); lines that
/// fail it are skipped (the form refuses them).
pub fn parse_recipients(text: &str) -> Vec<Recipient> {
    let mut out: Vec<Recipient> = Vec::new();
    for to in text.split(['\n', ',', ';']).filter_map(super::service::parse_recipient) {
        let channel = if to.contains('@') { Channel::Email } else { Channel::Whatsapp };
        let r = Recipient { channel, to };
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The rule's recipients, or every active admin's e-mail and WhatsApp number.
pub async fn recipients(conn: &impl ConnectionTrait, rule: &Rule) -> Result<Vec<Recipient>, DbError> {
    let listed = parse_recipients(&rule.recipients);
    if !listed.is_empty() {
        return Ok(listed);
    }
    let mut out = Vec::new();
    for admin in aglis_db::repo::users::active_admins(conn).await? {
        if let Some(email) = admin.email {
            out.push(Recipient { channel: Channel::Email, to: email });
        }
        if let Some(phone) = admin.phone {
            out.push(Recipient { channel: Channel::Whatsapp, to: phone });
        }
    }
    Ok(out)
}

/// Which message: a new incident, a reminder, or the all-clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Firing,
    Reminder,
    Resolved,
}

/// Subject and body of a notice (Indonesian, like the other operational alerts).
pub fn compose(
    state: &AppState,
    code: RuleCode,
    notice: Notice,
    value: &str,
    detail: &str,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (String, String) {
    let lang = Lang::Id;
    let key = match notice {
        Notice::Firing => "firing",
        Notice::Reminder => "reminder",
        Notice::Resolved => "resolved",
    };
    let rule = lang.t(&format!("alert.rule.{}", code.as_str()));
    let since = started_at.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M WIB").to_string();
    let fill = |s: &str| {
        s.replace("{rule}", rule)
            .replace("{value}", value)
            .replace("{detail}", detail)
            .replace("{since}", &since)
            .replace("{duration}", &format_duration(now - started_at))
            .replace("{host}", &crate::backup::host_name())
            .replace("{base_url}", &state.config.base_url)
    };
    (fill(lang.t(&format!("alert.{key}_subject"))), fill(lang.t(&format!("alert.{key}_body"))))
}

/// Queues the notice to every recipient inside `txn`.
pub async fn queue_notice(
    txn: &impl ConnectionTrait,
    to: &[Recipient],
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for r in to {
        let new = NewMessage {
            channel: r.channel,
            recipient: r.to.clone(),
            subject: (r.channel == Channel::Email).then(|| subject.to_owned()),
            body: body.to_owned(),
            template_code: None,
            variables: None,
            priority: JobPriority::High,
            created_by: None,
        };
        crate::notifications::service::queue(txn, new, now).await?;
    }
    Ok(())
}

/// What one evaluation did, per rule.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub fired: Vec<RuleCode>,
    pub renotified: Vec<RuleCode>,
    pub resolved: Vec<RuleCode>,
}

/// Samples the queue, evaluates every rule, prunes old figures hourly.
pub async fn evaluate(state: &AppState) -> Result<Evaluation, DbError> {
    let now = state.now();
    sample_queue(state, now).await?;
    alerts::ensure_rules(&state.db, now).await?;
    let rules = alerts::rules(&state.db).await?;
    let active = alerts::active(&state.db).await?;
    let mut out = Evaluation::default();
    for rule in &rules {
        let Ok(code) = RuleCode::from_str(&rule.code) else { continue };
        let current = active.iter().find(|a| a.rule == rule.code);
        if code == RuleCode::Database {
            continue; // the watchdog's, on every instance
        }
        if !rule.enabled {
            if let Some(a) = current {
                alerts::resolve(&state.db, a.id, now).await?;
            }
            continue;
        }
        let obs = super::rules::observe(state, code, rule, now).await?;
        let view = current.map(|a| Active {
            started_at: a.started_at,
            last_notified_at: a.last_notified_at,
            acknowledged: a.acknowledged_at.is_some(),
        });
        let decision = decide(view.as_ref(), obs.breached, rule.renotify_minutes, now);
        let silent = muted(rule.muted_until, now);
        if decision == Decision::Nothing {
            continue;
        }
        let txn = state.db.begin().await?;
        match (decision, current) {
            (Decision::Fire, _) => {
                if let Some(alert) = alerts::open(&txn, code, &obs.value, &obs.detail, now).await? {
                    notify(state, &txn, rule, code, &alert, Notice::Firing, &obs.value, &obs.detail, silent, now)
                        .await?;
                    tracing::warn!(rule = %code, value = %obs.value, detail = %obs.detail, "alert firing");
                    out.fired.push(code);
                }
            }
            (Decision::Renotify, Some(alert)) => {
                notify(state, &txn, rule, code, alert, Notice::Reminder, &obs.value, &obs.detail, silent, now).await?;
                out.renotified.push(code);
            }
            (Decision::Resolve, Some(alert)) if alerts::resolve(&txn, alert.id, now).await? => {
                if alert.notifications > 0 && !silent {
                    let (subject, body) =
                        compose(state, code, Notice::Resolved, &obs.value, &obs.detail, alert.started_at, now);
                    let to = recipients(&txn, rule).await?;
                    queue_notice(&txn, &to, &subject, &body, now).await?;
                }
                tracing::info!(rule = %code, "alert resolved");
                out.resolved.push(code);
            }
            _ => {}
        }
        txn.commit().await?;
    }
    if now.minute() == 0 {
        figures::prune(&state.db, now - KEEP_FIGURES).await?;
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn notify(
    state: &AppState,
    txn: &impl ConnectionTrait,
    rule: &Rule,
    code: RuleCode,
    alert: &Alert,
    notice: Notice,
    value: &str,
    detail: &str,
    silent: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if silent {
        return Ok(());
    }
    let (subject, body) = compose(state, code, notice, value, detail, alert.started_at, now);
    let to = recipients(txn, rule).await?;
    queue_notice(txn, &to, &subject, &body, now).await?;
    alerts::mark_notified(txn, alert.id, value, detail, now).await
}

async fn sample_queue(state: &AppState, now: DateTime<Utc>) -> Result<(), DbError> {
    let stats = aglis_db::jobs::queue_stats(&state.db, now).await?;
    let dead = aglis_db::jobs::count(&state.db, aglis_core::job::JobStatus::Dead).await?;
    let oldest = stats.iter().filter_map(|s| s.oldest_due).min().map_or(0, |t| (now - t).num_seconds().max(0));
    figures::record_queue_sample(
        &state.db,
        QueueSample {
            minute: now.duration_trunc(chrono::Duration::minutes(1)).unwrap_or(now),
            depth: stats.iter().map(|s| s.waiting).sum(),
            dead: i64::try_from(dead).unwrap_or(i64::MAX),
            oldest_due_secs: oldest,
        },
    )
    .await
}

/// Job `monitoring.evaluate`.
pub async fn evaluate_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    // This instance's own figures first, so the rules see its latest minute.
    if let Err(e) = state.monitor.figures.flush(&state.db, &state.monitor.instance).await {
        tracing::warn!(error = %e, "metrics: this instance's figures could not be flushed");
    }
    evaluate(&state).await.map(|_| ()).map_err(JobError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_addresses_and_numbers_one_per_line() {
        let r = parse_recipients("noc@isp.co.id\n0812-3456-7890, not a thing\n\nnoc@isp.co.id");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], Recipient { channel: Channel::Email, to: "noc@isp.co.id".into() });
        assert_eq!(r[1].channel, Channel::Whatsapp);
        assert!(r[1].to.contains("81234567890"));
        assert!(parse_recipients("  \n ").is_empty());
    }
}
