//! `/api/v1/auth/*` and `/api/v1/me`.

use crate::app::AppState;
use crate::auth::extract::CurrentUser;
use crate::auth::service;
use crate::auth::session::bearer_token;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::users::api::UserOut;
use aglis_db::repo::sessions::SessionKind;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    #[schema(example = "demo12345")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password (one message for both)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field has the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked after repeated failures", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let signed = service::login(&state, &req.username, &req.password, SessionKind::Api, ua).await?;
    Ok(Json(LoginResponse { token: signed.token, expires_at: signed.expires_at, user: UserOut::from(&signed.user) }))
}

/// Revokes the bearer token used for this request.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Token revoked"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<AppState>,
    CurrentUser(_auth): CurrentUser,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let token =
        bearer_token(&headers).ok_or_else(|| AppError::BadRequest("sign out of the web UI with its button".into()))?;
    service::logout(&state, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn me(CurrentUser(auth): CurrentUser) -> Json<UserOut> {
    Json(UserOut::from(&auth.user))
}
