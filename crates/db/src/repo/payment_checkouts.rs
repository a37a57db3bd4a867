//! Online payment attempts: one row per gateway checkout, keyed by (gateway, order id), whose state
//! only moves forward (callbacks arrive twice and out of order; status polls race them).

use crate::DbError;
use crate::entity::payment_checkouts::{self, Column, Entity};
use aglis_core::payment_gateway::GatewayState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

/// A checkout is its row.
pub use crate::entity::payment_checkouts::Model as Checkout;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckout {
    pub invoice_id: i64,
    pub customer_id: i64,
    pub gateway: String,
    pub order_id: String,
    pub amount: i64,
    pub gateway_ref: String,
    pub pay_url: String,
}

/// A new checkout's row: pending, not yet polled.
fn row(c: NewCheckout, now: DateTime<Utc>) -> payment_checkouts::ActiveModel {
    payment_checkouts::ActiveModel {
        invoice_id: Set(c.invoice_id),
        customer_id: Set(c.customer_id),
        gateway: Set(c.gateway),
        order_id: Set(c.order_id),
        amount: Set(c.amount),
        state: Set(GatewayState::Pending),
        gateway_ref: Set(c.gateway_ref),
        pay_url: Set(c.pay_url),
        transaction_id: Set(None),
        method: Set(None),
        payment_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        checked_at: Set(None),
        checks: Set(0),
        ..Default::default()
    }
}

/// Records a checkout the gateway has just opened.
pub async fn create(conn: &impl ConnectionTrait, c: NewCheckout, now: DateTime<Utc>) -> Result<Checkout, DbError> {
    Ok(row(c, now).insert(conn).await?)
}

/// Records a checkout opened elsewhere (a callback for an order we never created, e.g. from the
/// gateway's dashboard), unless it is already known; then reads it back.
pub async fn ensure(conn: &impl ConnectionTrait, c: NewCheckout, now: DateTime<Utc>) -> Result<Checkout, DbError> {
    let (gateway, order_id) = (c.gateway.clone(), c.order_id.clone());
    Entity::insert(row(c, now)).on_conflict_do_nothing_on([Column::Gateway, Column::OrderId]).exec(conn).await?;
    by_order(conn, &gateway, &order_id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("checkout {gateway}/{order_id} vanished")))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Checkout>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_order(conn: &impl ConnectionTrait, gateway: &str, order_id: &str) -> Result<Option<Checkout>, DbError> {
    Ok(Entity::find().filter(Column::Gateway.eq(gateway)).filter(Column::OrderId.eq(order_id)).one(conn).await?)
}

/// The same row, locked until the transaction ends (PostgreSQL; SQLite has one writer anyway).
pub async fn lock(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Checkout>, DbError> {
    Ok(Entity::find_by_id(id).lock_exclusive().one(conn).await?)
}

/// An invoice's checkouts, newest first.
pub async fn of_invoice(conn: &impl ConnectionTrait, invoice_id: i64) -> Result<Vec<Checkout>, DbError> {
    Ok(Entity::find().filter(Column::InvoiceId.eq(invoice_id)).order_by_desc(Column::Id).all(conn).await?)
}

/// How many checkouts an invoice has had (the next attempt's suffix is this plus one).
pub async fn count_of_invoice(conn: &impl ConnectionTrait, invoice_id: i64) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::InvoiceId.eq(invoice_id)).count(conn).await?)
}

/// Moves checkout `id` from `from` to `to` (with what the gateway said), unless someone else moved
/// it first. `true` when this call moved it.
pub async fn advance(
    conn: &impl ConnectionTrait,
    id: i64,
    from: GatewayState,
    to: GatewayState,
    transaction_id: &str,
    method: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::State, Expr::value(to.as_str()))
        .col_expr(Column::TransactionId, Expr::value(transaction_id))
        .col_expr(Column::Method, Expr::value(method.chars().take(60).collect::<String>()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(from.as_str()))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn set_payment(conn: &impl ConnectionTrait, id: i64, payment_id: i64) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::PaymentId, Expr::value(payment_id))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Pending checkouts opened before `opened_before` and not polled since `polled_before`, oldest
/// poll first: the ones whose callback may never come.
pub async fn due_for_poll(
    conn: &impl ConnectionTrait,
    opened_before: DateTime<Utc>,
    polled_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Checkout>, DbError> {
    Ok(Entity::find()
        .filter(Column::State.eq(GatewayState::Pending.as_str()))
        .filter(Column::CreatedAt.lt(opened_before))
        .filter(Column::CheckedAt.is_null().or(Column::CheckedAt.lt(polled_before)))
        .order_by_asc(Column::CheckedAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Notes a status poll of checkout `id`.
pub async fn polled(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(now))
        .col_expr(Column::Checks, Expr::col(Column::Checks).add(1))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
