//! The security audit log (issue 7): chained appends, the retention purge, the viewer's query
//! and verification. The chain rules are `aglis_core::audit`; this file only stores and reads.
//!
//! Every append (and the purge) first `UPDATE`s the one `audit_head` row in its transaction: on
//! PostgreSQL that row lock makes appends from every instance wait for each other, on SQLite the
//! single writer does. So each record takes the next id and the previous hash, and the chain never
//! forks. Call these with no other transaction open on the same connection (on SQLite the writer
//! is one connection).

use super::word_search::{AUDIT_WORDS, LIST_CAP, Listed, search_records};
use crate::DbError;
use crate::entity::audit_head;
use crate::entity::audit_logs::{self, Column, Entity};
use aglis_core::audit::{
    self as chain, Anchor, AuditEvent, AuditRecord, AuditResult, ChainBreak, Head, MAX_IP, MAX_RESOURCE,
    MAX_USER_AGENT, MAX_USERNAME, Verifier,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IsolationLevel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    TransactionTrait,
};

/// A record to append. Values are cut to the column sizes and secrets are removed from `details`
/// (see [`chain::details_text`]) before hashing.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub event: AuditEvent,
    pub result: AuditResult,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub resource: Option<String>,
    pub details: serde_json::Value,
}

impl From<audit_logs::Model> for AuditRecord {
    fn from(m: audit_logs::Model) -> Self {
        AuditRecord {
            id: m.id,
            at: m.at,
            user_id: m.user_id,
            username: m.username,
            ip: m.ip,
            user_agent: m.user_agent,
            event: m.event,
            resource: m.resource,
            result: m.result,
            details: m.details,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

fn head_of(h: &audit_head::Model) -> (Anchor, Head) {
    (
        Anchor { id: h.anchor_id, hash: h.anchor_hash.clone() },
        Head { last_id: h.last_id, last_hash: h.last_hash.clone() },
    )
}

/// Locks the head row (an `UPDATE` first, then reads it).
async fn lock_head(txn: &DatabaseTransaction) -> Result<audit_head::Model, DbError> {
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastId, Expr::col(audit_head::Column::LastId))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| DbError::Corrupt("the audit_head row is missing".into()))
}

/// Appends under the lock taken by [`lock_head`]; moves `head` on.
async fn append_locked(
    txn: &DatabaseTransaction,
    head: &mut audit_head::Model,
    new: NewRecord,
    at: DateTime<Utc>,
) -> Result<AuditRecord, DbError> {
    let clip = |v: Option<String>, max: usize| v.map(|s| chain::clip(&s, max));
    let record = AuditRecord {
        id: head.last_id + 1,
        at,
        user_id: new.user_id,
        username: clip(new.username, MAX_USERNAME),
        ip: clip(new.ip, MAX_IP),
        user_agent: clip(new.user_agent, MAX_USER_AGENT),
        event: new.event.as_str().to_owned(),
        resource: clip(new.resource, MAX_RESOURCE),
        result: new.result.as_str().to_owned(),
        details: chain::details_text(new.details),
        prev_hash: head.last_hash.clone(),
        hash: String::new(),
    }
    .sealed();
    audit_logs::ActiveModel {
        id: Set(record.id),
        at: Set(record.at),
        user_id: Set(record.user_id),
        username: Set(record.username.clone()),
        ip: Set(record.ip.clone()),
        user_agent: Set(record.user_agent.clone()),
        event: Set(record.event.clone()),
        resource: Set(record.resource.clone()),
        result: Set(record.result.clone()),
        details: Set(record.details.clone()),
        prev_hash: Set(record.prev_hash.clone()),
        hash: Set(record.hash.clone()),
    }
    .insert(txn)
    .await?;
    let words = aglis_core::audit::search_words(
        record.username.as_deref(),
        record.ip.as_deref(),
        record.resource.as_deref(),
        &record.details,
    );
    super::word_search::write_words(txn, &super::word_search::AUDIT_WORDS, record.id, words).await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastId, Expr::value(record.id))
        .col_expr(audit_head::Column::LastHash, Expr::value(record.hash.clone()))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    head.last_id = record.id;
    head.last_hash.clone_from(&record.hash);
    Ok(record)
}

/// Appends one record at time `at` (cut to whole microseconds) in its own transaction.
pub async fn append(db: &DatabaseConnection, new: NewRecord, at: DateTime<Utc>) -> Result<AuditRecord, DbError> {
    let txn = db.begin().await?;
    let mut head = lock_head(&txn).await?;
    let record = append_locked(&txn, &mut head, new, at).await?;
    txn.commit().await?;
    Ok(record)
}

/// What a purge removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    pub removed: u64,
    /// The new anchor: the last record removed.
    pub anchor: Anchor,
    /// The record saying so.
    pub record: AuditRecord,
}

