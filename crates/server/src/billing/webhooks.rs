//! `POST /api/webhooks/payments/midtrans` and `/xendit`: the gateways' payment callbacks (spec
//! protocols.md §4.4, §5.2). Verified first (Midtrans: the SHA-512 `signature_key`; Xendit: the
//! `x-callback-token`), refused with 401 and nothing stored when wrong; then stored raw together
//! with the job that applies it and answered 200 at once. The job applies it exactly once
//! ([`super::online::apply`]), so a crash between storing and applying loses nothing.

use super::online;
use crate::error::{AppError, AppResult, Problem};
use crate::jobs::registry::JobError;
use crate::notifications::webhooks::{EventPayload, store_event};
use crate::state::AppState;
use aglis_core::payment_gateway::xendit_token_ok;
use aglis_db::repo::webhook_events;
use aglis_integrations::payments::{midtrans, xendit};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The job that applies one stored payment callback.
pub const APPLY_PAYMENT_JOB: &str = "billing.apply_callback";
const MAX_BODY: usize = 64 * 1024;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(midtrans_notification)).routes(routes!(xendit_callback))
}

fn json_body(body: &[u8]) -> AppResult<serde_json::Value> {
    if body.len() > MAX_BODY {
        return Err(AppError::PayloadTooLarge("a payment callback is never this large".into()));
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| AppError::BadRequest("the body is not a JSON object".into()))
}

/// Midtrans' HTTP notification. Answers 200 once the notification is stored.
#[utoipa::path(
    post,
    path = "/api/webhooks/payments/midtrans",
    tag = "billing",
    request_body(content = Object, description = "Midtrans' notification: order_id, status_code, gross_amount, signature_key, transaction_status, transaction_id, …"),
    responses(
        (status = 200, description = "Stored; applied in the background"),
        (status = 400, description = "Not a JSON object: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong signature: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Midtrans is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn midtrans_notification(
    State(state): State<AppState>,
    meta: crate::audit::RequestMeta,
    body: Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let Some(config) = &state.config.payments.midtrans else {
        return Err(AppError::NotFound("Midtrans is not configured".into()));
    };
    let json = json_body(&body)?;
    if !midtrans::signature_valid(&json, config.server_key.expose_secret()) {
        crate::audit::sites::webhook_refused(&state, &meta, "midtrans", "wrong signature_key");
        return Err(AppError::Unauthorized("wrong signature_key".into()));
    }
    store_event(&state, "midtrans", &body, APPLY_PAYMENT_JOB).await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

/// Xendit's invoice callback. Answers 200 once the callback is stored.
#[utoipa::path(
    post,
    path = "/api/webhooks/payments/xendit",
    tag = "billing",
    params(("x-callback-token" = Option<String>, Header, description = "Xendit's callback verification token")),
    request_body(content = Object, description = "Xendit's invoice callback: id, external_id, status, amount, paid_amount, payment_method, …"),
    responses(
        (status = 200, description = "Stored; applied in the background"),
        (status = 400, description = "Not a JSON object: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or missing token: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Xendit's callback is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn xendit_callback(
    State(state): State<AppState>,
    meta: crate::audit::RequestMeta,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let Some(token) = state.config.payments.xendit.as_ref().and_then(|x| x.callback_token.as_ref()) else {
        return Err(AppError::NotFound("Xendit's callback is not configured".into()));
    };
    let received = headers.get("x-callback-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !xendit_token_ok(token.expose_secret(), received) {
        crate::audit::sites::webhook_refused(&state, &meta, "xendit", "wrong or missing x-callback-token");
        return Err(AppError::Unauthorized("wrong or missing x-callback-token".into()));
    }
    json_body(&body)?;
    store_event(&state, "xendit", &body, APPLY_PAYMENT_JOB).await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

/// The job: applies one stored payment callback.
pub async fn apply_callback(state: AppState, payload: EventPayload) -> Result<(), JobError> {
    let event_id = payload.event_id;
    let db = &state.db;
    let e = JobError::from;
    let Some(event) = webhook_events::get(db, event_id).await.map_err(e)? else { return Ok(()) };
    if event.processed_at.is_some() {
        return Ok(());
    }
    let finish = |outcome: &'static str, checkout: Option<i64>| {
        let state = state.clone();
        async move { webhook_events::finish_checkout(&state.db, event_id, outcome, checkout, state.now()).await }
    };
    let report =
        serde_json::from_str::<serde_json::Value>(&event.payload).ok().and_then(|body| match event.source.as_str() {
            "midtrans" => midtrans::read_notification(&body).ok(),
            "xendit" => xendit::read_callback(&body).ok(),
            _ => None,
        });
    let Some(report) = report else { return finish("invalid", None).await.map_err(e) };
    let (applied, checkout) = online::apply(&state, &event.source, &report).await.map_err(JobError::from)?;
    if let online::Applied::Invalid(why) = &applied {
        tracing::warn!(event_id, %why, "payment callback not applied");
    }
    finish(applied.outcome(), checkout).await.map_err(e)
}
