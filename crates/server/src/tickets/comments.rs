//! Comments on a ticket: `ticket_events` of kind `comment`, shown in its history. Whoever may see
//! a ticket may comment on it; a comment by staff or a technician is its first response.

use crate::auth::extract::CurrentUser;
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, IdPath};
use crate::state::AppState;
use crate::tickets::{first_response, service};
use aglis_db::repo::tickets;
use aglis_db::{DbError, TransactionTrait};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(comment))
}

/// Most characters a comment keeps.
pub const COMMENT_MAX: usize = 2_000;

/// Adds a comment as `auth`. A comment by staff or a technician is the ticket's first response
/// if nothing came before it.
pub async fn add_comment(state: &AppState, auth: &Authenticated, id: i64, body: &str) -> AppResult<()> {
    let t = service::visible(&state.db, auth, id).await?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::field("body", "write the comment"));
    }
    if body.chars().count() > COMMENT_MAX {
        return Err(AppError::field("body", format!("at most {COMMENT_MAX} characters")));
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    tickets::add_event(&txn, t.id, "comment", None, body, Some(auth.user.id), now).await?;
    first_response::responded(&txn, auth, t.id, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    #[schema(
        example = "Pelanggan minta teknisi datang setelah jam 13.00",
        pattern = "[^\\s\\u0085]",
        max_length = 2000
    )]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    pub ticket_id: i64,
    pub body: String,
    pub actor_id: i64,
    pub at: DateTime<Utc>,
}

/// Comments on a ticket; it shows in the ticket's history (kind `comment`). A comment by staff
/// or a technician counts as the first response.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", request_body = CommentIn,
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 201, body = CommentOut),))]
async fn comment(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<CommentIn>,
) -> AppResult<(StatusCode, Json<CommentOut>)> {
    add_comment(&state, &auth, id, &req.body).await?;
    let out = CommentOut { ticket_id: id, body: req.body.trim().to_owned(), actor_id: auth.user.id, at: state.now() };
    Ok((StatusCode::CREATED, Json(out)))
}
