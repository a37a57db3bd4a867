//! `/notifications`: the message history, one message's timeline, and the compose form.

use crate::app::AppState;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::notifications::service::{self, MAX_BODY_CHARS, SendMessage};
use crate::pages::{Shell, render};
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::permission::Permission;
use aglis_db::entity::message_events;
use aglis_db::repo::messages::{self, Message, MessageQuery};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list).post(create))
        .route("/notifications/new", get(new_form))
        .route("/notifications/{id}", get(show))
        .route("/notifications/{id}/requeue", post(requeue))
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    status: Option<String>,
    channel: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    shell: Shell,
    messages: Vec<Message>,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    status: String,
    channel: String,
    statuses: [MessageStatus; 7],
    can_send: bool,
    base_query: String,
    /// Messages of the last 24 hours per status.
    day: Vec<(MessageStatus, i64)>,
    /// Percent of the last 24 hours' finished messages that went out.
    success_pct: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let q = f.q.unwrap_or_default();
    let status = f.status.unwrap_or_default();
    let channel = f.channel.unwrap_or_default();
    let query = MessageQuery {
        status: status.parse().ok(),
        channel: channel.parse().ok(),
        q: Some(q.clone()),
        page: paging.page,
        per_page: paging.per_page,
    };
    let (messages, total) = messages::list(&state.db, &query).await?;
    let day = messages::status_counts(&state.db, state.now() - chrono::Duration::hours(24)).await?;
    let count = |wanted: &[MessageStatus]| day.iter().filter(|(s, _)| wanted.contains(s)).map(|(_, n)| n).sum::<i64>();
    let delivered = count(&[MessageStatus::Sent, MessageStatus::Delivered, MessageStatus::Read]);
    let finished = delivered + count(&[MessageStatus::Dead]);
    let success_pct = (finished > 0).then(|| delivered * 100 / finished);
    let base_query =
        serde_urlencoded::to_string([("q", &q), ("status", &status), ("channel", &channel)]).unwrap_or_default();
    render(&ListPage {
        shell,
        messages,
        total,
        page: paging.page,
        pages: paging.pages(total),
        q,
        status,
        channel,
        statuses: MessageStatus::ALL,
        can_send: staff.auth().user.role.can(Permission::NotificationsSend),
        base_query,
        day,
        success_pct,
    })
}

#[derive(Template)]
#[template(path = "notifications/show.html")]
struct ShowPage {
    shell: Shell,
    message: Message,
    timeline: Vec<message_events::Model>,
    can_send: bool,
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let message = messages::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("message"))?;
    let timeline = messages::events(&state.db, id).await?;
    let can_send = staff.auth().user.role.can(Permission::NotificationsSend);
    render(&ShowPage { shell, message, timeline, can_send })
}

#[derive(Debug, Deserialize, Default, Clone)]
struct ComposeForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: String,
}

#[derive(Template)]
#[template(path = "notifications/new.html")]
struct NewPage {
    shell: Shell,
    form: ComposeForm,
    errors: FieldErrors,
    max_chars: usize,
}

impl NewPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).map(|m| m.join(", ")).unwrap_or_default()
    }
}

async fn new_form(shell: Shell, _staff: Staff<perm::NotificationsSend>) -> AppResult<Response> {
    let form = ComposeForm { channel: "whatsapp".into(), priority: "normal".into(), ..ComposeForm::default() };
    render(&NewPage { shell, form, errors: FieldErrors::new(), max_chars: MAX_BODY_CHARS })
}

fn parse_compose(form: &ComposeForm) -> AppResult<SendMessage> {
    let channel = form.channel.parse::<Channel>().map_err(|e| AppError::field("channel", e.to_string()))?;
    let priority = match form.priority.as_str() {
        "critical" => JobPriority::Critical,
        "high" => JobPriority::High,
        "low" => JobPriority::Low,
        _ => JobPriority::Normal,
    };
    SendMessage::parse(channel, &form.to, Some(&form.subject), &form.body, priority)
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsSend>,
    ApiForm(form): ApiForm<ComposeForm>,
) -> AppResult<Response> {
    let result = match parse_compose(&form) {
        Ok(cmd) => service::send(&state, Some(staff.auth().user.id), cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(message) => Ok(Redirect::to(&format!("/notifications/{}", message.id)).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let page = NewPage { shell, form, errors: fields, max_chars: MAX_BODY_CHARS };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn requeue(
    State(state): State<AppState>,
    _staff: Staff<perm::NotificationsSend>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    service::requeue(&state, id).await?;
    Ok(Redirect::to(&format!("/notifications/{id}")).into_response())
}
