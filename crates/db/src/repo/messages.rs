//! Outgoing messages and their timelines. A message is created in the caller's transaction
//! together with the job that sends it, so it exists iff the change that caused it committed.

use super::word_search::{LIST_CAP, Listed, MESSAGE_WORDS, search_records};
use crate::DbError;
use crate::entity::message_events;
use crate::entity::messages::{self, Column, Entity};
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus, apply_delivery_report};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};

/// A message is its row: channel, status and priority are read back typed (string- and rank-backed enums).
pub use crate::entity::messages::Model as Message;

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub channel: Channel,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub template_code: Option<String>,
    pub variables: Option<serde_json::Value>,
    pub priority: JobPriority,
    pub created_by: Option<i64>,
}

/// Records a queued message and the first event of its timeline.
pub async fn create(conn: &impl ConnectionTrait, new: NewMessage, now: DateTime<Utc>) -> Result<Message, DbError> {
    let model = messages::ActiveModel {
        channel: Set(new.channel),
        recipient: Set(new.recipient),
        subject: Set(new.subject),
        body: Set(new.body),
        template_code: Set(new.template_code),
        variables: Set(new.variables.map(|v| v.to_string())),
        priority: Set(new.priority),
        status: Set(MessageStatus::Queued),
        attempts: Set(0),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    add_event(conn, model.id, MessageStatus::Queued, None, now).await?;
    let words = aglis_core::notification::search_words(&model.recipient, model.subject.as_deref(), &model.body);
    super::word_search::write_words(conn, &super::word_search::MESSAGE_WORDS, model.id, words).await?;
    Ok(model)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Message>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

async fn add_event(
    conn: &impl ConnectionTrait,
    message_id: i64,
    status: MessageStatus,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    message_events::ActiveModel {
        message_id: Set(message_id),
        status: Set(status),
        detail: Set(detail),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The timeline of a message, oldest first.
pub async fn events(conn: &impl ConnectionTrait, message_id: i64) -> Result<Vec<message_events::Model>, DbError> {
    Ok(message_events::Entity::find()
        .filter(message_events::Column::MessageId.eq(message_id))
        .order_by_asc(message_events::Column::Id)
        .all(conn)
        .await?)
}

/// Marks an attempt as started. `false` if the message is not waiting to be sent (already sent,
/// or dead), so a repeated job does not send twice.
pub async fn start_attempt(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(MessageStatus::Sending.as_str()))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([
            MessageStatus::Queued.as_str(),
            MessageStatus::Held.as_str(),
            MessageStatus::Failed.as_str(),
            MessageStatus::Sending.as_str(),
        ]))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// No provider serves the message's channel: it waits as `held` with `why`, its attempts untouched.
/// The event is recorded once, when it becomes held. `false` unless it was waiting to be sent.
pub async fn mark_held(conn: &impl ConnectionTrait, id: i64, why: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(MessageStatus::Held.as_str()))
        .col_expr(Column::LastError, Expr::value(why))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([MessageStatus::Queued.as_str(), MessageStatus::Failed.as_str()]))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        add_event(conn, id, MessageStatus::Held, Some(why.to_owned()), now).await?;
    }
    Ok(res.rows_affected == 1)
}

/// The provider accepted the message.
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    id: i64,
    provider: &str,
    provider_message_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(MessageStatus::Sent.as_str()))
        .col_expr(Column::Provider, Expr::value(provider))
        .col_expr(Column::ProviderMessageId, Expr::value(provider_message_id.map(str::to_owned)))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(Column::SentAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    add_event(conn, id, MessageStatus::Sent, Some(format!("accepted by {provider}")), now).await
}

/// An attempt failed: `failed` (a retry follows) or `dead` (no attempts left).
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    id: i64,
    error: &str,
    dead: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let status = if dead { MessageStatus::Dead } else { MessageStatus::Failed };
    let error: String = error.chars().take(2000).collect();
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::LastError, Expr::value(error.clone()))
        .col_expr(Column::FailedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    add_event(conn, id, status, Some(error), now).await?;
    failed_live(conn, id, status, now).await
}

/// The live event of message `id` that failed.
async fn failed_live(
    conn: &impl ConnectionTrait,
    id: i64,
    status: MessageStatus,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let data = serde_json::json!({"message_id": id, "status": status.as_str()});
    super::live_events::publish(conn, aglis_core::live::LiveKind::MessageFailed, None, &[], None, data, now).await
}

