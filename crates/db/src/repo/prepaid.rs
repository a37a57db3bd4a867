//! Prepaid customers' terms (see `aglis_core::prepaid`): who is due a renewal invoice, the unique
//! key that writes a term's invoice once, the last paid day moved on when a term is paid, and the
//! switch between billing modes.

use crate::DbError;
use crate::entity::customers;
use crate::entity::invoice_lines;
use crate::entity::invoices::{self, Column, Entity};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::{InvoiceKind, LineKind};
use aglis_core::prepaid::{self, BillingMode, Term};
use aglis_core::proration::Period;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashSet;

/// The unique key of customer `customer_id`'s invoice for the term from `first` (in
/// `invoices.recurring_key`, beside the monthly run's `<customer>:<period>`).
pub fn term_key(customer_id: i64, first: NaiveDate) -> String {
    format!("prepaid:{customer_id}:{first}")
}

/// Prepaid customers with service (active or suspended) whose next term is due its invoice by
/// `today`: never paid, or paid until less than the lead days ahead.
pub async fn due_for_renewal(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<crate::repo::customers::Customer>, DbError> {
    let horizon = today + Duration::days(prepaid::RENEWAL_LEAD_DAYS);
    Ok(customers::Entity::find()
        .filter(customers::Column::BillingMode.eq(BillingMode::Prepaid.as_str()))
        .filter(
            Condition::any().add(customers::Column::PaidUntil.is_null()).add(customers::Column::PaidUntil.lt(horizon)),
        )
        .filter(customers::Column::Status.is_in([CustomerStatus::Active.as_str(), CustomerStatus::Suspended.as_str()]))
        .order_by_asc(customers::Column::Id)
        .all(conn)
        .await?)
}

/// Customer `customer_id`'s invoice for the term from `first`.
pub async fn term_invoice(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    first: NaiveDate,
) -> Result<Option<invoices::Model>, DbError> {
    Ok(Entity::find().filter(Column::RecurringKey.eq(term_key(customer_id, first))).one(conn).await?)
}

/// Active prepaid customers on `today`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// With paid service today.
    pub running: u64,
    /// Of those, ending within the renewal lead days.
    pub ending_soon: u64,
    /// Without: ran out, or never paid.
    pub ran_out: u64,
}

pub async fn figures(conn: &impl ConnectionTrait, today: NaiveDate) -> Result<Figures, DbError> {
    let active = || {
        customers::Entity::find()
            .filter(customers::Column::BillingMode.eq(BillingMode::Prepaid.as_str()))
            .filter(customers::Column::Status.eq(CustomerStatus::Active.as_str()))
    };
    let running = active().filter(customers::Column::PaidUntil.gte(today)).count(conn).await?;
    let soon = today + Duration::days(prepaid::RENEWAL_LEAD_DAYS);
    let ending_soon = active()
        .filter(customers::Column::PaidUntil.gte(today))
        .filter(customers::Column::PaidUntil.lt(soon))
        .count(conn)
        .await?;
    let ran_out = active()
        .filter(
            Condition::any().add(customers::Column::PaidUntil.is_null()).add(customers::Column::PaidUntil.lt(today)),
        )
        .count(conn)
        .await?;
    Ok(Figures { running, ending_soon, ran_out })
}

/// Which of `keys` (see [`term_key`]) have their invoice written already.
pub async fn written(conn: &impl ConnectionTrait, keys: &[String]) -> Result<HashSet<String>, DbError> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<Option<String>> = Entity::find()
            .select_only()
            .column(Column::RecurringKey)
            .filter(Column::RecurringKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(found.into_iter().flatten());
    }
    Ok(out)
}

/// Whether customer `customer_id` was ever invoiced (the first prepaid term carries the
/// installation fee only when not).
pub async fn ever_invoiced(conn: &impl ConnectionTrait, customer_id: i64) -> Result<bool, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::CustomerId.eq(customer_id))
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .is_some())
}

/// The last month the monthly run billed customer `customer_id`.
pub async fn last_billed_month(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Option<Period>, DbError> {
    let found: Option<Option<String>> = Entity::find()
        .select_only()
        .column(Column::Period)
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::Kind.eq(InvoiceKind::Recurring.as_str()))
        .order_by_desc(Column::Period)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(found.flatten().as_deref().and_then(Period::parse))
}

/// Settles customer `customer_id`'s billed months as billed (none will be trued up later): they
/// go prepaid, and the days paid ahead are no longer the monthly run's.
pub async fn settle_billed_months(conn: &impl ConnectionTrait, customer_id: i64) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::TruedUp, Expr::value(true))
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::Kind.eq(InvoiceKind::Recurring.as_str()))
        .filter(Column::TruedUp.eq(false))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets customer `id`'s billing mode and last paid day.
pub async fn set_mode(
    conn: &impl ConnectionTrait,
    id: i64,
    mode: BillingMode,
    paid_until: Option<NaiveDate>,
) -> Result<(), DbError> {
    customers::Entity::update_many()
        .col_expr(customers::Column::BillingMode, Expr::value(mode.as_str()))
        .col_expr(customers::Column::PaidUntil, Expr::value(paid_until))
        .filter(customers::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Prepaid invoice `inv` has just been paid on `today`: the customer's service runs on through its
/// term (or a month from today when it had run out), written to their history.
pub(crate) async fn extend(
    conn: &impl ConnectionTrait,
    inv: &invoices::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if inv.kind != InvoiceKind::Prepaid {
        return Ok(());
    }
    let term: Option<(Option<NaiveDate>, Option<NaiveDate>)> = invoice_lines::Entity::find()
        .select_only()
        .column(invoice_lines::Column::FirstDay)
        .column(invoice_lines::Column::LastDay)
        .filter(invoice_lines::Column::InvoiceId.eq(inv.id))
        .filter(invoice_lines::Column::Kind.eq(LineKind::Package.as_str()))
        .order_by_asc(invoice_lines::Column::Position)
        .into_tuple()
        .one(conn)
        .await?;
    let Some((Some(first), Some(last))) = term else { return Ok(()) };
    let Some(c) = customers::Entity::find_by_id(inv.customer_id).one(conn).await? else { return Ok(()) };
    let until = prepaid::paid_through(&Term { first, last }, today, c.paid_until);
    set_paid_until(conn, c.id, c.paid_until, until, &inv.number, None, now).await
}

/// Moves customer `customer_id`'s last paid day by `days` (a dated pause within a paid term, or
/// its cancellation), written to their history with `why`.
pub async fn move_paid_until(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    days: i64,
    why: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let Some(c) = customers::Entity::find_by_id(customer_id).one(conn).await? else { return Ok(()) };
    let Some(until) = c.paid_until else { return Ok(()) };
    set_paid_until(conn, customer_id, Some(until), until + Duration::days(days), why, actor, now).await
}

/// Sets customer `customer_id`'s last paid day from `from` to `to`, with a line of their history
/// (`paid_until`: `why: from → to`); nothing when the two are the same day.
pub async fn set_paid_until(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    from: Option<NaiveDate>,
    to: NaiveDate,
    why: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if from == Some(to) {
        return Ok(());
    }
    customers::Entity::update_many()
        .col_expr(customers::Column::PaidUntil, Expr::value(to))
        .filter(customers::Column::Id.eq(customer_id))
        .exec(conn)
        .await?;
    let from = from.map_or("-".to_owned(), |d| d.to_string());
    crate::repo::customers::add_event(conn, customer_id, "paid_until", &format!("{why}: {from} → {to}"), actor, now)
        .await
}
