//! What the monitoring API and pages share: the check of an alert rule's settings
//! ([`check_rule`]), the filters of the lists, and the changes (acknowledging an alert, saving or
//! muting a rule, resolving, ignoring or reopening an error group), each written to the audit log.

use crate::audit::{Entry, RequestMeta, record};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use aglis_core::alerting::{AlertStatus, ErrorStatus, RuleCode};
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_db::repo::alerts::{self, Alert, Rule, RuleSettings};
use aglis_db::repo::error_groups;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Duration;
use serde_json::json;
use std::str::FromStr;

/// The longest window and re-notify interval: a week of minutes.
pub const MAX_MINUTES: i64 = 10_080;
/// The longest mute, in minutes (a week).
pub const MAX_MUTE_MINUTES: i64 = 10_080;
/// Recipients of one rule, at most.
pub const MAX_RECIPIENTS: usize = 20;

/// The longest error-inbox search text used (longer ones are cut).
pub const MAX_Q: usize = 200;

/// What is wrong with a rule's settings: its field and, as `Display`, the English message of the
/// API; the page says it in its language ([`Explain`](crate::validation::Explain)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleInputError {
    /// Not a number, not finite, or below 0.
    Threshold,
    /// A percentage above 100.
    Percent,
    Window,
    Renotify,
    /// A line that is neither an e-mail address nor an Indonesian mobile number (clipped).
    Recipient(String),
    TooManyRecipients,
}

impl RuleInputError {
    pub fn field(&self) -> &'static str {
        match self {
            RuleInputError::Threshold | RuleInputError::Percent => "threshold",
            RuleInputError::Window => "window_minutes",
            RuleInputError::Renotify => "renotify_minutes",
            RuleInputError::Recipient(_) | RuleInputError::TooManyRecipients => "recipients",
        }
    }
}

impl std::fmt::Display for RuleInputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: String = match self {
            RuleInputError::Threshold => "must be a number of 0 or more".into(),
            RuleInputError::Percent => "is a percentage: it must be from 0 to 100".into(),
            RuleInputError::Window => format!("must be a whole number of minutes from 1 to {MAX_MINUTES}"),
            RuleInputError::Renotify => format!("must be a whole number of minutes from 0 (never) to {MAX_MINUTES}"),
            RuleInputError::Recipient(line) => {
                format!("`{line}` is neither an e-mail address nor an Indonesian mobile number (08…)")
            }
            RuleInputError::TooManyRecipients => format!("at most {MAX_RECIPIENTS} recipients"),
        };
        f.write_str(&text)
    }
}

impl crate::validation::Explain for RuleInputError {
    /// The page's text (a recipient's error is followed by the line).
    fn explain(&self) -> String {
        let key = match self {
            RuleInputError::Threshold => "monitoring.err.threshold",
            RuleInputError::Percent => "monitoring.err.percent",
            RuleInputError::Window => "monitoring.err.window",
            RuleInputError::Renotify => "monitoring.err.renotify",
            RuleInputError::Recipient(_) => "monitoring.err.recipient",
            RuleInputError::TooManyRecipients => "monitoring.err.too_many",
        };
        match self {
            RuleInputError::Recipient(line) => format!("{} {line}", crate::i18n::msg(key, &[])),
            _ => crate::i18n::msg(key, &[]),
        }
    }
}

impl crate::error::FieldProblem for RuleInputError {
    fn field(&self) -> &'static str {
        RuleInputError::field(self)
    }
}

/// What was typed or sent for a rule; `None` keeps the stored value. Numbers that could not be
/// read are given as out-of-range values (`NaN`, `-1`), which the check refuses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleInput {
    pub enabled: Option<bool>,
    pub threshold: Option<f64>,
    pub window_minutes: Option<i64>,
    pub renotify_minutes: Option<i64>,
    /// One recipient per entry (blank entries are skipped).
    pub recipients: Option<Vec<String>>,
}

/// An e-mail address (lower-cased) or an Indonesian mobile number (as `628…`).
pub fn parse_recipient(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.contains('@') {
        aglis_core::user::parse_email(raw).ok()
    } else {
        aglis_core::phone::Phone::parse(raw)
            .ok()
            .filter(|p| p.as_str().starts_with("628"))
            .map(|p| p.as_str().to_owned())
    }
}

