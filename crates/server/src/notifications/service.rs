//! Sending a message: check the recipient for the channel, record the message and enqueue its
//! delivery job in one transaction.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::notifications::compose::Draft;
use crate::state::AppState;
use aglis_core::job::JobPriority;
use aglis_core::notification::Channel;
use aglis_core::phone::Phone;
use aglis_core::user::parse_email;
use aglis_db::jobs::{self, NewJob};
use aglis_db::repo::messages::{self, Message, NewMessage};
use aglis_db::{DbError, TransactionTrait};
use sea_orm::ConnectionTrait;

/// The delivery job's kind.
pub const SEND_JOB: &str = "notifications.send";
/// The delivery job's own attempt limit: a backstop above the most retries the configuration
/// allows (`AGLIS_NOTIFY_RETRIES` ≤ 10). The dispatcher gives up earlier, after the configured
/// retries (seed P2.2: three by default).
pub const SEND_JOB_ATTEMPTS: i32 = 11;
pub const MAX_BODY_CHARS: usize = 4096;

/// A checked request to send one message.
#[derive(Debug, Clone)]
pub struct SendMessage {
    pub channel: Channel,
    /// Normalised: `628…` or a lower-case address.
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub priority: JobPriority,
}

impl SendMessage {
    pub fn parse(
        channel: Channel,
        to: &str,
        subject: Option<&str>,
        body: &str,
        priority: JobPriority,
    ) -> AppResult<Self> {
        let mut errors = FieldErrors::new();
        let to = match channel {
            Channel::Whatsapp => Phone::parse(to).map(|p| p.as_str().to_owned()).map_err(|e| e.to_string()),
            Channel::Email => parse_email(to).map_err(|e| e.to_string()),
        };
        let to = to.map_err(|e| errors.insert("to".into(), vec![e])).ok();
        let body = body.trim();
        if body.is_empty() {
            errors.insert("body".into(), vec!["the message is empty".into()]);
        } else if body.chars().count() > MAX_BODY_CHARS {
            errors.insert("body".into(), vec![format!("the message is longer than {MAX_BODY_CHARS} characters")]);
        }
        let subject = subject.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if subject.as_ref().is_some_and(|s| s.chars().count() > 200) {
            errors.insert("subject".into(), vec!["the subject is longer than 200 characters".into()]);
        }
        match to {
            Some(to) if errors.is_empty() => Ok(SendMessage { channel, to, subject, body: body.to_owned(), priority }),
            _ => Err(AppError::fields(errors)),
        }
    }
}

/// The payload of a [`SEND_JOB`]: the message to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendPayload {
    pub message_id: i64,
}

fn send_job(id: i64, priority: JobPriority) -> NewJob {
    NewJob::new(SEND_JOB, serde_json::json!(SendPayload { message_id: id }))
        .priority(priority)
        .max_attempts(SEND_JOB_ATTEMPTS)
}

/// Re-queues a dead message with a new delivery job. 404 when it does not exist, 409 unless dead.
pub async fn requeue(state: &AppState, id: i64) -> AppResult<Message> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let message = messages::get(&txn, id).await?.ok_or_else(|| AppError::not_found("message"))?;
    if !messages::requeue(&txn, id, now).await? {
        return Err(AppError::Conflict {
            detail: format!("message {id} is {}, not dead; only dead messages can be re-queued", message.status),
            fields: FieldErrors::new(),
        });
    }
    jobs::enqueue(&txn, send_job(id, message.priority), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    messages::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("message"))
}

/// Records one message and its delivery job on `conn`: pass the transaction of the business change
/// that causes the message, so both commit or neither does.
pub async fn queue(
    conn: &impl ConnectionTrait,
    new: NewMessage,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Message, DbError> {
    let priority = new.priority;
    let message = messages::create(conn, new, now).await?;
    jobs::enqueue(conn, send_job(message.id, priority), now).await?;
    Ok(message)
}

/// Records the message and its delivery job together.
pub async fn send(state: &AppState, created_by: Option<i64>, cmd: SendMessage) -> AppResult<Message> {
    let draft = Draft { to: cmd.to, subject: cmd.subject, body: cmd.body, template_code: None, variables: None };
    let mut sent = send_drafts(state, created_by, cmd.channel, cmd.priority, vec![draft]).await?;
    sent.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no message recorded")))
}

/// Records every draft (one per recipient) and their delivery jobs in one transaction.
pub async fn send_drafts(
    state: &AppState,
    created_by: Option<i64>,
    channel: Channel,
    priority: JobPriority,
    drafts: Vec<Draft>,
) -> AppResult<Vec<Message>> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        let variables =
            d.variables.map(|v| serde_json::Value::Object(v.into_iter().map(|(k, v)| (k, v.into())).collect()));
        let new = NewMessage {
            channel,
            recipient: d.to,
            subject: d.subject,
            body: d.body,
            template_code: d.template_code,
            variables,
            priority,
            created_by,
        };
        out.push(queue(&txn, new, now).await?);
    }
    txn.commit().await.map_err(DbError::from)?;
    Ok(out)
}

/// Queues an event's template, filled with `values`, to one WhatsApp number on `conn` (the
/// caller's transaction). A missing text or value is an internal error: the catalog and the
/// caller are out of step.
pub async fn queue_event(
    conn: &impl ConnectionTrait,
    event: &str,
    language: aglis_core::notification_catalog::Language,
    phone: &str,
    values: &std::collections::BTreeMap<String, String>,
    priority: JobPriority,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<Message>> {
    queue_event_on(conn, Channel::Whatsapp, event, language, phone, values, priority, now).await
}

/// [`queue_event`] on any channel: an e-mail gets the template's subject. A WhatsApp message of
/// a kind the customer with that number turned off in the portal is not queued (`None`).
#[allow(clippy::too_many_arguments)]
pub async fn queue_event_on(
    conn: &impl ConnectionTrait,
    channel: Channel,
    event: &str,
    language: aglis_core::notification_catalog::Language,
    recipient: &str,
    values: &std::collections::BTreeMap<String, String>,
    priority: JobPriority,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<Message>> {
    if channel == Channel::Whatsapp
        && let Some(topic) = aglis_core::portal::MessageTopic::of_event(event)
        && let Some(c) = aglis_db::repo::customers::by_phone(conn, recipient).await?
        && aglis_core::portal::muted(&c.muted_messages).contains(&topic)
    {
        tracing::info!(event, customer = %c.code, "not sent: the customer turned these messages off");
        return Ok(None);
    }
    let template = aglis_db::repo::notification_templates::find(conn, event, language)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no {language} text for {event}")))?;
    let render = |text: &str| {
        aglis_core::notification::render(text, values)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template {event}: {e}")))
    };
    let body = render(&template.body)?;
    let subject = match channel {
        Channel::Email => Some(render(&template.subject)?),
        _ => None,
    };
    let variables = serde_json::Value::Object(values.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect());
    let new = NewMessage {
        channel,
        recipient: recipient.to_owned(),
        subject,
        body,
        template_code: Some(event.to_owned()),
        variables: Some(variables),
        priority,
        created_by: None,
    };
    Ok(Some(queue(conn, new, now).await?))
}
