//! The customer ledger: entries are inserted, never updated or deleted (see `aglis_core::ledger`).

use crate::DbError;
use crate::entity::ledger_entries::{self, Column, Entity, Model};
use aglis_core::ledger::{self, EntryKind};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// What an entry says, checked by [`EntryKind::check`] before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub customer_id: i64,
    pub kind: EntryKind,
    pub amount: i64,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: String,
    pub actor_id: Option<i64>,
}

pub async fn add(conn: &impl ConnectionTrait, e: NewEntry, now: DateTime<Utc>) -> Result<Model, DbError> {
    Ok(active(e, now)?.insert(conn).await?)
}

/// Writes `entries` with one statement (a batch of the monthly run), each checked as [`add`] checks.
pub async fn add_many(conn: &impl ConnectionTrait, entries: Vec<NewEntry>, now: DateTime<Utc>) -> Result<(), DbError> {
    let rows = entries.into_iter().map(|e| active(e, now)).collect::<Result<Vec<_>, _>>()?;
    Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

fn active(e: NewEntry, now: DateTime<Utc>) -> Result<ledger_entries::ActiveModel, DbError> {
    let amount = e.kind.check(e.amount).map_err(|err| DbError::Corrupt(format!("ledger entry: {err}")))?;
    Ok(ledger_entries::ActiveModel {
        customer_id: Set(e.customer_id),
        kind: Set(e.kind),
        amount: Set(amount),
        invoice_id: Set(e.invoice_id),
        payment_id: Set(e.payment_id),
        note: Set(e.note.chars().take(300).collect()),
        actor_id: Set(e.actor_id),
        at: Set(now),
        ..Default::default()
    })
}

/// A customer's entries, oldest first.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find().filter(Column::CustomerId.eq(customer_id)).order_by_asc(Column::Id).all(conn).await?)
}

/// The entries of `kind` linked to invoice `invoice_id`, oldest first (its credit notes).
pub async fn of_invoice(conn: &impl ConnectionTrait, invoice_id: i64, kind: EntryKind) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find()
        .filter(Column::InvoiceId.eq(invoice_id))
        .filter(Column::Kind.eq(kind.as_str()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

/// What the customer owes (positive) or has in credit (negative): the sum of their ledger.
pub async fn balance(conn: &impl ConnectionTrait, customer_id: i64) -> Result<i64, DbError> {
    let rows: Vec<(EntryKind, i64)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column(Column::Amount)
        .filter(Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ledger::balance(rows))
}

/// The customers whose ledger sums to a credit (they paid more than they were charged): the
/// monthly run applies it to their new invoice.
pub async fn customers_in_credit(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<i64>, DbError> {
    let owing = [EntryKind::Charge, EntryKind::Refund, EntryKind::Correction]
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT customer_id FROM ledger_entries GROUP BY customer_id \
         HAVING SUM(CASE WHEN kind IN ({owing}) THEN amount ELSE -amount END) < 0"
    );
    let rows = conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "customer_id").map_err(DbError::from)).collect()
}
