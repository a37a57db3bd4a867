//! `GET/POST /api/webhooks/whatsapp/meta`: the WhatsApp Cloud API webhook (spec protocols.md §2.2).
//! GET answers Meta's subscription challenge; POST is accepted only with a valid
//! `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under the app secret), checked before the
//! body is parsed. Valid events are stored raw and applied by a job; statuses never move backwards.

use crate::auth::token::constant_time_eq;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::ApiQuery;
use crate::jobs::registry::JobError;
use crate::notifications::webhooks::store_event;
use crate::state::AppState;
use aglis_core::notification::MessageStatus;
use aglis_db::repo::{messages, webhook_events};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::Sha256;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const APPLY_META_JOB: &str = "webhooks.meta_status";
const MAX_BODY: usize = 256 * 1024;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify, events))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Challenge {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Meta's subscription check: echoes `hub.challenge` when the verify token matches.
#[utoipa::path(
    get,
    path = "/api/webhooks/whatsapp/meta",
    tag = "notifications",
    params(Challenge),
    responses(
        (status = 200, description = "The challenge, verbatim", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong mode or token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The Cloud API is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify(
    State(state): State<AppState>,
    meta: crate::audit::RequestMeta,
    ApiQuery(q): ApiQuery<Challenge>,
) -> AppResult<String> {
    let Some(expected) = &state.config.meta_verify_token else {
        return Err(AppError::NotFound("the WhatsApp Cloud API webhook is not configured".into()));
    };
    let token_ok = q.verify_token.as_deref().is_some_and(|t| constant_time_eq(t, expected.expose_secret()));
    if !token_ok {
        crate::audit::sites::webhook_refused(&state, &meta, "meta", "wrong or missing verify token");
    }
    match (q.mode.as_deref(), token_ok, q.challenge) {
        (Some("subscribe"), true, Some(challenge)) => Ok(challenge),
        _ => Err(AppError::Forbidden("verification failed".into())),
    }
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signature_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else { return false };
    mac.update(body);
    constant_time_eq(&hex::encode(mac.finalize().into_bytes()), &hex_sig.to_ascii_lowercase())
}

/// Cloud API events. 401 and nothing stored unless the signature is valid.
#[utoipa::path(
    post,
    path = "/api/webhooks/whatsapp/meta",
    tag = "notifications",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body under the app secret>")),
    request_body(content = Object, description = "`{\"object\":\"whatsapp_business_account\",\"entry\":[…]}`"),
    responses(
        (status = 200, description = "Stored; applied in the background"),
        (status = 401, description = "Missing or wrong signature: nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The Cloud API is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn events(
    State(state): State<AppState>,
    meta: crate::audit::RequestMeta,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<&'static str> {
    let Some(secret) = &state.config.meta_app_secret else {
        return Err(AppError::NotFound("the WhatsApp Cloud API webhook is not configured".into()));
    };
    if body.len() > MAX_BODY {
        return Err(AppError::PayloadTooLarge("the event is too large".into()));
    }
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if !signature_valid(secret.expose_secret().as_bytes(), &body, header) {
        crate::audit::sites::webhook_refused(&state, &meta, "meta", "missing or invalid X-Hub-Signature-256");
        return Err(AppError::Unauthorized("missing or invalid X-Hub-Signature-256".into()));
    }
    store_event(&state, "meta", &body, APPLY_META_JOB).await?;
    Ok("EVENT_RECEIVED")
}

fn meta_status(word: &str) -> Option<MessageStatus> {
    match word {
        "sent" => Some(MessageStatus::Sent),
        "delivered" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "failed" => Some(MessageStatus::Failed),
        _ => None,
    }
}

/// The job: applies the `statuses[]` of one stored Cloud API event.
pub async fn apply_meta(state: AppState, payload: super::webhooks::EventPayload) -> Result<(), JobError> {
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
    let statuses = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["changes"].as_array().into_iter().flatten())
        .flat_map(|change| change["value"]["statuses"].as_array().into_iter().flatten());
    let (mut matched, mut changed, mut last_message) = (false, false, None);
    for s in statuses {
        let (Some(wamid), Some(word)) = (s["id"].as_str(), s["status"].as_str()) else { continue };
        let Some(message) = messages::find_by_provider_id(db, "meta", wamid).await.map_err(e)? else { continue };
        matched = true;
        last_message = Some(message.id);
        if let Some(reported) = meta_status(word) {
            changed |= messages::apply_report(db, message.id, reported, now).await.map_err(e)?.is_some();
        }
    }
    let outcome = match (matched, changed) {
        (false, _) => "unmatched",
        (true, true) => "applied",
        (true, false) => "ignored",
    };
    webhook_events::finish(db, event_id, outcome, last_message, now).await.map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of spec/protocols.md §10.
    #[test]
    fn signature_matches_the_spec_vector() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let good = "sha256=5d4a1124b075cf092476e6677b89ce220ec42f3593e0c842f738827622e0c143";
        assert!(signature_valid(b"app-secret-test", body, Some(good)));
        assert!(!signature_valid(b"other-secret", body, Some(good)));
        assert!(!signature_valid(b"app-secret-test", b"{}", Some(good)));
        assert!(!signature_valid(
            b"app-secret-test",
            body,
            Some("5d4a1124b075cf092476e6677b89ce220ec42f3593e0c842f738827622e0c143")
        ));
        assert!(!signature_valid(b"app-secret-test", body, None));
    }
}
