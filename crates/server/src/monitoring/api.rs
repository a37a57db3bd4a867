//! `/api/v1/monitoring/…`: the alerts (history, the firing ones, acknowledging one), the alert
//! rules (their settings, muting) and the error inbox (groups, one group's detail, resolving,
//! ignoring and reopening). Reading needs `monitoring.view` (admins, supervisors, the NOC);
//! changing anything `monitoring.manage` (admins, the NOC). Every change is in the audit log.
//!
//! The use cases and the check of a rule's settings live in [`super::service`], shared with the pages.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::alerting::{AlertStatus, ErrorStatus, RuleCode, duration, muted};
use aglis_db::repo::alerts::{self, Alert, Rule};
use aglis_db::repo::error_groups;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::*;

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
// The API.

/// One alert: an incident of a rule, from firing until it resolved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertOut {
    pub id: i64,
    /// The rule's code, e.g. `error_rate`.
    pub rule: String,
    #[schema(inline)]
    pub status: AlertStatus,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `true`: only the firing alerts.
    pub active: Option<bool>,
    /// Only this rule's alerts (a rule code).
    #[param(schema_with = crate::schemas::rule_or_all)]
    pub rule: Option<String>,
}

/// The alerts, newest first: the history, or with `active=true` the firing ones.
#[utoipa::path(get, path = "/api/v1/monitoring/alerts", tag = "monitoring", params(AlertQuery, PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<AlertOut>),
        (status = 422, description = "An unknown rule, or paging out of range", body = Problem,
            content_type = "application/problem+json")))]
async fn list_alerts(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    ApiQuery(q): ApiQuery<AlertQuery>,
    paging: Paging,
) -> AppResult<Json<Page<AlertOut>>> {
    let rule = rule_filter(q.rule.as_deref())?;
    let now = state.now();
    let page = if q.active == Some(true) {
        let firing: Vec<Alert> = alerts::active(&state.reads)
            .await?
            .into_iter()
            .filter(|a| rule.is_none_or(|r| a.rule == r.as_str()))
            .collect();
        Page::of_all(firing, paging)
    } else {
        let (rows, total) = alerts::history(&state.reads, rule, paging.page, paging.per_page).await?;
        Page::new(rows, total, paging)
    };
    Ok(Json(page.map(|a| alert_out(a, now))))
}

/// Acknowledges a firing alert: someone is on it, so it is not re-notified (it still resolves by
/// itself). Acknowledging it again changes nothing.
#[utoipa::path(post, path = "/api/v1/monitoring/alerts/{id}/acknowledge", tag = "monitoring",
    params(("id" = i64, Path, description = "The alert's id")),
    security(("bearer" = [])),
    responses((status = 200, body = AlertOut),
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

/// Every alert rule with its settings.
#[utoipa::path(get, path = "/api/v1/monitoring/rules", tag = "monitoring", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<RuleOut>),))]
async fn list_rules(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    paging: Paging,
) -> AppResult<Json<Page<RuleOut>>> {
    let now = state.now();
    let items: Vec<RuleOut> =
        rules_with_codes(&state).await?.into_iter().map(|(code, r)| rule_out(code, r, now)).collect();
    Ok(Json(Page::of_all(items, paging)))
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
    #[schema(minimum = 1, maximum = 10080)]
    pub window_minutes: Option<i64>,
    /// 0 (never) to 10080 minutes.
    #[schema(minimum = 0, maximum = 10080)]
    pub renotify_minutes: Option<i64>,
    /// E-mail addresses and Indonesian mobile numbers (`0812…`, `+62 812…`), at most 20; an empty
    /// list notifies every active admin.
    #[schema(max_items = 20)]
    pub recipients: Option<Vec<String>>,
}

/// Changes a rule's settings.
#[utoipa::path(put, path = "/api/v1/monitoring/rules/{code}", tag = "monitoring", request_body = RuleUpdate,
    params(("code" = String, Path, description = "The rule's code, e.g. `error_rate`")),
    security(("bearer" = [])),
    responses((status = 200, body = RuleOut),
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
    let settings = check_rule(code, &current, &input)?;
    let rule = save_rule(&state, s.auth(), &meta, code, &settings).await?;
    Ok(Json(rule_out(code, rule, state.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteIn {
    /// Minutes from now, 1–10080; 0 unmutes.
    #[schema(minimum = 0, maximum = 10080)]
    pub minutes: i64,
}

/// Mutes a rule for a while (its alerts are still recorded, nobody is notified), or unmutes it
/// with `{"minutes": 0}`.
#[utoipa::path(post, path = "/api/v1/monitoring/rules/{code}/mute", tag = "monitoring", request_body = MuteIn,
    params(("code" = String, Path, description = "The rule's code, e.g. `error_rate`")),
    security(("bearer" = [])),
    responses((status = 200, body = RuleOut),
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
        source: g.source.as_str().to_owned(),
        title: g.title,
        route: g.route,
        status: g.status.as_str().to_owned(),
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorQuery {
    /// `open`, `resolved`, `ignored` or `all` (the default).
    #[param(schema_with = crate::schemas::error_status_or_all)]
    pub status: Option<String>,
    /// Text in the title or the route.
    pub q: Option<String>,
}

/// The error inbox, most recently seen first.
#[utoipa::path(get, path = "/api/v1/monitoring/errors", tag = "monitoring", params(ErrorQuery, PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<ErrorGroupOut>),
        (status = 422, description = "An unknown status, or paging out of range", body = Problem,
            content_type = "application/problem+json")))]
async fn list_errors(
    State(state): State<AppState>,
    _s: Staff<perm::MonitoringView>,
    ApiQuery(q): ApiQuery<ErrorQuery>,
    paging: Paging,
) -> AppResult<Json<Page<ErrorGroupOut>>> {
    let status = status_filter(q.status.as_deref())?;
    let text: Option<String> = q.q.map(|t| t.chars().take(MAX_Q).collect());
    let (rows, total) = error_groups::list(&state.reads, status, text.as_deref(), paging.page, paging.per_page).await?;
    Ok(Json(Page::new(rows.into_iter().map(|g| group_out(g, false)).collect(), total, paging)))
}

/// One error group with its latest occurrence's detail (cause chain, backtrace).
#[utoipa::path(get, path = "/api/v1/monitoring/errors/{id}", tag = "monitoring",
    params(("id" = i64, Path, description = "The error group's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ErrorGroupOut),))]
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
    #[schema(value_type = aglis_core::alerting::ErrorStatus, inline)]
    pub to: String,
}

/// Resolves, ignores or reopens an error group. A new occurrence reopens a resolved group; an
/// ignored one stays ignored.
#[utoipa::path(post, path = "/api/v1/monitoring/errors/{id}/transitions", tag = "monitoring",
    request_body = ErrorTransition,
    params(("id" = i64, Path, description = "The error group's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ErrorGroupOut),
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