/// The recipients, normalised and without repeats, or every line that is wrong.
pub fn parse_recipients<S: AsRef<str>>(lines: &[S]) -> Result<Vec<String>, Vec<RuleInputError>> {
    let mut out: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for line in lines.iter().map(|l| l.as_ref().trim()).filter(|l| !l.is_empty()) {
        match parse_recipient(line) {
            Some(r) if !out.contains(&r) => out.push(r),
            Some(_) => {}
            None => bad.push(RuleInputError::Recipient(line.chars().take(60).collect())),
        }
    }
    if out.len() > MAX_RECIPIENTS {
        bad.push(RuleInputError::TooManyRecipients);
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

/// The stored recipients, one per line.
pub fn stored_recipients(rule: &Rule) -> Vec<String> {
    rule.recipients.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// The settings to store for `code`, from `input` over the stored `current`, or everything wrong.
/// The threshold of a yes/no rule and the window of the database rule are not editable: what is
/// sent for them is ignored.
pub fn check_rule(code: RuleCode, current: &Rule, input: &RuleInput) -> Result<RuleSettings, Vec<RuleInputError>> {
    let mut bad = Vec::new();
    let threshold = match input.threshold.filter(|_| code.has_threshold()) {
        None => current.threshold,
        Some(t) if !t.is_finite() || t < 0.0 => {
            bad.push(RuleInputError::Threshold);
            current.threshold
        }
        Some(t) if code.unit() == "%" && t > 100.0 => {
            bad.push(RuleInputError::Percent);
            current.threshold
        }
        Some(t) => t,
    };
    let window_minutes = match input.window_minutes.filter(|_| code.has_window()) {
        None => current.window_minutes,
        Some(w) => match i32::try_from(w).ok().filter(|w| (1..=MAX_MINUTES).contains(&i64::from(*w))) {
            Some(w) => w,
            None => {
                bad.push(RuleInputError::Window);
                current.window_minutes
            }
        },
    };
    let renotify_minutes = match input.renotify_minutes {
        None => current.renotify_minutes,
        Some(r) => match i32::try_from(r).ok().filter(|r| (0..=MAX_MINUTES).contains(&i64::from(*r))) {
            Some(r) => r,
            None => {
                bad.push(RuleInputError::Renotify);
                current.renotify_minutes
            }
        },
    };
    let recipients = match &input.recipients {
        None => current.recipients.clone(),
        Some(lines) => match parse_recipients(lines) {
            Ok(list) => list.join("\n"),
            Err(b) => {
                bad.extend(b);
                current.recipients.clone()
            }
        },
    };
    if !bad.is_empty() {
        return Err(bad);
    }
    Ok(RuleSettings {
        enabled: input.enabled.unwrap_or(current.enabled),
        threshold,
        window_minutes,
        renotify_minutes,
        recipients,
    })
}

/// A rule's code in the path; an unknown one is a 404.
#[derive(Debug, Clone, Copy)]
pub struct CodePath(pub RuleCode);

impl<S: Send + Sync> FromRequestParts<S> for CodePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("no such alert rule".into()))?;
        RuleCode::from_str(&raw).map(CodePath).map_err(|_| {
            let codes: Vec<&str> = RuleCode::ALL.iter().map(|c| c.as_str()).collect();
            AppError::NotFound(format!(
                "there is no alert rule `{}`; the rules are {}",
                raw.chars().take(60).collect::<String>(),
                codes.join(", ")
            ))
        })
    }
}

/// A rule's code from a query parameter: `None` for nothing, 422 for an unknown one.
pub fn rule_filter(raw: Option<&str>) -> AppResult<Option<RuleCode>> {
    match raw.map(str::trim).filter(|r| !r.is_empty() && *r != "all") {
        None => Ok(None),
        Some(r) => RuleCode::from_str(r).map(Some).map_err(|_| {
            let codes: Vec<&str> = RuleCode::ALL.iter().map(|c| c.as_str()).collect();
            AppError::field("rule", format!("must be one of {}", codes.join(", ")))
        }),
    }
}

/// An error status from a query parameter: `None` for nothing or `all`, 422 for an unknown one.
pub fn status_filter(raw: Option<&str>) -> AppResult<Option<ErrorStatus>> {
    match raw.map(str::trim).filter(|r| !r.is_empty() && *r != "all") {
        None => Ok(None),
        Some(s) => ErrorStatus::from_str(s)
            .map(Some)
            .map_err(|_| AppError::field("status", "must be open, resolved, ignored or all")),
    }
}

// ---------------------------------------------------------------------------------------------
// The use cases (the API and the pages).

