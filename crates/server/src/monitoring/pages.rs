//! The monitoring pages (issue 9), for admins, supervisors and the NOC (`monitoring.view`;
//! changes need `monitoring.manage`):
//!
//! - `/admin/monitoring`: the health checks and the firing alerts (a panel htmx refreshes every
//!   30 s from `/admin/monitoring/live`), four server-drawn charts of the last 24 hours, the open
//!   errors, and in `aglis demo` the switch that breaks and repairs the demo WhatsApp gateway;
//! - `/admin/monitoring/errors`: the error inbox (status tabs, search, pages) and one group's
//!   detail with resolve / ignore / reopen;
//! - `/admin/monitoring/alerts`: the alert history by rule, with how long each incident lasted;
//! - `/admin/monitoring/rules`: every rule's settings, recipients and mute ([`super::rules_page`]).

use crate::audit::{Entry, RequestMeta, record};
use crate::auth::extract::{Staff, perm};
use crate::backup::pages::span;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::i18n::Lang;
use crate::listing::Paging;
use crate::monitoring::charts::{self, Chart};
use crate::monitoring::health::{self, CheckStatus};
use crate::monitoring::service as monitoring_service;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::alerting::{AlertStatus, ErrorStatus, RuleCode, duration};
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::permission::Permission;
use aglis_db::repo::alerts::{self, Alert};
use aglis_db::repo::{error_groups, metrics, users};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/monitoring", get(overview))
        .route("/admin/monitoring/live", get(live))
        .route("/admin/monitoring/demo-gateway", post(demo_gateway))
        .route("/admin/monitoring/errors", get(errors_page))
        .route("/admin/monitoring/errors/{id}", get(error_page))
        .route("/admin/monitoring/errors/{id}/transitions", post(error_transition))
        .route("/admin/monitoring/alerts", get(alerts_page))
        .route("/admin/monitoring/alerts/{id}/acknowledge", post(acknowledge_form))
        .merge(super::rules_page::router())
}

/// Open errors shown on the overview.
const TOP_ERRORS: u64 = 10;

pub(super) fn can_manage(role: aglis_core::permission::Role) -> bool {
    role.can(Permission::MonitoringManage)
}

/// The locale key of the message after a change (`?done=…`), or nothing.
pub(super) fn done_key(done: Option<&str>) -> &'static str {
    match done {
        Some("acknowledged") => "monitoring.done.acknowledged",
        Some("saved") => "monitoring.done.saved",
        Some("muted") => "monitoring.done.muted",
        Some("unmuted") => "monitoring.done.unmuted",
        Some("resolved") => "monitoring.done.resolved",
        Some("ignored") => "monitoring.done.ignored",
        Some("open") => "monitoring.done.reopened",
        Some("broken") => "monitoring.done.broken",
        Some("repaired") => "monitoring.done.repaired",
        _ => "",
    }
}

/// Where a form came from, to go back to: a monitoring page, or the overview.
pub(super) fn back_to(back: Option<&str>) -> String {
    back.map(str::trim)
        .filter(|b| b.starts_with("/admin/monitoring") && !b.contains("//") && b.chars().all(|c| c.is_ascii_graphic()))
        .map(|b| b.split('#').next().unwrap_or(b).to_owned())
        .unwrap_or_else(|| "/admin/monitoring".to_owned())
}

/// `path` with `done=<what>` added to its query.
pub(super) fn with_done(path: &str, what: &str) -> String {
    let kept: Vec<String> = match path.split_once('?') {
        Some((_, q)) => q.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=")).map(str::to_owned).collect(),
        None => Vec::new(),
    };
    let base = path.split('?').next().unwrap_or(path);
    let mut query = kept;
    query.push(format!("done={what}"));
    format!("{base}?{}", query.join("&"))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The health checks and the firing alerts (the live panel).

struct CheckView {
    name: String,
    status: &'static str,
    message: Option<String>,
    figures: Vec<(String, String)>,
    latency_ms: Option<u64>,
}

fn status_code(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Ok => "ok",
        CheckStatus::Degraded => "degraded",
        CheckStatus::Fail => "fail",
    }
}

/// The text of `key` under `prefix`, or `fallback` when there is none.
pub(super) fn label_or(lang: Lang, prefix: &str, key: &str) -> String {
    let full = format!("{prefix}{key}");
    let text = lang.t(&full);
    if text == full { key.to_owned() } else { text.to_owned() }
}

