//! `/api/v1/monitoring/…`: the alerts (history, the firing ones, acknowledging one), the alert
//! rules (their settings, muting) and the error inbox (groups, one group's detail, resolving,
//! ignoring and reopening). Reading needs `monitoring.view` (admins, supervisors, the NOC);
//! changing anything `monitoring.manage` (admins, the NOC). Every change is in the audit log.
//!
//! The use cases and the check of a rule's settings ([`check_rule`]) are shared with the pages.

use crate::app::AppState;
use crate::audit::{Entry, RequestMeta, record};
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::Paging;
use aglis_core::alerting::{AlertStatus, ErrorStatus, RuleCode, duration, muted};
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_db::repo::alerts::{self, Alert, Rule, RuleSettings};
use aglis_db::repo::error_groups;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(list_rules))
        .routes(routes!(update_rule))
        .routes(routes!(mute_rule))
        .routes(routes!(list_errors))
        .routes(routes!(get_error))
        .routes(routes!(transition_error))
}

// ---------------------------------------------------------------------------------------------
// Checking a rule's settings (the API and the rules page).

/// The longest window and re-notify interval: a week of minutes.
pub const MAX_MINUTES: i64 = 10_080;
/// The longest mute, in minutes (a week).
pub const MAX_MUTE_MINUTES: i64 = 10_080;
/// Recipients of one rule, at most.
pub const MAX_RECIPIENTS: usize = 20;

/// What is wrong with a rule's settings: the field, an English message for the API and a locale
/// key for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
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

