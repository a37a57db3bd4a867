//! `/api/v1/notification-templates`: list the texts, change one, preview a text before saving it.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::notifications::templates::{self, spec_of};
use crate::state::AppState;
use aglis_db::repo::notification_templates::{self, Template};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(update)).routes(routes!(preview))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VariableOut {
    pub name: String,
    /// The value previews use.
    pub example: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    pub id: i64,
    /// The event code, used as `template` when sending.
    pub event: String,
    /// `id` or `en`.
    pub language: String,
    pub subject: String,
    pub body: String,
    /// The variables this event provides; a text may use only these.
    pub variables: Vec<VariableOut>,
    pub updated_at: DateTime<Utc>,
}

fn out(t: Template) -> AppResult<TemplateOut> {
    let event = spec_of(&t)?;
    Ok(TemplateOut {
        id: t.id,
        event: t.event,
        language: t.language.as_str().to_owned(),
        subject: t.subject,
        body: t.body,
        variables: event
            .variables
            .iter()
            .map(|(n, e)| VariableOut { name: (*n).to_owned(), example: (*e).to_owned() })
            .collect(),
        updated_at: t.updated_at,
    })
}

/// Every template, by event and language.
#[utoipa::path(
    get,
    path = "/api/v1/notification-templates",
    params(PageQuery), tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<TemplateOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    paging: Paging,
) -> AppResult<Json<Page<TemplateOut>>> {
    let rows = notification_templates::list(&state.db).await?;
    Ok(Json(Page::of_all(rows.into_iter().map(out).collect::<AppResult<_>>()?, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    /// E-mail subject; may be empty.
    #[serde(default)]
    pub subject: String,
    #[schema(example = "Halo {{customerName}}, tagihan *{{invoiceNumber}}* jatuh tempo {{dueDate}}.")]
    pub body: String,
}

/// Changes a template's texts. A variable the event does not provide is a 422 naming the field.
#[utoipa::path(
    put,
    path = "/api/v1/notification-templates/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Template id")),
    request_body = TemplateText,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TemplateOut),
    )
)]
async fn update(
    State(state): State<AppState>,
    staff: Staff<perm::NotificationsManage>,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<TemplateText>,
) -> AppResult<Json<TemplateOut>> {
    let saved = templates::save(&state.db, id, &req.subject, &req.body, staff.auth().user.id, state.now()).await?;
    crate::audit::sites::template_saved(&state, staff.auth(), &meta, &saved).await?;
    Ok(Json(out(saved)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    pub subject: String,
    #[schema(pattern = "[^\\s\\u0085]")]
    pub body: String,
    /// Values to show instead of the examples.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub subject: String,
    pub body: String,
}

/// Fills a (not yet saved) text for template `id`'s event with example or given values.
#[utoipa::path(
    post,
    path = "/api/v1/notification-templates/{id}/preview",
    tag = "notifications",
    params(("id" = i64, Path, description = "Template id")),
    request_body = PreviewRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PreviewOut),
    )
)]
async fn preview(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> AppResult<Json<PreviewOut>> {
    let t = notification_templates::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("template"))?;
    let (subject, body) =
        templates::preview(spec_of(&t)?, &req.subject, &req.body, &req.variables).map_err(AppError::fields)?;
    Ok(Json(PreviewOut { subject, body }))
}