/// Applies a provider's delivery report; statuses never move backwards. Returns the new status,
/// or `None` when the report changed nothing.
pub async fn apply_report(
    conn: &impl ConnectionTrait,
    id: i64,
    reported: MessageStatus,
    now: DateTime<Utc>,
) -> Result<Option<MessageStatus>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    let current = model.status;
    let Some(next) = apply_delivery_report(current, reported) else { return Ok(None) };
    let mut am: messages::ActiveModel = model.into();
    am.status = Set(next);
    am.updated_at = Set(now);
    match next {
        MessageStatus::Sent => am.sent_at = Set(Some(now)),
        MessageStatus::Delivered => am.delivered_at = Set(Some(now)),
        MessageStatus::Read => am.read_at = Set(Some(now)),
        MessageStatus::Failed | MessageStatus::Dead => am.failed_at = Set(Some(now)),
        _ => {}
    }
    am.update(conn).await?;
    add_event(conn, id, next, Some("delivery report".into()), now).await?;
    if matches!(next, MessageStatus::Failed | MessageStatus::Dead) {
        failed_live(conn, id, next, now).await?;
    }
    Ok(Some(next))
}

/// Filters and paging for the message history.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub status: Option<MessageStatus>,
    pub channel: Option<Channel>,
    /// Words of the recipient, the subject or the start of the body, or a phone number.
    pub q: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

/// One page of the history, newest first, and how many match: text through `message_words`
/// (counted up to 1000), the filters alone through their indexes (counted up to 10000).
pub async fn list(conn: &impl ConnectionTrait, query: &MessageQuery) -> Result<Listed<Message>, DbError> {
    let mut cond = Condition::all();
    if let Some(s) = query.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    if let Some(c) = query.channel {
        cond = cond.add(Column::Channel.eq(c.as_str()));
    }
    let per_page = std::cmp::max(query.per_page, 1);
    let offset = query.page.saturating_sub(1) * per_page;
    let found =
        search_records(conn, &MESSAGE_WORDS, "messages", query.q.as_deref(), cond.clone(), per_page, offset).await?;
    if let Some((ids, total, exact)) = found {
        let mut rows = Entity::find().filter(Column::Id.is_in(ids)).all(conn).await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        let items = rows;
        return Ok(Listed { items, total, exact });
    }
    let select = Entity::find().filter(cond);
    let counted = select.clone().select_only().column(Column::Id).limit(LIST_CAP + 1).into_query();
    let (total, exact) = super::capped_count(conn, counted, LIST_CAP).await?;
    let rows = select
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(offset)
        .limit(per_page)
        .all(conn)
        .await?;
    let items = rows;
    Ok(Listed { items, total, exact })
}

/// Puts a dead message back in the queue with a fresh set of attempts. `false` unless it was dead.
pub async fn requeue(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(MessageStatus::Queued.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(MessageStatus::Dead.as_str()))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        add_event(conn, id, MessageStatus::Queued, Some("re-queued".into()), now).await?;
    }
    Ok(res.rows_affected == 1)
}

/// The message a provider knows by `provider_message_id`.
pub async fn find_by_provider_id(
    conn: &impl ConnectionTrait,
    provider: &str,
    provider_message_id: &str,
) -> Result<Option<Message>, DbError> {
    Ok(Entity::find()
        .filter(Column::Provider.eq(provider))
        .filter(Column::ProviderMessageId.eq(provider_message_id))
        .one(conn)
        .await?)
}

/// The message a provider's delivery-state callbacks refer to by `state_id`.
pub async fn find_by_state_id(
    conn: &impl ConnectionTrait,
    provider: &str,
    state_id: &str,
) -> Result<Option<Message>, DbError> {
    Ok(Entity::find()
        .filter(Column::Provider.eq(provider))
        .filter(Column::ProviderStateId.eq(state_id))
        .one(conn)
        .await?)
}

/// Binds a provider's delivery-state id to a message.
pub async fn bind_state_id(conn: &impl ConnectionTrait, id: i64, state_id: &str) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::ProviderStateId, Expr::value(state_id))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many messages of `channel` are held for want of a provider.
pub async fn count_held(conn: &impl ConnectionTrait, channel: Channel) -> Result<u64, DbError> {
    Ok(Entity::find()
        .filter(Column::Status.eq(MessageStatus::Held.as_str()))
        .filter(Column::Channel.eq(channel.as_str()))
        .count(conn)
        .await?)
}

/// Number of messages per status created since `since`, every status present (zeros included).
pub async fn status_counts(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<(MessageStatus, i64)>, DbError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::CreatedAt.gte(since))
        .group_by(Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(MessageStatus::ALL
        .iter()
        .map(|s| (*s, rows.iter().find(|(name, _)| name == s.as_str()).map_or(0, |(_, n)| *n)))
        .collect())
}
