//! `/billing/runs`: the month's run from the billing page. A preview (the dry run) says how many
//! invoices the run would write and for how much; "create" (billing managers, after a
//! confirmation) queues it, and the progress panel (polled by htmx from `/billing/runs/progress`)
//! shows it move. Below, every run so far: by whom or by the schedule, when, and what it wrote.

use super::api::billable_period;
use super::run::{self, RunReport};
use super::runs;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::billing_run::percent;
use aglis_core::permission::Permission;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::billing_runs::{self, BillingRun};
use aglis_db::repo::users;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/billing/runs", get(page).post(start)).route("/billing/runs/progress", get(progress))
}

#[derive(Debug, Deserialize, Default)]
struct Params {
    /// `YYYY-MM` to preview.
    #[serde(default)]
    period: String,
    page: Option<u64>,
    /// The run just queued.
    started: Option<i64>,
}

/// A run as the history and the progress panel show it.
struct RunRow {
    r: BillingRun,
    by: String,
    created_at: String,
    took: String,
    percent: i64,
}

#[derive(Template)]
#[template(path = "billing/runs.html")]
struct RunsPage {
    shell: Shell,
    can_run: bool,
    /// The months a run may bill: this one and the next.
    months: Vec<(String, String)>,
    chosen: String,
    preview: Option<RunReport>,
    errors: FieldErrors,
    panel: Vec<RunRow>,
    /// The run just queued from this page, with where it is now.
    just_started: Option<RunRow>,
    rows: Vec<RunRow>,
    total: u64,
    page: u64,
    pages: u64,
    base_query: String,
}

#[derive(Template)]
#[template(path = "billing/runs_progress.html")]
struct ProgressPanel {
    shell: Shell,
    panel: Vec<RunRow>,
}

fn months(state: &AppState, shell: &Shell) -> Vec<(String, String)> {
    let this = Period::containing(state.now().with_timezone(&JAKARTA).date_naive());
    [this, this.next()]
        .into_iter()
        .map(|p| {
            let name = aglis_core::billing::month_name(shell.lang.into(), p.start);
            (p.to_string(), format!("{name} {}", chrono::Datelike::year(&p.start)))
        })
        .collect()
}

async fn rows(state: &AppState, shell: &Shell, runs: Vec<BillingRun>) -> AppResult<Vec<RunRow>> {
    let ids: Vec<i64> = runs.iter().filter_map(|r| r.started_by).collect();
    let names = users::full_names(&state.db, &ids).await?;
    Ok(runs
        .into_iter()
        .map(|r| RunRow {
            by: match r.started_by {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
                None => shell.t("billing.runs.by_schedule").to_owned(),
            },
            created_at: shell.local_time(&r.created_at),
            took: match (r.started_at, r.finished_at) {
                (Some(a), Some(b)) => format!("{:.1} s", (b - a).num_milliseconds() as f64 / 1000.0),
                _ => String::new(),
            },
            percent: percent(r.done, r.of_total),
            r,
        })
        .collect())
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingView>,
    ApiQuery(q): ApiQuery<Params>,
) -> AppResult<Response> {
    let can_run = staff.auth().user.role.can(Permission::BillingManage);
    let months = months(&state, &shell);
    let mut errors = FieldErrors::new();
    let mut preview = None;
    let chosen = if q.period.trim().is_empty() { months[0].0.clone() } else { q.period.trim().to_owned() };
    if can_run && !q.period.trim().is_empty() {
        match billable_period(q.period.trim(), state.now()) {
            Ok(period) => preview = Some(run::run(&state, period, true, None, None).await?),
            Err(AppError::Validation { fields, .. }) => errors = fields,
            Err(e) => return Err(e),
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&full_page(&state, shell, can_run, months, chosen, preview, errors, q.started, q.page).await?)?)
        .into_response())
}

#[allow(clippy::too_many_arguments)]
async fn full_page(
    state: &AppState,
    shell: Shell,
    can_run: bool,
    months: Vec<(String, String)>,
    chosen: String,
    preview: Option<RunReport>,
    errors: FieldErrors,
    started: Option<i64>,
    page: Option<u64>,
) -> AppResult<RunsPage> {
    let paging = Paging::parse(page, None)?;
    let (history, total) = billing_runs::page(&state.db, paging.offset(), paging.per_page).await?;
    let rows = rows(state, &shell, history).await?;
    let panel = rows_of_active(state, &shell).await?;
    let just_started = match started {
        Some(id) => match billing_runs::get(&state.db, id).await? {
            Some(r) => self::rows(state, &shell, vec![r]).await?.pop(),
            None => None,
        },
        None => None,
    };
    Ok(RunsPage {
        can_run,
        months,
        chosen,
        preview,
        errors,
        panel,
        just_started,
        rows,
        total,
        page: paging.page,
        pages: paging.pages(total),
        base_query: String::new(),
        shell,
    })
}

async fn rows_of_active(state: &AppState, shell: &Shell) -> AppResult<Vec<RunRow>> {
    rows(state, shell, billing_runs::active(&state.db).await?).await
}

/// The progress panel htmx polls. When no run is left under way, the page is reloaded (the
/// `HX-Refresh` header) so that its notice and history show what the run wrote.
async fn progress(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
) -> AppResult<Response> {
    let panel = rows_of_active(&state, &shell).await?;
    let finished = panel.is_empty();
    let mut res = render(&ProgressPanel { shell, panel })?;
    if finished {
        res.headers_mut().insert("hx-refresh", axum::http::HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Debug, Deserialize, Default)]
struct StartForm {
    #[serde(default)]
    period: String,
}

async fn start(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    ApiForm(f): ApiForm<StartForm>,
) -> AppResult<Response> {
    let period = match billable_period(f.period.trim(), state.now()) {
        Ok(p) => p,
        Err(AppError::Validation { fields, .. }) => {
            let months = months(&state, &shell);
            let chosen = months[0].0.clone();
            let page = full_page(&state, shell, true, months, chosen, None, fields, None, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e),
    };
    let recorded = runs::queue(&state, period, staff.auth().user.id).await?;
    let entry = Entry::new(AuditEvent::BillingRun, AuditResult::Success)
        .by(staff.auth())
        .meta(&meta)
        .resource(format!("billing:{period}"))
        .details(serde_json::json!({"period": period.to_string(), "run": recorded.id, "queued": true}));
    audit::record(&state, entry).await?;
    Ok(Redirect::to(&format!("/billing/runs?started={}", recorded.id)).into_response())
}
