//! `/api/v1/notifications`: send a message, list the history, see one message's timeline.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::notifications::compose::{self, Compose, GroupRef};
use crate::notifications::service;
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::notification_catalog::Language;
use aglis_db::repo::messages::{self, Message, MessageQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, send))
        .routes(routes!(show))
        .routes(routes!(requeue))
        .merge(crate::notifications::webhooks::api_router())
        .merge(crate::notifications::meta_webhook::api_router())
        .merge(crate::notifications::templates::api::api_router())
        .merge(crate::notifications::groups::api::api_router())
        .merge(crate::notifications::queue::api_router())
        .merge(crate::notifications::broadcasts::api_router())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// `whatsapp` or `email`.
    #[schema(inline, example = "whatsapp")]
    pub channel: Channel,
    /// A phone number (`0812…`, `+62 812…`) for WhatsApp, an address for e-mail. Give exactly one of
    /// `to`, `user` and `group`.
    #[schema(example = "0812-3456-7890")]
    pub to: Option<String>,
    /// A user's id: their phone or e-mail address is used.
    pub user: Option<i64>,
    /// A recipient group's name or id: one message per member who has a number (or address).
    #[schema(value_type = Option<String>, example = "Teknisi Karawang")]
    pub group: Option<GroupRef>,
    /// E-mail only; a template brings its own.
    pub subject: Option<String>,
    /// The text. Give either `body` or `template`.
    #[schema(example = "Gangguan jaringan di Telukjambe sudah pulih. Terima kasih atas kesabaran Anda.")]
    pub body: Option<String>,
    /// An event's template code (see `GET /api/v1/notification-templates`).
    #[schema(example = "maintenance")]
    pub template: Option<String>,
    /// Values of the template's variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// `id` (default) or `en`: which text of the template.
    #[schema(value_type = Option<String>, example = "id")]
    pub language: Option<Language>,
    /// critical, high, normal (default) or low.
    #[schema(inline, example = "normal")]
    pub priority: Option<JobPriority>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The (first) message's id.
    pub id: i64,
    /// Every message created: one per recipient.
    pub ids: Vec<i64>,
    /// Always `queued`: delivery happens in the background.
    pub status: String,
}

/// Queues a message (or one per group member) for delivery; 202 with the ids.
#[utoipa::path(
    post,
    path = "/api/v1/notifications",
    tag = "notifications",
    request_body = SendRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, body = Accepted),
        (status = 422, description = "Bad recipient, text, template or variables, per field", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn send(
    State(state): State<AppState>,
    staff: Staff<perm::NotificationsSend>,
    ApiJson(req): ApiJson<SendRequest>,
) -> AppResult<(StatusCode, Json<Accepted>)> {
    let priority = req.priority.unwrap_or(JobPriority::Normal);
    let compose = Compose {
        channel: req.channel,
        to: req.to,
        user: req.user,
        group: req.group,
        subject: req.subject,
        body: req.body,
        template: req.template,
        variables: req.variables,
        language: req.language,
        priority,
    };
    let drafts = compose::drafts(&state.db, &compose).await?;
    let sent = service::send_drafts(&state, Some(staff.auth().user.id), req.channel, priority, drafts).await?;
    let ids: Vec<i64> = sent.iter().map(|m| m.id).collect();
    let id = ids.first().copied().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no message recorded")))?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { id, ids, status: MessageStatus::Queued.as_str().to_owned() })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub channel: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub priority: String,
    /// queued, sending, sent, delivered, read, failed or dead.
    pub status: String,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        MessageOut {
            id: m.id,
            channel: m.channel.as_str().to_owned(),
            to: m.recipient,
            subject: m.subject,
            body: m.body,
            priority: m.priority.as_str().to_owned(),
            status: m.status.as_str().to_owned(),
            provider: m.provider,
            provider_message_id: m.provider_message_id,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            read_at: m.read_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(inline)]
    pub status: Option<MessageStatus>,
    #[param(inline)]
    pub channel: Option<Channel>,
    /// Search in the recipient and the text.
    pub q: Option<String>,
}

/// The message history, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    params(ListParams, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<MessageOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<MessageOut>>> {
    let query =
        MessageQuery { status: p.status, channel: p.channel, q: p.q, page: paging.page, per_page: paging.per_page };
    let listed = messages::list(&state.reads, &query).await?;
    Ok(Json(Page::capped(listed.items.into_iter().map(MessageOut::from).collect(), listed.total, listed.exact, paging)))
}

/// Puts a dead message back in the queue with a fresh set of attempts.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/requeue",
    tag = "notifications",
    params(("id" = i64, Path, description = "Message id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageOut),
        (status = 409, description = "The message is not dead", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn requeue(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsSend>,
    IdPath(id): IdPath,
) -> AppResult<Json<MessageOut>> {
    Ok(Json(MessageOut::from(service::requeue(&state, id).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    #[schema(inline)]
    pub status: MessageStatus,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: MessageOut,
    /// Every status change, oldest first.
    pub timeline: Vec<EventOut>,
}

/// One message with its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/{id}",
    tag = "notifications",
    params(("id" = i64, Path, description = "Message id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MessageDetail),
    )
)]
async fn show(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
) -> AppResult<Json<MessageDetail>> {
    let message = messages::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("message"))?;
    let timeline = messages::events(&state.db, id)
        .await?
        .into_iter()
        .map(|e| EventOut { status: e.status, detail: e.detail, at: e.created_at })
        .collect();
    Ok(Json(MessageDetail { message: MessageOut::from(message), timeline }))
}
