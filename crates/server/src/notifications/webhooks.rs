//! `POST /api/webhooks/whatsapp/delivery?token=…`: Fonnte's message-status callback (spec
//! protocols.md §1.3). Fonnte signs nothing, so a secret token in the URL guards it. The raw body
//! is stored first, together with the job that applies it, then answered 200 at once; applying is
//! idempotent and statuses never move backwards.

use crate::auth::token::constant_time_eq;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiQuery;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::notification::MessageStatus;
use aglis_db::jobs::{self, NewJob};
use aglis_db::repo::{messages, webhook_events};
use aglis_db::{DbError, TransactionTrait};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const APPLY_FONNTE_JOB: &str = "webhooks.fonnte_status";
const MAX_BODY: usize = 64 * 1024;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(fonnte_delivery))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenParam {
    /// The secret configured as `AGLIS_FONNTE_WEBHOOK_TOKEN`.
    pub token: Option<String>,
}

/// Fonnte's message-status callback. Answers 200 once the event is stored.
#[utoipa::path(
    post,
    path = "/api/webhooks/whatsapp/delivery",
    tag = "notifications",
    params(TokenParam),
    request_body(content = Object, description = "Fonnte's status callback: `id` + `status`, and/or `stateid` + `state`"),
    responses(
        (status = 200, description = "Stored; applied in the background"),
        (status = 401, description = "Wrong or missing token: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The callback is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn fonnte_delivery(
    State(state): State<AppState>,
    meta: crate::audit::RequestMeta,
    ApiQuery(q): ApiQuery<TokenParam>,
    body: Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let Some(expected) = &state.config.fonnte_webhook_token else {
        return Err(AppError::NotFound("the Fonnte callback is not configured".into()));
    };
    if !q.token.as_deref().is_some_and(|t| constant_time_eq(t, expected.expose_secret())) {
        crate::audit::sites::webhook_refused(&state, &meta, "fonnte", "wrong or missing callback token");
        return Err(AppError::Unauthorized("wrong or missing callback token".into()));
    }
    if body.len() > MAX_BODY {
        return Err(AppError::PayloadTooLarge("a status callback is never this large".into()));
    }
    store_event(&state, "fonnte", &body, APPLY_FONNTE_JOB).await?;
    Ok(Json(serde_json::json!({ "status": true })))
}

/// The payload of the jobs that apply a stored provider callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventPayload {
    pub event_id: i64,
}

/// Stores a provider callback exactly as received, together with the job that applies it.
pub async fn store_event(state: &AppState, source: &str, body: &[u8], job_kind: &str) -> AppResult<i64> {
    let payload = String::from_utf8_lossy(body).into_owned();
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let event_id = webhook_events::store(&txn, source, &payload, now).await?;
    jobs::enqueue(&txn, NewJob::new(job_kind, serde_json::json!(EventPayload { event_id })), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(event_id)
}

/// Maps Fonnte's words (`status` or `state`) to our statuses; `None` for words that say nothing new.
fn fonnte_status(word: &str) -> Option<MessageStatus> {
    match word.trim().to_ascii_lowercase().as_str() {
        "sent" => Some(MessageStatus::Sent),
        "delivered" | "delivery" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "failed" | "invalid" | "expired" | "url unreachable" => Some(MessageStatus::Failed),
        _ => None, // processing, pending, waiting, unknown future words
    }
}

fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The job: applies one stored Fonnte callback.
pub async fn apply_fonnte(state: AppState, payload: EventPayload) -> Result<(), JobError> {
    let event_id = payload.event_id;
    let db = &state.db;
    let e = JobError::from;
    let Some(event) = webhook_events::get(db, event_id).await.map_err(e)? else { return Ok(()) };
    if event.processed_at.is_some() {
        return Ok(());
    }
    let now = state.now();
    let Ok(body) = serde_json::from_str::<serde_json::Value>(&event.payload) else {
        return webhook_events::finish(db, event_id, "invalid", None, now).await.map_err(e);
    };
    let id = text(&body["id"]);
    let state_id = text(&body["stateid"]);
    let message = match (&id, &state_id) {
        (Some(id), _) => messages::find_by_provider_id(db, "fonnte", id).await.map_err(e)?,
        (None, Some(sid)) => messages::find_by_state_id(db, "fonnte", sid).await.map_err(e)?,
        (None, None) => return webhook_events::finish(db, event_id, "invalid", None, now).await.map_err(e),
    };
    let Some(message) = message else {
        return webhook_events::finish(db, event_id, "unmatched", None, now).await.map_err(e);
    };
    if let (Some(_), Some(sid)) = (&id, &state_id) {
        messages::bind_state_id(db, message.id, sid).await.map_err(e)?;
    }
    let mut changed = false;
    for word in [body["status"].as_str(), body["state"].as_str()].into_iter().flatten() {
        if let Some(reported) = fonnte_status(word) {
            changed |= messages::apply_report(db, message.id, reported, now).await.map_err(e)?.is_some();
        }
    }
    let outcome = if changed { "applied" } else { "ignored" };
    webhook_events::finish(db, event_id, outcome, Some(message.id), now).await.map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonnte_words() {
        assert_eq!(fonnte_status("sent"), Some(MessageStatus::Sent));
        assert_eq!(fonnte_status(" READ "), Some(MessageStatus::Read));
        assert_eq!(fonnte_status("expired"), Some(MessageStatus::Failed));
        assert_eq!(fonnte_status("pending"), None);
        assert_eq!(fonnte_status("something-new"), None);
        assert_eq!(text(&serde_json::json!(80367170)), Some("80367170".into()));
        assert_eq!(text(&serde_json::json!("")), None);
    }
}
