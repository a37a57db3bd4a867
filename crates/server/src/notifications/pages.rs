//! `/notifications`: the message history, one message's timeline, and the compose form.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiQuery, IdPath};
use crate::listing::Paging;
use crate::notifications::compose::{self, Compose, Draft, GroupRef};
use crate::notifications::service::{self, MAX_BODY_CHARS};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::notification_catalog::{self, EventSpec, Language};
use aglis_core::permission::Permission;
use aglis_db::entity::message_events;
use aglis_db::repo::messages::{self, Message, MessageQuery};
use aglis_db::repo::recipient_groups::{self, Group};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

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
    /// `false`: `total` is a cap ("10000+").
    total_exact: bool,
    page: u64,
    pages: u64,
    q: String,
    status: String,
    channel: String,
    statuses: &'static [MessageStatus],
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
    let listed = messages::list(&state.reads, &query).await?;
    let (messages, total, total_exact) = (listed.items, listed.total, listed.exact);
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
        total_exact,
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

/// The compose form as typed. `target` is `to` (a number or address) or `group`; `action` is
/// `preview`, `send`, or `template` (re-show the form with the chosen template's variables).
#[derive(Debug, Default, Clone)]
struct ComposeForm {
    channel: String,
    target: String,
    to: String,
    group: String,
    subject: String,
    body: String,
    template: String,
    language: String,
    priority: String,
    variables: BTreeMap<String, String>,
    action: String,
}

impl ComposeForm {
    fn parse(body: &[u8]) -> Self {
        let mut f = ComposeForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "channel" => f.channel = v,
                "target" => f.target = v,
                "to" => f.to = v,
                "group" => f.group = v,
                "subject" => f.subject = v,
                "body" => f.body = v,
                "template" => f.template = v,
                "language" => f.language = v,
                "priority" => f.priority = v,
                "action" => f.action = v,
                other => {
                    if let Some(name) = other.strip_prefix("var.") {
                        f.variables.insert(name.to_owned(), v);
                    }
                }
            }
        }
        f
    }

    fn compose(&self) -> AppResult<Compose> {
        let channel = self.channel.parse::<Channel>().map_err(|e| AppError::field("channel", e.to_string()))?;
        let priority = match self.priority.as_str() {
            "critical" => JobPriority::Critical,
            "high" => JobPriority::High,
            "low" => JobPriority::Low,
            _ => JobPriority::Normal,
        };
        let by_group = self.target == "group";
        let template = Some(self.template.clone()).filter(|t| !t.is_empty());
        Ok(Compose {
            channel,
            to: Some(self.to.clone()).filter(|_| !by_group),
            user: None,
            group: Some(GroupRef::Name(self.group.clone())).filter(|_| by_group && !self.group.is_empty()),
            subject: Some(self.subject.clone()),
            body: Some(self.body.clone()).filter(|_| template.is_none()),
            variables: if template.is_some() { self.variables.clone() } else { BTreeMap::new() },
            template,
            language: self.language.parse::<Language>().ok(),
            priority,
        })
    }
}

/// What the form would send: how many messages, and the first one.
struct Preview {
    count: usize,
    first: Draft,
}

#[derive(Template)]
#[template(path = "notifications/new.html")]
struct NewPage {
    shell: Shell,
    form: ComposeForm,
    errors: FieldErrors,
    max_chars: usize,
    groups: Vec<Group>,
    events: &'static [EventSpec],
    /// The chosen template's variables with their current values.
    variables: Vec<(&'static str, &'static str, String)>,
    preview: Option<Preview>,
}

impl NewPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }

    async fn build(state: &AppState, shell: Shell, form: ComposeForm, errors: FieldErrors) -> AppResult<Self> {
        let groups = recipient_groups::list(&state.db).await?.into_iter().filter(|g| g.is_active).collect();
        let variables = notification_catalog::event(&form.template)
            .map(|e| {
                e.variables
                    .iter()
                    .map(|(n, ex)| (*n, *ex, form.variables.get(*n).cloned().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(NewPage {
            shell,
            form,
            errors,
            max_chars: MAX_BODY_CHARS,
            groups,
            events: notification_catalog::EVENTS,
            variables,
            preview: None,
        })
    }
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    group: Option<String>,
    template: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::NotificationsSend>,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> AppResult<Response> {
    let group = q.group.unwrap_or_default();
    let form = ComposeForm {
        channel: "whatsapp".into(),
        priority: "normal".into(),
        language: "id".into(),
        target: if group.is_empty() { "to".into() } else { "group".into() },
        group,
        template: q.template.unwrap_or_default(),
        ..ComposeForm::default()
    };
    render(&NewPage::build(&state, shell, form, FieldErrors::new()).await?)
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::NotificationsSend>,
    body: Bytes,
) -> AppResult<Response> {
    let form = ComposeForm::parse(&body);
    if form.action == "template" {
        return render(&NewPage::build(&state, shell, form, FieldErrors::new()).await?);
    }
    let drafts = match form.compose() {
        Ok(c) => compose::drafts(&state.db, &c).await.map(|d| (c, d)),
        Err(e) => Err(e),
    };
    let (c, drafts) = match drafts {
        Ok(ok) => ok,
        Err(AppError::Validation { fields, .. }) => {
            let page = NewPage::build(&state, shell, form, fields).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
        Err(e) => return Err(e),
    };
    if form.action == "preview" {
        let count = drafts.len();
        let mut page = NewPage::build(&state, shell, form, FieldErrors::new()).await?;
        page.preview = drafts.into_iter().next().map(|first| Preview { count, first });
        return render(&page);
    }
    let sent = service::send_drafts(&state, Some(staff.auth().user.id), c.channel, c.priority, drafts).await?;
    match sent.as_slice() {
        [one] => Ok(Redirect::to(&format!("/notifications/{}", one.id)).into_response()),
        many => Ok(Redirect::to(&format!("/notifications/queue?queued={}", many.len())).into_response()),
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