/// Acknowledges a firing alert: 404 when there is none, 409 when it is resolved; acknowledging
/// it again changes nothing.
pub async fn acknowledge(state: &AppState, auth: &Authenticated, meta: &RequestMeta, id: i64) -> AppResult<Alert> {
    let Some(alert) = alerts::get(&state.db, id).await? else {
        return Err(AppError::not_found("alert"));
    };
    if alert.status != AlertStatus::Firing {
        return Err(AppError::Conflict {
            detail: "the alert is resolved already; only a firing alert can be acknowledged".into(),
            fields: FieldErrors::new(),
        });
    }
    if alert.acknowledged_at.is_some() {
        return Ok(alert);
    }
    let alert = alerts::acknowledge(&state.db, id, Some(auth.user.id), state.now())
        .await?
        .ok_or_else(|| AppError::not_found("alert"))?;
    let entry = Entry::new(AuditEvent::AlertAcknowledged, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("alert:{id}"))
        .details(json!({ "rule": alert.rule, "value": alert.value }));
    record(state, entry).await?;
    Ok(alert)
}

/// Stores a rule's checked settings.
pub async fn save_rule(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    code: RuleCode,
    settings: &RuleSettings,
) -> AppResult<Rule> {
    let rule = alerts::update_rule(&state.db, code, settings, Some(auth.user.id), state.now())
        .await?
        .ok_or_else(|| AppError::not_found("alert rule"))?;
    let details = json!({
        "enabled": settings.enabled,
        "threshold": settings.threshold,
        "window_minutes": settings.window_minutes,
        "renotify_minutes": settings.renotify_minutes,
        "recipients": settings.recipients.lines().count(),
    });
    let entry = Entry::new(AuditEvent::AlertRuleChanged, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("alert_rule:{code}"))
        .details(details);
    record(state, entry).await?;
    Ok(rule)
}

/// Mutes a rule for `minutes` (0 unmutes): its alerts are still recorded, nobody is notified.
pub async fn mute(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    code: RuleCode,
    minutes: i64,
) -> AppResult<Rule> {
    if !(0..=MAX_MUTE_MINUTES).contains(&minutes) {
        return Err(AppError::field("minutes", format!("must be from 0 (unmute) to {MAX_MUTE_MINUTES}")));
    }
    let now = state.now();
    let until = (minutes > 0).then(|| now + Duration::minutes(minutes));
    let rule = alerts::mute(&state.db, code, until, Some(auth.user.id), now)
        .await?
        .ok_or_else(|| AppError::not_found("alert rule"))?;
    let entry = Entry::new(AuditEvent::AlertRuleChanged, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("alert_rule:{code}"))
        .details(json!({ "muted_until": until, "minutes": minutes }));
    record(state, entry).await?;
    Ok(rule)
}

/// Resolves, ignores or reopens an error group: 404 when there is none, 409 when it already has
/// that status.
pub async fn transition(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    id: i64,
    to: ErrorStatus,
) -> AppResult<error_groups::Model> {
    let Some(group) = error_groups::get(&state.db, id).await? else {
        return Err(AppError::not_found("error group"));
    };
    if group.status == to {
        return Err(AppError::Conflict {
            detail: format!("the error group is {to} already"),
            fields: FieldErrors::new(),
        });
    }
    let from = group.status;
    let group = error_groups::set_status(&state.db, id, to, Some(auth.user.id), state.now())
        .await?
        .ok_or_else(|| AppError::not_found("error group"))?;
    let entry = Entry::new(AuditEvent::ErrorGroupChanged, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("error_group:{id}"))
        .details(json!({ "from": from, "to": to.as_str() }));
    record(state, entry).await?;
    Ok(group)
}

