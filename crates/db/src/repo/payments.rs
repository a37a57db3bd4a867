//! Payments and how they reach invoices: a completed payment is one ledger entry, spread over the
//! customer's unpaid invoices oldest first (what is left is credit), all in the caller's
//! transaction.

use crate::DbError;
use crate::entity::payments::{self, Column, Entity};
use crate::entity::{invoices, payment_allocations};
use crate::repo::ledger::{self, NewEntry};
use aglis_core::invoice::InvoiceStatus;
use aglis_core::ledger::{EntryKind, allocate};
use aglis_core::money::Rupiah;
use aglis_core::payment::{PaymentMethod, PaymentStatus};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

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
        // The method is the payment's; the note is what identifies the money (a gateway's
        // transaction id, a bank reference).
        note: p.gateway_ref.clone().unwrap_or_else(|| p.note.clone()),
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
        allocate_to(conn, p.id, *invoice_id, amount.0, now).await?;
    }
    Ok(Some(Applied {
        invoices: split.applied.into_iter().map(|(i, a)| (i, a.0)).collect(),
        credit: split.to_credit.0,
    }))
}

async fn allocate_to(
    conn: &impl ConnectionTrait,
    payment_id: i64,
    invoice_id: i64,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    payment_allocations::ActiveModel {
        payment_id: Set(payment_id),
        invoice_id: Set(invoice_id),
        amount: Set(amount),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A payment's part of an invoice: the payment, and how much of it went to the invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayment {
    pub payment: Payment,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

/// What was paid to invoice `invoice_id` (and taken back), oldest first.
pub async fn of_invoice(conn: &impl ConnectionTrait, invoice_id: i64) -> Result<Vec<InvoicePayment>, DbError> {
    let parts = payment_allocations::Entity::find()
        .filter(payment_allocations::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(payment_allocations::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = parts.iter().map(|a| a.payment_id).collect();
    let found: std::collections::HashMap<i64, Payment> =
        Entity::find().filter(Column::Id.is_in(ids)).all(conn).await?.into_iter().map(|p| (p.id, p)).collect();
    Ok(parts
        .into_iter()
        .filter_map(|a| {
            found.get(&a.payment_id).map(|p| InvoicePayment { payment: p.clone(), amount: a.amount, at: a.at })
        })
        .collect())
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
    crate::repo::invoices::refresh_status(conn, id, today, now).await
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

/// Refunds completed payment `id` (the gateway returned the money): marks it refunded, writes the
/// refund entry, and takes the money back off the invoices it paid, the named one first, then the
/// latest due. `false` when it is not completed (never paid, or refunded already).
pub async fn refund(
    conn: &impl ConnectionTrait,
    id: i64,
    actor: Option<i64>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let moved = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PaymentStatus::Refunded.as_str()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(PaymentStatus::Completed.as_str()))
        .exec(conn)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    let p = get(conn, id).await?.ok_or_else(|| DbError::Corrupt(format!("payment {id} vanished")))?;
    let entry = NewEntry {
        customer_id: p.customer_id,
        kind: EntryKind::Refund,
        amount: p.amount,
        invoice_id: p.invoice_id,
        payment_id: Some(p.id),
        note: p.gateway_ref.clone().unwrap_or_else(|| p.note.clone()),
        actor_id: actor,
    };
    ledger::add(conn, entry, now).await?;
    let mut paid = invoices::Entity::find()
        .filter(invoices::Column::CustomerId.eq(p.customer_id))
        .filter(invoices::Column::Paid.gt(0))
        .order_by_desc(invoices::Column::DueOn)
        .order_by_desc(invoices::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    if let Some(named) = p.invoice_id {
        paid.sort_by_key(|i| i.id != named);
    }
    let mut left = p.amount;
    for inv in paid {
        if left == 0 {
            break;
        }
        let back = Ord::min(left, inv.paid);
        add_paid(conn, inv.id, -back, today, now).await?;
        allocate_to(conn, p.id, inv.id, -back, now).await?;
        left -= back;
    }
    Ok(true)
}

/// Filters and paging of the payments list.
#[derive(Debug, Clone, Default)]
pub struct PaymentQuery {
    pub status: Option<PaymentStatus>,
    pub method: Option<PaymentMethod>,
    pub customer_id: Option<i64>,
    pub customer_ids: Option<Vec<i64>>,
    pub page: u64,
    pub per_page: u64,
}

/// Payments counted at most; beyond, a list says "more than".
pub const LIST_CAP: u64 = 10_000;

/// Newest first, with how many match (at most [`LIST_CAP`]; `false` when there are more).
pub async fn list(conn: &impl ConnectionTrait, q: &PaymentQuery) -> Result<(Vec<Payment>, u64, bool), DbError> {
    let mut select = Entity::find();
    if let Some(s) = q.status {
        select = select.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(m) = q.method {
        select = select.filter(Column::Method.eq(m.as_str()));
    }
    if let Some(c) = q.customer_id {
        select = select.filter(Column::CustomerId.eq(c));
    }
    if let Some(ids) = &q.customer_ids {
        select = select.filter(Column::CustomerId.is_in(ids.iter().copied()));
    }
    let counted = select.clone().select_only().column(Column::Id).limit(LIST_CAP + 1).into_query();
    let (total, exact) = super::capped_count(conn, counted, LIST_CAP).await?;
    let per_page = Ord::max(q.per_page, 1);
    let rows =
        select.order_by_desc(Column::Id).offset(q.page.saturating_sub(1) * per_page).limit(per_page).all(conn).await?;
    Ok((rows, total, exact))
}

/// Applies the customer's credit (what completed payments left over) to invoice `invoice_id`,
/// just written with its charge: at most what the customer had in credit before that charge and
/// what the invoice owes, taken from the oldest payments with something left. Returns the amount
/// applied (0 without credit). The ledger is not touched: the payments are in it already.
pub async fn apply_credit(
    conn: &impl ConnectionTrait,
    invoice_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let inv = invoices::Entity::find_by_id(invoice_id)
        .one(conn)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("invoice {invoice_id} vanished")))?;
    let balance_before = ledger::balance(conn, inv.customer_id).await? - inv.total;
    let mut want = Ord::min(Ord::max(-balance_before, 0), inv.total - inv.paid);
    if want <= 0 {
        return Ok(0);
    }
    let completed = Entity::find()
        .filter(Column::CustomerId.eq(inv.customer_id))
        .filter(Column::Status.eq(PaymentStatus::Completed.as_str()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = completed.iter().map(|p| p.id).collect();
    let mut allocated: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for a in
        payment_allocations::Entity::find().filter(payment_allocations::Column::PaymentId.is_in(ids)).all(conn).await?
    {
        *allocated.entry(a.payment_id).or_default() += a.amount;
    }
    let mut applied = 0;
    for p in completed {
        let left = p.amount - allocated.get(&p.id).copied().unwrap_or(0);
        let take = Ord::min(left, want);
        if take <= 0 {
            continue;
        }
        allocate_to(conn, p.id, invoice_id, take, now).await?;
        applied += take;
        want -= take;
        if want == 0 {
            break;
        }
    }
    if applied > 0 {
        add_paid(conn, invoice_id, applied, today, now).await?;
    }
    Ok(applied)
}