fn figure_value(v: &Value, lang: Lang) -> String {
    match v {
        Value::Bool(true) => lang.t("monitoring.yes").to_owned(),
        Value::Bool(false) => lang.t("monitoring.no").to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => charts::number(f, 1, lang),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// An alert as the tables show it.
struct AlertRow {
    id: i64,
    rule: String,
    value: String,
    detail: String,
    started: String,
    resolved: String,
    duration: String,
    firing: bool,
    /// `name · dd-mm-YYYY HH:MM WIB` of whoever acknowledged it.
    acknowledged: Option<String>,
    notifications: i32,
    direct: bool,
}

/// The usernames of `ids`.
async fn names(state: &AppState, ids: impl Iterator<Item = i64>) -> AppResult<BTreeMap<i64, String>> {
    let ids: Vec<i64> = ids.collect::<BTreeSet<_>>().into_iter().collect();
    Ok(users::usernames(&state.reads, &ids).await?)
}

async fn alert_rows(state: &AppState, shell: &Shell, list: Vec<Alert>) -> AppResult<Vec<AlertRow>> {
    let who = names(state, list.iter().filter_map(|a| a.acknowledged_by)).await?;
    let now = state.now();
    Ok(list
        .into_iter()
        .map(|a| AlertRow {
            duration: span(duration(a.started_at, a.resolved_at, now).num_milliseconds(), shell.lang),
            started: shell.local_time(&a.started_at),
            resolved: a.resolved_at.as_ref().map(|t| shell.local_time(t)).unwrap_or_default(),
            firing: a.status == AlertStatus::Firing,
            acknowledged: a.acknowledged_at.map(|at| {
                let by = a.acknowledged_by.and_then(|id| who.get(&id).cloned()).unwrap_or_else(|| "—".into());
                format!("{by} · {}", shell.local_time(&at))
            }),
            id: a.id,
            rule: a.rule,
            value: a.value,
            detail: a.detail,
            notifications: a.notifications,
            direct: a.direct,
        })
        .collect())
}

struct Live {
    status: &'static str,
    checks: Vec<CheckView>,
    alerts: Vec<AlertRow>,
    instance: String,
    version: &'static str,
    uptime: String,
    checked: String,
}

async fn live_view(state: &AppState, shell: &Shell) -> AppResult<Live> {
    let lang = shell.lang;
    let h = health::collect(state).await;
    let checks = h
        .checks
        .into_iter()
        .map(|(name, c)| CheckView {
            status: status_code(c.status),
            message: c.message,
            figures: c
                .figures
                .iter()
                .map(|(k, v)| (label_or(lang, "monitoring.figure.", k), figure_value(v, lang)))
                .collect(),
            latency_ms: c.latency_ms,
            name,
        })
        .collect();
    let active = alerts::active(&state.reads).await?;
    Ok(Live {
        status: status_code(h.status),
        checks,
        alerts: alert_rows(state, shell, active).await?,
        instance: h.instance.unwrap_or_default(),
        version: h.version.unwrap_or_default(),
        uptime: span(i64::try_from(h.uptime_secs.unwrap_or(0)).unwrap_or(i64::MAX).saturating_mul(1000), lang),
        checked: shell.local_time(&state.now()),
    })
}

// ---------------------------------------------------------------------------------------------
// The overview.

/// An error group as the tables show it.
struct ErrorRow {
    id: i64,
    title: String,
    route: String,
    source: String,
    status: String,
    count: i64,
    first_seen: String,
    last_seen: String,
}

fn error_row(shell: &Shell, g: &error_groups::Model) -> ErrorRow {
    ErrorRow {
        id: g.id,
        title: g.title.clone(),
        route: g.route.clone(),
        source: g.source.as_str().to_owned(),
        status: g.status.as_str().to_owned(),
        count: g.count,
        first_seen: shell.local_time(&g.first_seen),
        last_seen: shell.local_time(&g.last_seen),
    }
}

#[derive(Template)]
#[template(path = "monitoring/overview.html")]
struct OverviewPage {
    shell: Shell,
    live: Live,
    can_manage: bool,
    charts: Vec<Chart>,
    errors: Vec<ErrorRow>,
    open_errors: u64,
    /// `aglis demo` only: whether the demo WhatsApp gateway is broken.
    demo: Option<bool>,
    done: &'static str,
}

#[derive(Template)]
#[template(path = "monitoring/live_fragment.html")]
struct LiveFragment {
    shell: Shell,
    live: Live,
    can_manage: bool,
}

async fn overview(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MonitoringView>,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> AppResult<Response> {
    let now = state.now();
    let since = charts::since(now);
    let series = metrics::series(&state.reads, since).await?;
    let queue = metrics::queue_series(&state.reads, since).await?;
    let (open, open_errors) = error_groups::list(&state.reads, Some(ErrorStatus::Open), None, 1, TOP_ERRORS).await?;
    render(&OverviewPage {
        live: live_view(&state, &shell).await?,
        can_manage: can_manage(s.auth().user.role),
        charts: charts::charts(&series, &queue, now, shell.lang),
        errors: open.iter().map(|g| error_row(&shell, g)).collect(),
        open_errors,
        demo: state.monitor.demo_gateway_broken(),
        done: done_key(q.done.as_deref()),
        shell,
    })
}

/// The live panel alone, for htmx's polling.
async fn live(State(state): State<AppState>, shell: Shell, s: Staff<perm::MonitoringView>) -> AppResult<Response> {
    render(&LiveFragment { live: live_view(&state, &shell).await?, can_manage: can_manage(s.auth().user.role), shell })
}

#[derive(Debug, Deserialize)]
struct DemoForm {
    /// `break` or `repair`.
    action: Option<String>,
}

/// `aglis demo`: breaks or repairs the demo WhatsApp gateway (404 elsewhere).
async fn demo_gateway(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<DemoForm>,
) -> AppResult<Response> {
    if state.monitor.demo_gateway_broken().is_none() {
        return Err(AppError::NotFound("there is no demo gateway outside `aglis demo`".into()));
    }
    let broken = match form.action.as_deref().map(str::trim) {
        Some("break") => true,
        Some("repair") => false,
        _ => return Err(AppError::field("action", "must be break or repair")),
    };
    state.monitor.set_demo_gateway_broken(broken);
    let entry = Entry::new(AuditEvent::DemoGatewayToggled, AuditResult::Success)
        .by(s.auth())
        .meta(&meta)
        .resource("demo_gateway")
        .details(json!({ "broken": broken }));
    record(&state, entry).await?;
    let done = if broken { "broken" } else { "repaired" };
    Ok(Redirect::to(&format!("/admin/monitoring?done={done}#demo-gateway")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The error inbox.

#[derive(Template)]
#[template(path = "monitoring/errors.html")]
struct ErrorsPage {
    shell: Shell,
    rows: Vec<ErrorRow>,
    total: u64,
    page: u64,
    pages: u64,
    base_query: String,
    /// `open`, `resolved`, `ignored` or `all`.
    status: &'static str,
    q: String,
    /// Groups per status tab (with the search applied).
    counts: Vec<(&'static str, u64)>,
    /// `&q=…` for the tabs' links, when searching.
    q_param: String,
}

#[derive(Debug, Deserialize, Default)]
struct ErrorsParams {
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

async fn errors_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MonitoringView>,
    ApiQuery(p): ApiQuery<ErrorsParams>,
) -> AppResult<Response> {
    let paging = Paging::parse(p.page, p.per_page)?;
    let raw_status = p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("open");
    let status = monitoring_service::status_filter(Some(raw_status))?;
    let q: String = p.q.unwrap_or_default().trim().chars().take(monitoring_service::MAX_Q).collect();
    let text = Some(q.as_str()).filter(|q| !q.is_empty());
    let (rows, total) = error_groups::list(&state.reads, status, text, paging.page, paging.per_page).await?;
    let mut counts = Vec::new();
    let mut all = 0;
    for s in ErrorStatus::ALL {
        let (_, n) = error_groups::list(&state.reads, Some(*s), text, 1, 1).await?;
        all += n;
        counts.push((s.as_str(), n));
    }
    counts.push(("all", all));
    let status_code = status.map_or("all", ErrorStatus::as_str);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("status", status_code);
    if !q.is_empty() {
        query.append_pair("q", &q);
    }
    if p.per_page.is_some() {
        query.append_pair("per_page", &paging.per_page.to_string());
    }
    let q_param = if q.is_empty() {
        String::new()
    } else {
        format!("&{}", form_urlencoded::Serializer::new(String::new()).append_pair("q", &q).finish())
    };
    render(&ErrorsPage {
        rows: rows.iter().map(|g| error_row(&shell, g)).collect(),
        q_param,
        total,
        page: paging.page,
        pages: paging.pages(total),
        base_query: query.finish(),
        status: status_code,
        q,
        counts,
        shell,
    })
}

#[derive(Template)]
#[template(path = "monitoring/error.html")]
struct ErrorDetailPage {
    shell: Shell,
    e: ErrorRow,
    detail: String,
    request_id: Option<String>,
    user_id: Option<i64>,
    /// `name · time` of whoever resolved it.
    resolved: Option<String>,
    can_manage: bool,
    done: &'static str,
}

impl ErrorDetailPage {
    /// The buttons: every status but the current one.
    fn targets(&self) -> Vec<&'static str> {
        [ErrorStatus::Resolved, ErrorStatus::Ignored, ErrorStatus::Open]
            .into_iter()
            .filter(|s| s.as_str() != self.e.status)
            .map(ErrorStatus::as_str)
            .collect()
    }
}

async fn error_page(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MonitoringView>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> AppResult<Response> {
    let g = error_groups::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("error group"))?;
    let who = names(&state, g.resolved_by.into_iter()).await?;
    let resolved = g.resolved_at.filter(|_| g.status == ErrorStatus::Resolved).map(|at| {
        let by = g.resolved_by.and_then(|id| who.get(&id).cloned()).unwrap_or_else(|| "—".into());
        format!("{by} · {}", shell.local_time(&at))
    });
    render(&ErrorDetailPage {
        e: error_row(&shell, &g),
        detail: g.detail,
        request_id: g.last_request_id,
        user_id: g.last_user_id,
        resolved,
        can_manage: can_manage(s.auth().user.role),
        done: done_key(q.done.as_deref()),
        shell,
    })
}

#[derive(Debug, Deserialize)]
struct TransitionForm {
    to: Option<String>,
}

async fn error_transition(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<TransitionForm>,
) -> AppResult<Response> {
    let to = form
        .to
        .as_deref()
        .and_then(|t| ErrorStatus::from_str(t.trim()).ok())
        .ok_or_else(|| AppError::field("to", "must be resolved, ignored or open"))?;
    monitoring_service::transition(&state, s.auth(), &meta, id, to).await?;
    Ok(Redirect::to(&format!("/admin/monitoring/errors/{id}?done={to}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The alert history.

#[derive(Template)]
#[template(path = "monitoring/alerts.html")]
struct AlertsPage {
    shell: Shell,
    rows: Vec<AlertRow>,
    /// The rule shown, or empty for every rule.
    rule: String,
    total: u64,
    page: u64,
    pages: u64,
    base_query: String,
    /// `back` of the acknowledge forms: this page with its filter and page.
    here: String,
    can_manage: bool,
    done: &'static str,
}

impl AlertsPage {
    fn codes(&self) -> &'static [RuleCode] {
        RuleCode::ALL
    }
}

#[derive(Debug, Deserialize, Default)]
struct AlertsParams {
    rule: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
    done: Option<String>,
}

async fn alerts_page(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MonitoringView>,
    ApiQuery(p): ApiQuery<AlertsParams>,
) -> AppResult<Response> {
    let paging = Paging::parse(p.page, p.per_page)?;
    let rule = monitoring_service::rule_filter(p.rule.as_deref())?;
    let (list, total) = alerts::history(&state.reads, rule, paging.page, paging.per_page).await?;
    let base_query = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(r) = rule {
            query.append_pair("rule", r.as_str());
        }
        if p.per_page.is_some() {
            query.append_pair("per_page", &paging.per_page.to_string());
        }
        query.finish()
    };
    let here = if base_query.is_empty() {
        format!("/admin/monitoring/alerts?page={}", paging.page)
    } else {
        format!("/admin/monitoring/alerts?{base_query}&page={}", paging.page)
    };
    render(&AlertsPage {
        rows: alert_rows(&state, &shell, list).await?,
        rule: rule.map_or("", RuleCode::as_str).to_owned(),
        total,
        page: paging.page,
        pages: paging.pages(total),
        base_query,
        here,
        can_manage: can_manage(s.auth().user.role),
        done: done_key(p.done.as_deref()),
        shell,
    })
}

#[derive(Debug, Deserialize)]
struct BackForm {
    back: Option<String>,
}

async fn acknowledge_form(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    IdPath(id): IdPath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<BackForm>,
) -> AppResult<Response> {
    monitoring_service::acknowledge(&state, s.auth(), &meta, id).await?;
    Ok(Redirect::to(&with_done(&back_to(form.back.as_deref()), "acknowledged")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_go_back_only_to_monitoring_pages() {
        assert_eq!(
            back_to(Some("/admin/monitoring/alerts?rule=disk&page=2")),
            "/admin/monitoring/alerts?rule=disk&page=2"
        );
        assert_eq!(back_to(Some("https://evil.example/admin/monitoring")), "/admin/monitoring");
        assert_eq!(back_to(Some("/admin/monitoring//evil")), "/admin/monitoring");
        assert_eq!(back_to(Some("/admin/monitoring\r\nx: y")), "/admin/monitoring");
        assert_eq!(back_to(None), "/admin/monitoring");
        assert_eq!(with_done("/admin/monitoring", "acknowledged"), "/admin/monitoring?done=acknowledged");
        assert_eq!(
            with_done("/admin/monitoring/alerts?rule=disk&done=saved&page=2", "acknowledged"),
            "/admin/monitoring/alerts?rule=disk&page=2&done=acknowledged"
        );
    }
}
