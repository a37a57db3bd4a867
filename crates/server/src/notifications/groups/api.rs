//! `/api/v1/recipient-groups`: list, create, change and delete recipient groups.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::notifications::groups;
use crate::state::AppState;
use aglis_db::repo::recipient_groups::{self, Group};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, delete))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Every active user with one of these roles is a member.
    pub roles: Vec<String>,
    /// Extra numbers (`628…`) and addresses.
    pub members: Vec<String>,
    pub is_active: bool,
    /// Members reachable by WhatsApp now.
    pub whatsapp_recipients: usize,
    /// Members reachable by e-mail now.
    pub email_recipients: usize,
    pub updated_at: DateTime<Utc>,
}

async fn out(state: &AppState, g: Group) -> AppResult<GroupOut> {
    let (wa, mail) = groups::reach(&state.db, &g).await?;
    Ok(GroupOut {
        id: g.id,
        name: g.name,
        description: g.description,
        roles: g.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        members: g.members,
        is_active: g.is_active,
        whatsapp_recipients: wa,
        email_recipients: mail,
        updated_at: g.updated_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    #[schema(example = "Teknisi Karawang")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Role names: admin, supervisor, manager, noc, customer_service, technician.
    #[serde(default)]
    #[schema(example = json!(["technician"]))]
    pub roles: Vec<String>,
    /// Extra phone numbers or e-mail addresses.
    #[serde(default)]
    #[schema(example = json!(["0812-7788-9900"]))]
    pub members: Vec<String>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// Every group with how many people it reaches.
#[utoipa::path(
    get,
    path = "/api/v1/recipient-groups",
    params(PageQuery), tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<GroupOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    paging: Paging,
) -> AppResult<Json<Page<GroupOut>>> {
    let mut items = Vec::new();
    for g in recipient_groups::list(&state.db).await? {
        items.push(out(&state, g).await?);
    }
    Ok(Json(Page::of_all(items, paging)))
}

/// Creates a group.
#[utoipa::path(
    post,
    path = "/api/v1/recipient-groups",
    tag = "notifications",
    request_body = GroupIn,
    security(("bearer" = [])),
    responses(
        (status = 201, body = GroupOut),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsManage>,
    ApiJson(req): ApiJson<GroupIn>,
) -> AppResult<(StatusCode, Json<GroupOut>)> {
    let f = groups::parse_fields(&req.name, &req.description, &req.roles, &req.members, req.is_active.unwrap_or(true))
        .map_err(AppError::fields)?;
    let g = groups::create(&state.db, f, state.now()).await?;
    Ok((StatusCode::CREATED, Json(out(&state, g).await?)))
}

/// One group.
#[utoipa::path(
    get,
    path = "/api/v1/recipient-groups/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Group id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GroupOut),
    )
)]
async fn show(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
) -> AppResult<Json<GroupOut>> {
    let g = recipient_groups::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("group"))?;
    Ok(Json(out(&state, g).await?))
}

/// Replaces a group's fields.
#[utoipa::path(
    put,
    path = "/api/v1/recipient-groups/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Group id")),
    request_body = GroupIn,
    security(("bearer" = [])),
    responses(
        (status = 200, body = GroupOut),
    )
)]
async fn update(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsManage>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<GroupIn>,
) -> AppResult<Json<GroupOut>> {
    let f = groups::parse_fields(&req.name, &req.description, &req.roles, &req.members, req.is_active.unwrap_or(true))
        .map_err(AppError::fields)?;
    let g = groups::update(&state.db, id, f, state.now()).await?;
    Ok(Json(out(&state, g).await?))
}

/// Deletes a group. Messages already sent to it are kept.
#[utoipa::path(
    delete,
    path = "/api/v1/recipient-groups/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Group id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
async fn delete(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsManage>,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    if recipient_groups::delete(&state.db, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("group"))
    }
}
