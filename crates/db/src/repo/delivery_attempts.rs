//! Provider calls, one row each, and the figures of the queue dashboard built from them and from
//! the messages: queue depth per priority, sends per minute, success per provider and channel,
//! and the commonest failure reasons.

use crate::DbError;
use crate::entity::delivery_attempts::{self, Column, Entity};
use crate::entity::messages;
use aglis_core::notification::{Channel, MessageStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// What one provider call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    pub message_id: i64,
    pub provider: String,
    pub channel: Channel,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_ms: i32,
}

pub async fn record(conn: &impl ConnectionTrait, attempts: Vec<NewAttempt>, now: DateTime<Utc>) -> Result<(), DbError> {
    if attempts.is_empty() {
        return Ok(());
    }
    let rows = attempts.into_iter().map(|a| delivery_attempts::ActiveModel {
        message_id: Set(a.message_id),
        provider: Set(a.provider),
        channel: Set(a.channel),
        ok: Set(a.ok),
        error: Set(a.error.map(|e| e.chars().take(1000).collect())),
        duration_ms: Set(a.duration_ms),
        at: Set(now),
        ..Default::default()
    });
    Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// Calls and successes of one provider on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRate {
    pub provider: String,
    pub channel: String,
    pub calls: i64,
    pub ok: i64,
}

impl ProviderRate {
    pub fn success_pct(&self) -> i64 {
        if self.calls == 0 { 0 } else { self.ok * 100 / self.calls }
    }
}

/// Calls and accepted calls of every provider of `channel` together.
pub fn channel_totals(rates: &[ProviderRate], channel: &str) -> (i64, i64) {
    rates.iter().filter(|r| r.channel == channel).fold((0, 0), |(c, o), r| (c + r.calls, o + r.ok))
}

/// Per provider and channel, the calls since `since` and how many the provider accepted.
pub async fn rates(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<ProviderRate>, DbError> {
    let rows: Vec<(String, String, bool, i64)> = Entity::find()
        .select_only()
        .column(Column::Provider)
        .column(Column::Channel)
        .column(Column::Ok)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::At.gte(since))
        .group_by(Column::Provider)
        .group_by(Column::Channel)
        .group_by(Column::Ok)
        .into_tuple()
        .all(conn)
        .await?;
    let mut out: Vec<ProviderRate> = Vec::new();
    for (provider, channel, ok, n) in rows {
        let i = match out.iter().position(|r| r.provider == provider && r.channel == channel) {
            Some(i) => i,
            None => {
                out.push(ProviderRate { provider, channel, calls: 0, ok: 0 });
                out.len() - 1
            }
        };
        out[i].calls += n;
        if ok {
            out[i].ok += n;
        }
    }
    out.sort_by(|a, b| (&a.channel, &a.provider).cmp(&(&b.channel, &b.provider)));
    Ok(out)
}

/// Accepted sends per minute over the `minutes` minutes up to `now`, oldest first.
pub async fn sends_per_minute(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    minutes: i64,
) -> Result<Vec<i64>, DbError> {
    let since = now - chrono::Duration::minutes(minutes);
    let times: Vec<DateTime<Utc>> = Entity::find()
        .select_only()
        .column(Column::At)
        .filter(Column::Ok.eq(true))
        .filter(Column::At.gt(since))
        .into_tuple()
        .all(conn)
        .await?;
    let mut buckets = vec![0_i64; usize::try_from(minutes).unwrap_or(0)];
    for t in times {
        let age = Ord::max((now - t).num_seconds(), 0) / 60;
        if let Ok(age) = usize::try_from(age)
            && age < buckets.len()
        {
            let last = buckets.len() - 1;
            buckets[last - age] += 1;
        }
    }
    Ok(buckets)
}

/// The commonest failure reasons since `since`, with their counts.
pub async fn top_failures(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows: Vec<(Option<String>, i64)> = Entity::find()
        .select_only()
        .column(Column::Error)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::Ok.eq(false))
        .filter(Column::At.gte(since))
        .group_by(Column::Error)
        .order_by_desc(Expr::col(Column::Id).count())
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(e, n)| (e.unwrap_or_else(|| "unknown".into()), n)).collect())
}

/// Messages waiting to be sent (queued, held for a provider, being sent, or failed and waiting for
/// a retry) per priority rank, critical (0) first; every rank present.
pub async fn queue_depth(conn: &impl ConnectionTrait) -> Result<Vec<(i16, i64)>, DbError> {
    let waiting =
        [MessageStatus::Queued, MessageStatus::Held, MessageStatus::Sending, MessageStatus::Failed].map(|s| s.as_str());
    let rows: Vec<(i16, i64)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::Priority)
        .column_as(Expr::col(messages::Column::Id).count(), "n")
        .filter(messages::Column::Status.is_in(waiting))
        .group_by(messages::Column::Priority)
        .into_tuple()
        .all(conn)
        .await?;
    Ok((0..=3).map(|p| (p, rows.iter().find(|(r, _)| *r == p).map_or(0, |(_, n)| *n))).collect())
}