/// The stored rules with their codes, in the order of [`RuleCode::ALL`].
pub async fn rules_with_codes(state: &AppState) -> AppResult<Vec<(RuleCode, Rule)>> {
    Ok(alerts::rules(&state.reads)
        .await?
        .into_iter()
        .filter_map(|r| RuleCode::from_str(&r.code).ok().map(|c| (c, r)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: RuleCode) -> Rule {
        let d = code.defaults();
        Rule {
            code: code.as_str().to_owned(),
            enabled: true,
            threshold: d.threshold,
            window_minutes: d.window_minutes,
            renotify_minutes: d.renotify_minutes,
            recipients: String::new(),
            muted_until: None,
            updated_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            updated_by: None,
        }
    }

    fn fields(r: Result<RuleSettings, Vec<RuleInputError>>) -> Vec<&'static str> {
        r.err().unwrap_or_default().iter().map(RuleInputError::field).collect()
    }

    #[test]
    fn good_settings_are_kept_and_absent_ones_stay_as_stored() {
        let current = rule(RuleCode::ErrorRate);
        let input = RuleInput {
            enabled: Some(false),
            threshold: Some(2.5),
            window_minutes: Some(15),
            renotify_minutes: Some(0),
            recipients: Some(vec![
                " NOC@Aglis.ID ".into(),
                "".into(),
                "0812-3456-7890".into(),
                "+62 812 3456 7890".into(),
            ]),
        };
        let s = check_rule(RuleCode::ErrorRate, &current, &input).expect("valid");
        assert_eq!(
            s,
            RuleSettings {
                enabled: false,
                threshold: 2.5,
                window_minutes: 15,
                renotify_minutes: 0,
                recipients: "noc@aglis.id\n6281234567890".into(),
            }
        );
        let s = check_rule(RuleCode::ErrorRate, &current, &RuleInput::default()).expect("nothing changes");
        assert_eq!((s.enabled, s.threshold, s.window_minutes, s.renotify_minutes), (true, 1.0, 5, 60));
        assert_eq!(s.recipients, "");
    }

    #[test]
    fn out_of_range_values_are_refused_by_field() {
        let current = rule(RuleCode::Disk);
        let input = |t: f64, w: i64, r: i64| RuleInput {
            threshold: Some(t),
            window_minutes: Some(w),
            renotify_minutes: Some(r),
            ..RuleInput::default()
        };
        assert_eq!(
            fields(check_rule(RuleCode::Disk, &current, &input(f64::NAN, 0, -1))),
            ["threshold", "window_minutes", "renotify_minutes"]
        );
        assert_eq!(
            check_rule(RuleCode::Disk, &current, &input(100.5, 10_081, 10_081)).err(),
            Some(vec![RuleInputError::Percent, RuleInputError::Window, RuleInputError::Renotify])
        );
        assert_eq!(fields(check_rule(RuleCode::Disk, &current, &input(f64::INFINITY, 1, 0))), ["threshold"]);
        assert_eq!(fields(check_rule(RuleCode::Disk, &current, &input(-0.1, 1, 0))), ["threshold"]);
        assert!(check_rule(RuleCode::Disk, &current, &input(100.0, 10_080, 10_080)).is_ok());
        assert!(check_rule(RuleCode::Disk, &current, &input(0.0, 1, 0)).is_ok());
        assert_eq!(fields(check_rule(RuleCode::Disk, &current, &input(1.0, i64::MAX, i64::MIN))).len(), 2);
        // Milliseconds are not a percentage.
        let rt = rule(RuleCode::ResponseTime);
        assert!(check_rule(RuleCode::ResponseTime, &rt, &input(5000.0, 5, 60)).is_ok());
    }

    #[test]
    fn yes_no_rules_ignore_a_threshold_and_the_database_a_window() {
        let db = rule(RuleCode::Database);
        let input = RuleInput { threshold: Some(f64::NAN), window_minutes: Some(0), ..RuleInput::default() };
        let s = check_rule(RuleCode::Database, &db, &input).expect("ignored");
        assert_eq!((s.threshold, s.window_minutes), (0.0, 1));
    }

    #[test]
    fn recipients_are_e_mails_or_indonesian_mobiles() {
        assert_eq!(parse_recipient("Ops@ISP.co.id"), Some("ops@isp.co.id".into()));
        assert_eq!(parse_recipient("0857 2233 4455"), Some("6285722334455".into()));
        assert_eq!(parse_recipient("(021) 555-1234"), None, "a landline gets no WhatsApp");
        assert_eq!(parse_recipient("not an address"), None);
        assert_eq!(parse_recipient("a@b"), None);
        assert_eq!(
            parse_recipients(&["ok@isp.id", "budi", "0812"]).err(),
            Some(vec![RuleInputError::Recipient("budi".into()), RuleInputError::Recipient("0812".into())])
        );
        let many: Vec<String> = (0..=MAX_RECIPIENTS).map(|i| format!("noc{i}@isp.id")).collect();
        assert_eq!(parse_recipients(&many).err(), Some(vec![RuleInputError::TooManyRecipients]));
        assert_eq!(parse_recipients(&["a@isp.id", "A@isp.id"]).ok(), Some(vec!["a@isp.id".to_owned()]));
        assert!(RuleInputError::Recipient("x".into()).to_string().contains("`x`"));
    }

    #[test]
    fn every_refusal_reads_in_both_languages_and_names_the_line() {
        use crate::i18n::Lang;
        use crate::validation::Explain;
        let all = [
            RuleInputError::Threshold,
            RuleInputError::Percent,
            RuleInputError::Window,
            RuleInputError::Renotify,
            RuleInputError::Recipient("budi".into()),
            RuleInputError::TooManyRecipients,
        ];
        for e in &all {
            for lang in [Lang::Id, Lang::En] {
                let text = lang.render(&e.explain());
                assert!(!text.contains('@') && !text.contains("monitoring."), "{e:?} in {lang:?}: {text}");
            }
        }
        assert!(Lang::Id.render(&all[4].explain()).ends_with(" budi"));
    }
}
