//! Payments and how they reach invoices: a completed payment is one ledger entry, spread over the
//! customer's unpaid invoices oldest first (what is left is credit), all in the caller's
//! transaction.

use crate::DbError;
use crate::entity::invoices;
use crate::entity::payments::{self, Column, Entity};
use crate::repo::ledger::{self, NewEntry};
use aglis_core::invoice::InvoiceStatus;
use aglis_core::ledger::{EntryKind, allocate};
use aglis_core::money::Rupiah;
use aglis_core::payment::{PaymentMethod, PaymentStatus};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// A payment is its row.
pub use crate::entity::payments::Model as Payment;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub customer_id: i64,
    /// The invoice the payer named; it is paid first.
    pub invoice_id: Option<i64>,
    pub method: PaymentMethod,
    pub amount: i64,
    /// The gateway and its transaction id, for an online payment (unique together).
    pub gateway: Option<(String, String)>,
    pub entered_by: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub note: String,
}

/// Writes a pending payment (a manual one waits for finance).
pub async fn insert(conn: &impl ConnectionTrait, p: NewPayment, now: DateTime<Utc>) -> Result<Payment, DbError> {
    let (gateway, gateway_ref) = p.gateway.map_or((None, None), |(g, r)| (Some(g), Some(r)));
    Ok(payments::ActiveModel {
        customer_id: Set(p.customer_id),
        invoice_id: Set(p.invoice_id),
        method: Set(p.method),
        amount: Set(p.amount),
        status: Set(PaymentStatus::Pending),
        gateway: Set(gateway),
        gateway_ref: Set(gateway_ref),
        entered_by: Set(p.entered_by),
        verified_by: Set(None),
        received_at: Set(p.received_at),
        verified_at: Set(None),
        note: Set(p.note.chars().take(300).collect()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Payment>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// How a completed payment was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// (invoice id, amount) in the order paid.
    pub invoices: Vec<(i64, i64)>,
    /// Left over as the customer's credit.
    pub credit: i64,
}

/// Completes pending payment `id` (by `verifier`, or by a gateway's confirmation when `None`) and
/// applies it: the ledger entry, then the unpaid invoices, the named one first, then by due day.
/// `None` when it is not pending any more (verified by someone else, or rejected): nothing changes.
pub async fn complete(
    conn: &impl ConnectionTrait,
    id: i64,
    verifier: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<Applied>, DbError> {
    let moved = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PaymentStatus::Completed.as_str()))
        .col_expr(Column::VerifiedBy, Expr::value(verifier))
        .col_expr(Column::VerifiedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PaymentStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(None);
    }
    let p = get(conn, id).await?.ok_or_else(|| DbError::Corrupt(format!("payment {id} vanished")))?;
    let entry = NewEntry {
        customer_id: p.customer_id,
        kind: EntryKind::Payment,
        amount: p.amount,
        invoice_id: p.invoice_id,
        payment_id: Some(p.id),
        note: format!("{} {}", p.method, p.gateway_ref.as_deref().unwrap_or_default()).trim().to_owned(),
        actor_id: verifier,
    };
    ledger::add(conn, entry, now).await?;
    let mut open = invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(p.customer_id))
        .filter(
            invoices::Column::Status
                .is_in([InvoiceStatus::Open, InvoiceStatus::Partial, InvoiceStatus::Overdue].map(|s| s.as_str())),
        )
        .order_by_asc(invoices::Column::DueOn)
        .order_by_asc(invoices::Column::Id)
        // Two payments of one customer completed at once apply one after the other (PostgreSQL
        // row locks; SQLite's single writer does the same).
        .lock_exclusive()
        .all(conn)
        .await?;
    if let Some(named) = p.invoice_id {
        open.sort_by_key(|i| i.id != named);
    }
    let owed: Vec<(i64, Rupiah)> = open.iter().map(|i| (i.id, Rupiah(Ord::max(i.total - i.paid, 0)))).collect();
    let split = allocate(Rupiah(p.amount), &owed);
    for (invoice_id, amount) in &split.applied {
        add_paid(conn, *invoice_id, amount.0, today, now).await?;
    }
    Ok(Some(Applied {
        invoices: split.applied.into_iter().map(|(i, a)| (i, a.0)).collect(),
        credit: split.to_credit.0,
    }))
}

/// Adds `amount` to invoice `id`'s paid sum (atomically) and sets its status from the new sum.
async fn add_paid(
    conn: &impl ConnectionTrait,
    id: i64,
    amount: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    invoices::Entity::update_many()
        .col_expr(invoices::Column::Paid, Expr::col(invoices::Column::Paid).add(amount))
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Id.eq(id))
        .exec(conn)
        .await?;
    let inv = invoices::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("invoice {id} vanished")))?;
    let status = InvoiceStatus::of(Rupiah(inv.total), Rupiah(inv.paid), inv.due_on, today);
    if status != inv.status {
        invoices::Entity::update_many()
            .col_expr(invoices::Column::Status, Expr::value(status.as_str()))
            .filter(invoices::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Refuses pending payment `id` (finance found no such money). `false` when it is not pending.
pub async fn reject(conn: &impl ConnectionTrait, id: i64, verifier: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PaymentStatus::Rejected.as_str()))
        .col_expr(Column::VerifiedBy, Expr::value(verifier))
        .col_expr(Column::VerifiedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PaymentStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A customer's payments, newest first.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<Payment>, DbError> {
    Ok(Entity::find().filter(Column::CustomerId.eq(customer_id)).order_by_desc(Column::Id).all(conn).await?)
}
