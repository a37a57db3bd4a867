//! `/notifications/broadcasts`: past broadcasts with their delivery figures, and the compose form
//! (a target, the texts, a live count of recipients) → a confirmation page → send.

use super::service::{self, Compose, Request};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::broadcast::{Figures, MAX_BODY_CHARS};
use aglis_core::permission::Permission;
use aglis_db::repo::broadcasts::{self, Broadcast};
use aglis_db::repo::odps::{self, Odp, OdpQuery};
use aglis_db::repo::packages::{self, Package};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications/broadcasts", get(list).post(create))
        .route("/notifications/broadcasts/count", get(count))
}

/// The compose form as typed: the chosen target kind picks which selector counts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BroadcastForm {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub odp_id: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub package_id: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_en: String,
    /// `preview` (the confirmation page) or `send`.
    #[serde(default)]
    pub action: String,
}

impl BroadcastForm {
    fn request(&self) -> Request {
        let id = |s: &str| s.trim().parse::<i64>().ok();
        let mut r = Request { body: self.body.clone(), body_en: Some(self.body_en.clone()), ..Request::default() };
        match self.target.as_str() {
            "odp" => r.odp_id = id(&self.odp_id),
            "area" => r.area = Some(self.area.clone()),
            "package" => r.package_id = id(&self.package_id),
            _ => {}
        }
        r
    }
}

/// A past broadcast as listed.
pub struct Row {
    pub broadcast: Broadcast,
    pub figures: Figures,
}

/// Recent broadcasts with their figures (the list here and the queue dashboard).
pub async fn recent(state: &AppState, page: u64, per_page: u64) -> AppResult<(Vec<Row>, u64)> {
    let (items, total) = broadcasts::list(&state.reads, page, per_page).await?;
    let ids: Vec<i64> = items.iter().map(|b| b.id).collect();
    let mut figures = broadcasts::figures(&state.reads, &ids).await?;
    let rows =
        items.into_iter().map(|b| Row { figures: figures.remove(&b.id).unwrap_or_default(), broadcast: b }).collect();
    Ok((rows, total))
}

#[derive(Template)]
#[template(path = "notifications/broadcasts/list.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    page: u64,
    pages: u64,
    can_send: bool,
    form: BroadcastForm,
    errors: FieldErrors,
    odps: Vec<Odp>,
    areas: Vec<String>,
    packages: Vec<Package>,
    count: Option<usize>,
    sent: Option<i64>,
    max_chars: usize,
    base_query: String,
}

impl ListPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    page: Option<u64>,
    /// The broadcast just sent (shown once).
    sent: Option<i64>,
}

async fn build(
    state: &AppState,
    shell: Shell,
    form: BroadcastForm,
    errors: FieldErrors,
    page: u64,
    sent: Option<i64>,
) -> AppResult<ListPage> {
    let paging = Paging::parse(Some(page), None)?;
    let (rows, total) = recent(state, paging.page, paging.per_page).await?;
    let can_send = shell.user.as_ref().is_some_and(|u| u.role.can(Permission::BroadcastsSend));
    let odps = odps::list(&state.reads, &OdpQuery { page: 1, per_page: 1000, ..OdpQuery::default() }).await?.0;
    let count = match service::check(&state.reads, &form.request()).await {
        Ok(c) => Some(service::count(&state.reads, &c.target).await?),
        Err(_) => None,
    };
    Ok(ListPage {
        rows,
        page: paging.page,
        pages: paging.pages(total),
        can_send,
        form,
        errors,
        odps,
        areas: broadcasts::areas(&state.reads).await?,
        packages: packages::list(&state.reads, false).await?,
        count,
        sent,
        max_chars: MAX_BODY_CHARS,
        base_query: String::new(),
        shell,
    })
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::NotificationsView>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let form = BroadcastForm { target: "odp".into(), ..BroadcastForm::default() };
    render(&build(&state, shell, form, FieldErrors::new(), q.page.unwrap_or(1), q.sent).await?)
}

#[derive(Template)]
#[template(path = "notifications/broadcasts/count.html")]
struct CountFragment {
    shell: Shell,
    count: Option<usize>,
}

/// The live recipient count of the compose form (htmx swaps it in on every change).
async fn count(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BroadcastsSend>,
    ApiQuery(form): ApiQuery<BroadcastForm>,
) -> AppResult<Response> {
    let mut req = form.request();
    // The texts do not change who receives it: count even before they are written.
    req.body = "-".into();
    req.body_en = None;
    let count = match service::check(&state.reads, &req).await {
        Ok(c) => Some(service::count(&state.reads, &c.target).await?),
        Err(_) => None,
    };
    render(&CountFragment { shell, count })
}

#[derive(Template)]
#[template(path = "notifications/broadcasts/confirm.html")]
struct ConfirmPage {
    shell: Shell,
    form: BroadcastForm,
    compose: Compose,
    count: usize,
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BroadcastsSend>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<BroadcastForm>,
) -> AppResult<Response> {
    let checked = match service::check(&state.db, &form.request()).await {
        Ok(c) if form.action == "send" => service::send(&state, staff.auth(), &meta, c).await.map(Ok),
        Ok(c) => Ok(Err(c)),
        Err(e) => Err(e),
    };
    match checked {
        Ok(Ok(b)) => Ok(Redirect::to(&format!("/notifications/broadcasts?sent={}", b.id)).into_response()),
        Ok(Err(compose)) => {
            let count = service::count(&state.db, &compose.target).await?;
            render(&ConfirmPage { shell, form, compose, count })
        }
        Err(AppError::Validation { fields, .. }) => {
            let page = build(&state, shell, form, fields, 1, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}