/// Removes the records older than `cutoff` (the oldest run of them, so the rest stays one
/// chain), moves the anchor to the last one removed and appends the record `note(removed,
/// anchor)` at `now`, all in one transaction. `None` when nothing is that old.
pub async fn purge_before(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    note: impl FnOnce(u64, &Anchor) -> NewRecord,
) -> Result<Option<Purged>, DbError> {
    let txn = db.begin().await?;
    let mut head = lock_head(&txn).await?;
    let first_kept: Option<i64> = Entity::find()
        .select_only()
        .column_as(Column::Id.min(), "first")
        .filter(Column::At.gte(cutoff))
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await?
        .flatten();
    let last_removed = first_kept.map_or(head.last_id, |id| id - 1);
    if last_removed <= head.anchor_id {
        txn.rollback().await?;
        return Ok(None);
    }
    let anchor_hash =
        Entity::find_by_id(last_removed).one(&txn).await?.map(|m| m.hash).ok_or_else(|| {
            DbError::Corrupt(format!("audit record {last_removed} is missing: run `aglis audit verify`"))
        })?;
    let removed = Entity::delete_many().filter(Column::Id.lte(last_removed)).exec(&txn).await?.rows_affected;
    super::word_search::delete_words_through(&txn, &super::word_search::AUDIT_WORDS, last_removed).await?;
    let anchor = Anchor { id: last_removed, hash: anchor_hash };
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::AnchorId, Expr::value(anchor.id))
        .col_expr(audit_head::Column::AnchorHash, Expr::value(anchor.hash.clone()))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    let record = append_locked(&txn, &mut head, note(removed, &anchor), now).await?;
    txn.commit().await?;
    Ok(Some(Purged { removed, anchor, record }))
}

/// The viewer's filters; times inclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub event: Option<AuditEvent>,
    pub result: Option<AuditResult>,
    /// A username (any case) or a user id.
    pub user: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Text in the resource, the details or the address.
    pub q: Option<String>,
}

/// The filters of `f` but its text.
fn condition(f: &AuditQuery) -> Condition {
    let mut cond = Condition::all();
    if let Some(e) = f.event {
        cond = cond.add(Column::Event.eq(e.as_str()));
    }
    if let Some(r) = f.result {
        cond = cond.add(Column::Result.eq(r.as_str()));
    }
    if let Some(user) = f.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        // `lower(username)` as ix_audit_logs_username_at indexes it.
        let by_name = Expr::expr(Func::lower(Expr::col((Entity, Column::Username)))).eq(user.to_lowercase());
        cond = cond.add(match user.parse::<i64>() {
            Ok(id) => Condition::any().add(Column::UserId.eq(id)).add(by_name),
            Err(_) => Condition::all().add(by_name),
        });
    }
    if let Some(from) = f.from {
        cond = cond.add(Column::At.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(Column::At.lte(to));
    }
    cond
}

/// One page of matching records, newest first, and how many match: text through `audit_words`
/// (counted up to 1000), the filters alone through their indexes (counted up to 10000).
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &AuditQuery,
    page: u64,
    per_page: u64,
) -> Result<Listed<AuditRecord>, DbError> {
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let found =
        search_records(conn, &AUDIT_WORDS, "audit_logs", f.q.as_deref(), condition(f), per_page, offset).await?;
    if let Some((ids, total, exact)) = found {
        let mut rows = Entity::find().filter(Column::Id.is_in(ids.clone())).all(conn).await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        return Ok(Listed { items: rows.into_iter().map(AuditRecord::from).collect(), total, exact });
    }
    let select = Entity::find().filter(condition(f));
    let counted = select.clone().select_only().column(Column::Id).limit(LIST_CAP + 1).into_query();
    let (total, exact) = super::capped_count(conn, counted, LIST_CAP).await?;
    let rows =
        select.order_by_desc(Column::At).order_by_desc(Column::Id).offset(offset).limit(per_page).all(conn).await?;
    Ok(Listed { items: rows.into_iter().map(AuditRecord::from).collect(), total, exact })
}

/// At most `limit` matching records, newest first (the CSV export).
pub async fn matching(conn: &impl ConnectionTrait, f: &AuditQuery, limit: u64) -> Result<Vec<AuditRecord>, DbError> {
    Ok(list(conn, f, 1, limit).await?.items)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<AuditRecord>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?.map(AuditRecord::from))
}

/// The purge anchor and the head.
pub async fn head(conn: &impl ConnectionTrait) -> Result<(Anchor, Head), DbError> {
    let h = audit_head::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| DbError::Corrupt("the audit_head row is missing".into()))?;
    Ok(head_of(&h))
}

/// How verification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        checked: u64,
        anchor: Anchor,
    },
    /// The first break, with the record it names when that exists.
    Broken {
        at: ChainBreak,
        record: Option<Box<AuditRecord>>,
        checked: u64,
    },
}

/// Records read per query while verifying.
const BATCH: u64 = 1000;

/// Verifies the whole chain from the anchor to the head in one snapshot (a read-only repeatable
/// read transaction on PostgreSQL; a read transaction on SQLite), reading a page at a time.
pub async fn verify(db: &DatabaseConnection) -> Result<Verification, DbError> {
    let txn = match crate::engine(db) {
        crate::Engine::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        crate::Engine::Sqlite => db.begin().await?,
    };
    let (anchor, head) = head(&txn).await?;
    let mut v = Verifier::new(&anchor, &head);
    let mut checked = 0;
    let mut after = i64::MIN;
    loop {
        let rows = Entity::find().filter(Column::Id.gt(after)).order_by_asc(Column::Id).limit(BATCH).all(&txn).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let record = AuditRecord::from(row);
            if let Err(at) = v.push(&record) {
                txn.rollback().await?;
                return Ok(Verification::Broken { at, record: Some(Box::new(record)), checked });
            }
            checked += 1;
        }
    }
    txn.rollback().await?;
    Ok(match v.finish() {
        Ok(checked) => Verification::Intact { checked, anchor },
        Err(at) => Verification::Broken { at, record: None, checked },
    })
}

/// Records of `event` from `ip` since `since` (to keep anonymous callers from flooding the log).
pub async fn count_from(
    conn: &impl ConnectionTrait,
    event: AuditEvent,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<u64, DbError> {
    Ok(Entity::find()
        .filter(Column::Event.eq(event.as_str()))
        .filter(Column::At.gte(since))
        .filter(Column::Ip.eq(ip))
        .count(conn)
        .await?)
}