impl Bad {
    pub fn field(&self) -> &'static str {
        match self {
            Bad::Threshold | Bad::Percent => "threshold",
            Bad::Window => "window_minutes",
            Bad::Renotify => "renotify_minutes",
            Bad::Recipient(_) | Bad::TooManyRecipients => "recipients",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Bad::Threshold => "must be a number of 0 or more".into(),
            Bad::Percent => "is a percentage: it must be from 0 to 100".into(),
            Bad::Window => format!("must be a whole number of minutes from 1 to {MAX_MINUTES}"),
            Bad::Renotify => format!("must be a whole number of minutes from 0 (never) to {MAX_MINUTES}"),
            Bad::Recipient(line) => {
                format!("`{line}` is neither an e-mail address nor an Indonesian mobile number (08…)")
            }
            Bad::TooManyRecipients => format!("at most {MAX_RECIPIENTS} recipients"),
        }
    }

    /// The page's text (a recipient's error is followed by the line).
    pub fn key(&self) -> &'static str {
        match self {
            Bad::Threshold => "monitoring.err.threshold",
            Bad::Percent => "monitoring.err.percent",
            Bad::Window => "monitoring.err.window",
            Bad::Renotify => "monitoring.err.renotify",
            Bad::Recipient(_) => "monitoring.err.recipient",
            Bad::TooManyRecipients => "monitoring.err.too_many",
        }
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
pub fn parse_recipients<S: AsRef<str>>(lines: &[S]) -> Result<Vec<String>, Vec<Bad>> {
    let mut out: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for line in lines.iter().map(|l| l.as_ref().trim()).filter(|l| !l.is_empty()) {
        match parse_recipient(line) {
            Some(r) if !out.contains(&r) => out.push(r),
            Some(_) => {}
            None => bad.push(Bad::Recipient(line.chars().take(60).collect())),
        }
    }
    if out.len() > MAX_RECIPIENTS {
        bad.push(Bad::TooManyRecipients);
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
pub fn check_rule(code: RuleCode, current: &Rule, input: &RuleInput) -> Result<RuleSettings, Vec<Bad>> {
    let mut bad = Vec::new();
    let threshold = match input.threshold.filter(|_| code.has_threshold()) {
        None => current.threshold,
        Some(t) if !t.is_finite() || t < 0.0 => {
            bad.push(Bad::Threshold);
            current.threshold
        }
        Some(t) if code.unit() == "%" && t > 100.0 => {
            bad.push(Bad::Percent);
            current.threshold
        }
        Some(t) => t,
    };
    let window_minutes = match input.window_minutes.filter(|_| code.has_window()) {
        None => current.window_minutes,
        Some(w) => match i32::try_from(w).ok().filter(|w| (1..=MAX_MINUTES).contains(&i64::from(*w))) {
            Some(w) => w,
            None => {
                bad.push(Bad::Window);
                current.window_minutes
            }
        },
    };
    let renotify_minutes = match input.renotify_minutes {
        None => current.renotify_minutes,
        Some(r) => match i32::try_from(r).ok().filter(|r| (0..=MAX_MINUTES).contains(&i64::from(*r))) {
            Some(r) => r,
            None => {
                bad.push(Bad::Renotify);
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

/// A 422 naming every field, in English.
pub fn api_error(bad: &[Bad]) -> AppError {
    let mut fields = FieldErrors::new();
    for b in bad {
        fields.entry(b.field().to_owned()).or_default().push(b.message());
    }
    AppError::fields(fields)
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
    if alert.status != AlertStatus::Firing.as_str() {
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
    if group.status == to.as_str() {
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

// ---------------------------------------------------------------------------------------------
// The API.

/// One alert: an incident of a rule, from firing until it resolved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertOut {
    pub id: i64,
    /// The rule's code, e.g. `error_rate`.
    pub rule: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// The measured value when it fired or was last notified, with its unit.
    pub value: String,
    pub detail: String,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// How long it lasted (until now while firing), in seconds.
    pub duration_secs: i64,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The user id of who acknowledged it.
    pub acknowledged_by: Option<i64>,
    pub last_notified_at: Option<DateTime<Utc>>,
    /// Notifications sent (the first and the re-notifications).
    pub notifications: i32,
    /// Noticed while the database was down and recorded once it was back.
    pub direct: bool,
}

pub fn alert_out(a: Alert, now: DateTime<Utc>) -> AlertOut {
    AlertOut {
        duration_secs: duration(a.started_at, a.resolved_at, now).num_seconds().max(0),
        id: a.id,
        rule: a.rule,
        status: a.status,
        value: a.value,
        detail: a.detail,
        started_at: a.started_at,
        resolved_at: a.resolved_at,
        acknowledged_at: a.acknowledged_at,
        acknowledged_by: a.acknowledged_by,
        last_notified_at: a.last_notified_at,
        notifications: a.notifications,
        direct: a.direct,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<AlertOut>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertQuery {
    /// `true`: only the firing alerts.
    pub active: Option<bool>,
    /// Only this rule's alerts (a rule code).
    pub rule: Option<String>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 25).
    pub per_page: Option<u64>,
}

/// The alerts, newest first: the history, or with `active=true` the firing ones.
#[utoipa::path(get, path = "/api/v1/monitoring/alerts", tag = "monitoring", params(AlertQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AlertPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown rule, or paging out of range", body = Problem,
            content_type = "application/problem+json")))]
async fn list_alerts(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> AppResult<Json<AlertPage>> {
    let paging = Paging::parse(q.page, q.per_page)?;
    let rule = rule_filter(q.rule.as_deref())?;
    let now = state.now();
    let (rows, total) = if q.active == Some(true) {
        let firing: Vec<Alert> = alerts::active(&state.reads)
            .await?
            .into_iter()
            .filter(|a| rule.is_none_or(|r| a.rule == r.as_str()))
            .collect();
        let total = firing.len() as u64;
        let skip = usize::try_from((paging.page - 1).saturating_mul(paging.per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(paging.per_page).unwrap_or(usize::MAX);
        (firing.into_iter().skip(skip).take(take).collect(), total)
    } else {
        alerts::history(&state.reads, rule, paging.page, paging.per_page).await?
    };
    Ok(Json(AlertPage {
        items: rows.into_iter().map(|a| alert_out(a, now)).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// Acknowledges a firing alert: someone is on it, so it is not re-notified (it still resolves by
/// itself). Acknowledging it again changes nothing.
#[utoipa::path(post, path = "/api/v1/monitoring/alerts/{id}/acknowledge", tag = "monitoring",
    params(("id" = i64, Path, description = "The alert's id")),
    security(("bearer" = [])),
    responses((status = 200, body = AlertOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert is resolved", body = Problem, content_type = "application/problem+json")))]
async fn acknowledge_alert(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    IdPath(id): IdPath,
    meta: RequestMeta,
) -> AppResult<Json<AlertOut>> {
    let alert = acknowledge(&state, s.auth(), &meta, id).await?;
    Ok(Json(alert_out(alert, state.now())))
}

/// An alert rule and its settings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleOut {
    /// `error_rate`, `response_time`, `database`, `whatsapp`, `sla_breaches`, `backup_failed`,
    /// `dead_letters` or `disk`.
    pub code: String,
    pub enabled: bool,
    /// The value past which the rule fires (below it for `whatsapp`). Not used by the yes/no
    /// rules `database` and `backup_failed`.
    pub threshold: f64,
    /// `%`, `ms`, `tickets`, `jobs` or empty.
    pub unit: String,
    pub has_threshold: bool,
    /// Whether `window_minutes` is used (not for `database`, checked continuously).
    pub has_window: bool,
    /// True when a value below the threshold is the bad case.
    pub low_is_bad: bool,
    /// The span measured, in minutes.
    pub window_minutes: i32,
    /// Minutes between reminders while the alert fires unacknowledged; 0: never.
    pub renotify_minutes: i32,
    /// E-mail addresses and mobile numbers (`628…`); empty: every active admin.
    pub recipients: Vec<String>,
    /// Muted (nobody notified) until then.
    pub muted_until: Option<DateTime<Utc>>,
    pub muted: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
}

pub fn rule_out(code: RuleCode, r: Rule, now: DateTime<Utc>) -> RuleOut {
    RuleOut {
        code: code.as_str().to_owned(),
        enabled: r.enabled,
        threshold: r.threshold,
        unit: code.unit().to_owned(),
        has_threshold: code.has_threshold(),
        has_window: code.has_window(),
        low_is_bad: code.low_is_bad(),
        window_minutes: r.window_minutes,
        renotify_minutes: r.renotify_minutes,
        recipients: stored_recipients(&r),
        muted: muted(r.muted_until, now),
        muted_until: r.muted_until,
        updated_at: r.updated_at,
        updated_by: r.updated_by,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    /// Every rule, in a fixed order.
    pub items: Vec<RuleOut>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The stored rules with their codes, in the order of [`RuleCode::ALL`].
pub async fn rules_with_codes(state: &AppState) -> AppResult<Vec<(RuleCode, Rule)>> {
    Ok(alerts::rules(&state.reads)
        .await?
        .into_iter()
        .filter_map(|r| RuleCode::from_str(&r.code).ok().map(|c| (c, r)))
        .collect())
}

/// Every alert rule with its settings.
#[utoipa::path(get, path = "/api/v1/monitoring/rules", tag = "monitoring", security(("bearer" = [])),
    responses((status = 200, body = RuleList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_rules(State(state): State<AppState>, _s: Staff<perm::MonitoringView>) -> AppResult<Json<RuleList>> {
    let now = state.now();
    let items: Vec<RuleOut> =
        rules_with_codes(&state).await?.into_iter().map(|(code, r)| rule_out(code, r, now)).collect();
    let total = items.len() as u64;
    Ok(Json(RuleList { total, page: 1, per_page: total.max(1), items }))
}

/// New settings for a rule; fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    pub enabled: Option<bool>,
    /// A finite number of 0 or more; at most 100 for the percentage rules. Ignored by the yes/no
    /// rules `database` and `backup_failed`.
    pub threshold: Option<f64>,
    /// 1–10080 minutes. Ignored by `database`.
    pub window_minutes: Option<i64>,
    /// 0 (never) to 10080 minutes.
    pub renotify_minutes: Option<i64>,
    /// E-mail addresses and Indonesian mobile numbers (`0812…`, `+62 812…`), at most 20; an empty
    /// list notifies every active admin.
    pub recipients: Option<Vec<String>>,
}

/// Changes a rule's settings.
#[utoipa::path(put, path = "/api/v1/monitoring/rules/{code}", tag = "monitoring", request_body = RuleUpdate,
    params(("code" = String, Path, description = "The rule's code, e.g. `error_rate`")),
    security(("bearer" = [])),
    responses((status = 200, body = RuleOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A setting is out of range; `errors` names it", body = Problem,
            content_type = "application/problem+json")))]
async fn update_rule(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    CodePath(code): CodePath,
    meta: RequestMeta,
    ApiJson(req): ApiJson<RuleUpdate>,
) -> AppResult<Json<RuleOut>> {
    let current = alerts::rule(&state.db, code).await?.ok_or_else(|| AppError::not_found("alert rule"))?;
    let input = RuleInput {
        enabled: req.enabled,
        threshold: req.threshold,
        window_minutes: req.window_minutes,
        renotify_minutes: req.renotify_minutes,
        recipients: req.recipients,
    };
    let settings = check_rule(code, &current, &input).map_err(|bad| api_error(&bad))?;
    let rule = save_rule(&state, s.auth(), &meta, code, &settings).await?;
    Ok(Json(rule_out(code, rule, state.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteIn {
    /// Minutes from now, 1–10080; 0 unmutes.
    pub minutes: i64,
}

/// Mutes a rule for a while (its alerts are still recorded, nobody is notified), or unmutes it
/// with `{"minutes": 0}`.
#[utoipa::path(post, path = "/api/v1/monitoring/rules/{code}/mute", tag = "monitoring", request_body = MuteIn,
    params(("code" = String, Path, description = "The rule's code, e.g. `error_rate`")),
    security(("bearer" = [])),
    responses((status = 200, body = RuleOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such rule", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`minutes` out of range", body = Problem, content_type = "application/problem+json")))]
async fn mute_rule(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    CodePath(code): CodePath,
    meta: RequestMeta,
    ApiJson(req): ApiJson<MuteIn>,
) -> AppResult<Json<RuleOut>> {
    let rule = mute(&state, s.auth(), &meta, code, req.minutes).await?;
    Ok(Json(rule_out(code, rule, state.now())))
}

/// A group of errors of the inbox: occurrences whose source, route and message agree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorGroupOut {
    pub id: i64,
    pub fingerprint: String,
    /// `http` (a 500 answer), `panic` or `job` (a job that went dead).
    pub source: String,
    /// The first line of the error.
    pub title: String,
    /// The route template or the job's kind.
    pub route: String,
    /// `open`, `resolved` or `ignored`.
    pub status: String,
    /// Occurrences.
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_request_id: Option<String>,
    pub last_user_id: Option<i64>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<i64>,
    /// The latest occurrence's cause chain and backtrace (one group only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub fn group_out(g: error_groups::Model, with_detail: bool) -> ErrorGroupOut {
    ErrorGroupOut {
        id: g.id,
        fingerprint: g.fingerprint,
        source: g.source,
        title: g.title,
        route: g.route,
        status: g.status,
        count: g.count,
        first_seen: g.first_seen,
        last_seen: g.last_seen,
        last_request_id: g.last_request_id,
        last_user_id: g.last_user_id,
        resolved_at: g.resolved_at,
        resolved_by: g.resolved_by,
        detail: with_detail.then_some(g.detail),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorGroupPage {
    pub items: Vec<ErrorGroupOut>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ErrorQuery {
    /// `open`, `resolved`, `ignored` or `all` (the default).
    pub status: Option<String>,
    /// Text in the title or the route.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 25).
    pub per_page: Option<u64>,
}

/// The longest search text used (longer ones are cut).
pub const MAX_Q: usize = 200;

/// The error inbox, most recently seen first.
#[utoipa::path(get, path = "/api/v1/monitoring/errors", tag = "monitoring", params(ErrorQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ErrorGroupPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status, or paging out of range", body = Problem,
            content_type = "application/problem+json")))]
async fn list_errors(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    ApiQuery(q): ApiQuery<ErrorQuery>,
) -> AppResult<Json<ErrorGroupPage>> {
    let paging = Paging::parse(q.page, q.per_page)?;
    let status = status_filter(q.status.as_deref())?;
    let text: Option<String> = q.q.map(|t| t.chars().take(MAX_Q).collect());
    let (rows, total) = error_groups::list(&state.reads, status, text.as_deref(), paging.page, paging.per_page).await?;
    Ok(Json(ErrorGroupPage {
        items: rows.into_iter().map(|g| group_out(g, false)).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// One error group with its latest occurrence's detail (cause chain, backtrace).
#[utoipa::path(get, path = "/api/v1/monitoring/errors/{id}", tag = "monitoring",
    params(("id" = i64, Path, description = "The error group's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ErrorGroupOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_error(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    IdPath(id): IdPath,
) -> AppResult<Json<ErrorGroupOut>> {
    let group = error_groups::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("error group"))?;
    Ok(Json(group_out(group, true)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorTransition {
    /// `resolved`, `ignored` or `open` (reopen).
    pub to: String,
}

/// Resolves, ignores or reopens an error group. A new occurrence reopens a resolved group; an
/// ignored one stays ignored.
#[utoipa::path(post, path = "/api/v1/monitoring/errors/{id}/transitions", tag = "monitoring",
    request_body = ErrorTransition,
    params(("id" = i64, Path, description = "The error group's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ErrorGroupOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The group has that status already", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "An unknown status", body = Problem, content_type = "application/problem+json")))]
async fn transition_error(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ErrorTransition>,
) -> AppResult<Json<ErrorGroupOut>> {
    let to =
        ErrorStatus::from_str(req.to.trim()).map_err(|_| AppError::field("to", "must be resolved, ignored or open"))?;
    let group = transition(&state, s.auth(), &meta, id, to).await?;
    Ok(Json(group_out(group, true)))
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
            updated_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            updated_by: None,
        }
    }

    fn fields(r: Result<RuleSettings, Vec<Bad>>) -> Vec<&'static str> {
        r.err().unwrap_or_default().iter().map(Bad::field).collect()
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
            Some(vec![Bad::Percent, Bad::Window, Bad::Renotify])
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
            Some(vec![Bad::Recipient("budi".into()), Bad::Recipient("0812".into())])
        );
        let many: Vec<String> = (0..=MAX_RECIPIENTS).map(|i| format!("noc{i}@isp.id")).collect();
        assert_eq!(parse_recipients(&many).err(), Some(vec![Bad::TooManyRecipients]));
        assert_eq!(parse_recipients(&["a@isp.id", "A@isp.id"]).ok(), Some(vec!["a@isp.id".to_owned()]));
        assert!(Bad::Recipient("x".into()).message().contains("`x`"));
    }
}
