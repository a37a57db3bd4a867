//! `/api/v1/auth/*` and `/api/v1/me`.

use crate::audit::RequestMeta;
use crate::auth::extract::CurrentUser;
use crate::auth::service::{self, Credentials, LoginOutcome};
use crate::auth::session::bearer_token;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::users::api::UserOut;
use aglis_db::repo::sessions::SessionKind;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(change_password))
        .routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    #[schema(example = "demo12345")]
    pub password: String,
    /// For accounts with two-factor on: the 6-digit code of the authenticator app, or one of
    /// the recovery codes (`abcd-efgh-jk`, each works once).
    #[schema(example = "123456")]
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

/// Exchanges a username and password (and, with two-factor on, a code) for a bearer token.
///
/// Failed sign-ins lock the account progressively (by default 5 → 5 minutes, 10 → 1 hour,
/// 15 → until an admin unlocks it); the 401 warns when one or two attempts remain. Attempts are
/// also limited per client address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password (one message for both), or a two-factor code is needed or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Locked until an admin unlocks it, or an admin/supervisor who must first enrol in two-factor in the web UI", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field has the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Account locked for a while after repeated failures, or too many attempts from this address (see Retry-After)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let creds = Credentials { username: &req.username, password: &req.password, totp: req.totp.as_deref() };
    match service::login(&state, creds, SessionKind::Api, &meta, None).await? {
        LoginOutcome::SignedIn(signed) => Ok(Json(LoginResponse {
            token: signed.token,
            expires_at: signed.expires_at,
            user: UserOut::from(&signed.user),
        })),
        LoginOutcome::NeedsCode(_) => Err(service::LoginError::CodeRequired.into()),
    }
}

/// Revokes the bearer token used for this request.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Token revoked"),
        (status = 400, description = "Not a bearer-token request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let token =
        bearer_token(&headers).ok_or_else(|| AppError::BadRequest("sign out of the web UI with its button".into()))?;
    service::logout(&state, Some(&auth.user), token, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session and token of the caller, this one included ("log out everywhere").
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout-all",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of the caller ended"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout_all(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
) -> AppResult<StatusCode> {
    service::logout_all(&state, &auth, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 8 characters, different from the current one.
    #[schema(schema_with = crate::schemas::new_password)]
    pub new_password: String,
}

/// Changes the caller's own password; every other session of theirs ends.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password changed; the caller's other sessions ended"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password, or an unacceptable new one (`errors` names the field)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    service::change_password(&state, &auth, &req.current_password, &req.new_password, &meta).await?;
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
        (status = 403, description = "An admin or supervisor who must first enrol in two-factor", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn me(CurrentUser(auth): CurrentUser) -> Json<UserOut> {
    Json(UserOut::from(&auth.user))
}
