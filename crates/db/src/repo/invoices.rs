//! Invoices with their lines. Creating one writes its charge to the ledger in the same
//! transaction; recurring invoices carry `<customer>:<period>` as a unique key, so a month is
//! billed once per customer whichever instance runs it and however often.

use crate::DbError;
use crate::entity::invoice_lines;
use crate::entity::invoices::{self, Column, Entity};
use crate::repo::ledger::{self, NewEntry};
use aglis_core::billing::PlannedLine;
use aglis_core::invoice::{self, InvoiceKind, InvoiceStatus};
use aglis_core::ledger::EntryKind;
use aglis_core::ppn::PpnBreakdown;
use aglis_core::proration::Period;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use std::collections::{HashMap, HashSet};

pub use crate::entity::invoice_lines::Model as Line;
/// An invoice is its row (status and kind typed).
pub use crate::entity::invoices::Model as Invoice;

/// An invoice to write, its sums worked out by the caller (`aglis_core::ppn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub customer_id: i64,
    pub kind: InvoiceKind,
    /// The month billed, for a recurring invoice.
    pub period: Option<Period>,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub lines: Vec<PlannedLine>,
    pub discount: i64,
    pub tax: PpnBreakdown,
    /// Given back to the customer beside the invoice (adjustments beyond its other lines): a
    /// negative `correction` in the ledger.
    pub credit: i64,
    pub created_by: Option<i64>,
}

impl NewInvoice {
    pub fn subtotal(&self) -> i64 {
        self.lines.iter().map(|l| l.amount.0).sum()
    }
}

/// The unique key of a customer's recurring invoice for `period`.
pub fn recurring_key(customer_id: i64, period: Period) -> String {
    format!("{customer_id}:{period}")
}

/// The highest number stored in `period`'s series (through the number index), longest first.
pub async fn highest_number(conn: &impl ConnectionTrait, period: Period) -> Result<Option<String>, DbError> {
    let prefix = invoice::number_prefix(period);
    Ok(Entity::find()
        .select_only()
        .column(Column::Number)
        .filter(Column::Number.gte(prefix.clone()))
        .filter(Column::Number.lt(format!("{prefix}~")))
        .order_by(Expr::cust("LENGTH(number)"), Order::Desc)
        .order_by_desc(Column::Number)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?)
}

/// The next number of `period`'s series, from the counter, in the caller's transaction; never at
/// or below `floor` (see [`highest_number`]: read it once per run, not per invoice).
pub async fn next_number(
    conn: &impl ConnectionTrait,
    period: Period,
    floor: Option<&str>,
) -> Result<Result<String, aglis_core::codes::SeriesFull>, DbError> {
    crate::codes::next(conn, &invoice::series(period), floor).await
}

/// Writes the invoice numbered `number`, its lines and its ledger charge. A second recurring
/// invoice for the same customer and period is `DbError::Unique` on `recurring_key`.
pub async fn create(
    conn: &impl ConnectionTrait,
    number: &str,
    new: NewInvoice,
    now: DateTime<Utc>,
) -> Result<Invoice, DbError> {
    create_many(conn, vec![(number.to_owned(), new)], now)
        .await?
        .pop()
        .ok_or_else(|| DbError::Corrupt("an inserted invoice was not returned".into()))
}

/// Writes each `(number, invoice)` as [`create`] does, with three statements whatever their
/// number (invoices, lines, charges): the monthly run's batches. Returned in the order given.
/// Any clash (`recurring_key`, `number`) fails the whole call; the caller rolls back.
pub async fn create_many(
    conn: &impl ConnectionTrait,
    items: Vec<(String, NewInvoice)>,
    now: DateTime<Utc>,
) -> Result<Vec<Invoice>, DbError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let rows = items.iter().map(|(number, new)| row(number, new, now));
    let mut by_number: HashMap<String, Invoice> =
        Entity::insert_many(rows).exec_with_returning(conn).await?.into_iter().map(|m| (m.number.clone(), m)).collect();
    // SQLite returns the rows in no promised order: match them up by their (unique) number.
    let mut written = Vec::with_capacity(items.len());
    let mut lines = Vec::new();
    let mut charges = Vec::new();
    for (number, new) in items {
        let model =
            by_number.remove(&number).ok_or_else(|| DbError::Corrupt(format!("invoice {number} was not returned")))?;
        lines.extend(new.lines.into_iter().enumerate().map(|(i, l)| invoice_lines::ActiveModel {
            invoice_id: Set(model.id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            kind: Set(l.kind),
            description: Set(l.description.chars().take(300).collect()),
            first_day: Set(l.first_day),
            last_day: Set(l.last_day),
            days: Set(l.days),
            quantity: Set(l.quantity),
            unit_price: Set(l.unit_price.0),
            amount: Set(l.amount.0),
            monthly: Set(l.monthly.map(|m| m.0)),
            ..Default::default()
        }));
        if new.credit > 0 {
            charges.push(NewEntry {
                customer_id: model.customer_id,
                kind: EntryKind::Correction,
                amount: -new.credit,
                invoice_id: Some(model.id),
                payment_id: None,
                note: number.clone(),
                actor_id: new.created_by,
            });
        }
        if model.total > 0 {
            charges.push(NewEntry {
                customer_id: model.customer_id,
                kind: EntryKind::Charge,
                amount: model.total,
                invoice_id: Some(model.id),
                payment_id: None,
                note: number,
                actor_id: new.created_by,
            });
        }
        written.push(model);
    }
    invoice_lines::Entity::insert_many(lines).exec_without_returning(conn).await?;
    if !charges.is_empty() {
        ledger::add_many(conn, charges, now).await?;
    }
    Ok(written)
}

fn row(number: &str, new: &NewInvoice, now: DateTime<Utc>) -> invoices::ActiveModel {
    let tax = new.tax;
    invoices::ActiveModel {
        number: Set(number.to_owned()),
        customer_id: Set(new.customer_id),
        kind: Set(new.kind),
        period: Set(new.period.map(|p| p.to_string())),
        recurring_key: Set(match (new.kind, new.period) {
            (InvoiceKind::Recurring, Some(p)) => Some(recurring_key(new.customer_id, p)),
            (InvoiceKind::Prepaid, _) => {
                new.lines.iter().find_map(|l| l.first_day).map(|first| super::prepaid::term_key(new.customer_id, first))
            }
            _ => None,
        }),
        status: Set(if tax.total.0 > 0 { InvoiceStatus::Open } else { InvoiceStatus::Paid }),
        issued_on: Set(new.issued_on),
        due_on: Set(new.due_on),
        subtotal: Set(new.subtotal()),
        discount: Set(new.discount),
        dpp: Set(tax.dpp.0),
        dpp_nilai_lain: Set(tax.dpp_nilai_lain.map(|r| r.0)),
        ppn_rate: Set(i32::try_from(tax.rate_pct).unwrap_or(0)),
        ppn: Set(tax.ppn.0),
        total: Set(tax.total.0),
        paid: Set(0),
        credited: Set(0),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A recurring invoice whose month has not been trued up yet (see m0030).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrued {
    pub invoice_id: i64,
    pub customer_id: i64,
    pub period: Period,
}

/// The recurring invoices of months before `period` not trued up yet.
pub async fn untrued_before(conn: &impl ConnectionTrait, period: Period) -> Result<Vec<Untrued>, DbError> {
    let rows: Vec<(i64, i64, Option<String>)> = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::CustomerId)
        .column(Column::Period)
        .filter(Column::Kind.eq(InvoiceKind::Recurring.as_str()))
        .filter(Column::TruedUp.eq(false))
        .filter(Column::Period.lt(period.to_string()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(invoice_id, customer_id, p)| {
            p.as_deref().and_then(Period::parse).map(|period| Untrued { invoice_id, customer_id, period })
        })
        .collect())
}

/// What each of `invoice_ids` charged for service (its package lines), with the monthly price
/// of its last package line; invoices with a line of unknown price are left out.
pub async fn service_billed(
    conn: &impl ConnectionTrait,
    invoice_ids: &[i64],
) -> Result<HashMap<i64, (i64, i64)>, DbError> {
    let mut sums: HashMap<i64, (i64, Option<i64>)> = HashMap::new();
    let mut unknown: HashSet<i64> = HashSet::new();
    for chunk in invoice_ids.chunks(500) {
        let rows: Vec<(i64, i64, Option<i64>)> = invoice_lines::Entity::find()
            .select_only()
            .column(invoice_lines::Column::InvoiceId)
            .column(invoice_lines::Column::Amount)
            .column(invoice_lines::Column::Monthly)
            .filter(invoice_lines::Column::InvoiceId.is_in(chunk.to_vec()))
            .filter(invoice_lines::Column::Kind.eq(aglis_core::invoice::LineKind::Package.as_str()))
            .order_by_asc(invoice_lines::Column::InvoiceId)
            .order_by_asc(invoice_lines::Column::Position)
            .into_tuple()
            .all(conn)
            .await?;
        for (id, amount, monthly) in rows {
            if monthly.is_none() {
                unknown.insert(id);
            }
            let e = sums.entry(id).or_insert((0, None));
            e.0 += amount;
            e.1 = monthly.or(e.1);
        }
    }
    Ok(sums
        .into_iter()
        .filter(|(id, _)| !unknown.contains(id))
        .filter_map(|(id, (sum, monthly))| monthly.map(|m| (id, (sum, m))))
        .collect())
}

/// Marks `ids`' months trued up.
pub async fn mark_trued_up(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        Entity::update_many()
            .col_expr(Column::TruedUp, Expr::value(true))
            .filter(Column::Id.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Customers among `customers` with a recurring invoice for `period` already.
pub async fn billed_in(conn: &impl ConnectionTrait, period: Period) -> Result<HashSet<i64>, DbError> {
    let ids: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::CustomerId)
        .filter(Column::Period.eq(period.to_string()))
        .filter(Column::Kind.eq(InvoiceKind::Recurring.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Invoice>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// What customer `customer_id` still owes: issued invoices not paid, the oldest due first.
pub async fn unpaid_of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<Invoice>, DbError> {
    let open = [InvoiceStatus::Open, InvoiceStatus::Partial, InvoiceStatus::Overdue].map(InvoiceStatus::as_str);
    Ok(Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::Status.is_in(open))
        .order_by_asc(Column::DueOn)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

pub async fn by_number(conn: &impl ConnectionTrait, number: &str) -> Result<Option<Invoice>, DbError> {
    Ok(Entity::find().filter(Column::Number.eq(number)).one(conn).await?)
}

pub async fn lines(conn: &impl ConnectionTrait, invoice_id: i64) -> Result<Vec<Line>, DbError> {
    Ok(invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_lines::Column::Position)
        .all(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceQuery {
    pub customer_id: Option<i64>,
    /// Any of these customers (a name search's matches).
    pub customer_ids: Option<Vec<i64>>,
    pub status: Option<InvoiceStatus>,
    pub period: Option<Period>,
    /// The start of a number (`INV-202607`).
    pub number: Option<String>,
    /// Leave out drafts (what a customer sees).
    pub issued_only: bool,
    pub page: u64,
    pub per_page: u64,
}

/// Matches counted at most; a list says "more than" beyond.
pub const LIST_CAP: u64 = 10_000;

/// Newest first, with the number of matches (at most [`LIST_CAP`]; `false` when there are more).
pub async fn list(conn: &impl ConnectionTrait, q: &InvoiceQuery) -> Result<(Vec<Invoice>, u64, bool), DbError> {
    let mut cond = Condition::all();
    if let Some(c) = q.customer_id {
        cond = cond.add(Column::CustomerId.eq(c));
    }
    if let Some(ids) = &q.customer_ids {
        cond = cond.add(Column::CustomerId.is_in(ids.iter().copied()));
    }
    if let Some(s) = q.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    if let Some(p) = q.period {
        cond = cond.add(Column::Period.eq(p.to_string()));
    }
    if q.issued_only {
        cond = cond.add(Column::Status.ne(InvoiceStatus::Draft.as_str()));
    }
    if let Some(n) = q.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        // A range on the number's index (SQLite's LIKE ignores case and so cannot use it).
        let n = n.to_uppercase();
        cond = match super::prefix_end(&n) {
            Some(end) => cond.add(Column::Number.gte(n)).add(Column::Number.lt(end)),
            None => cond.add(Column::Number.starts_with(n)),
        };
    }
    let select = Entity::find().filter(cond);
    let counted = select.clone().select_only().column(Column::Id).limit(LIST_CAP + 1).into_query();
    let (total, exact) = super::capped_count(conn, counted, LIST_CAP).await?;
    let per_page = Ord::max(q.per_page, 1);
    let rows =
        select.order_by_desc(Column::Id).offset(q.page.saturating_sub(1) * per_page).limit(per_page).all(conn).await?;
    Ok((rows, total, exact))
}

/// Unpaid invoices due before `today` become overdue (the daily sweep); how many did.
pub async fn mark_overdue(conn: &impl ConnectionTrait, today: NaiveDate, now: DateTime<Utc>) -> Result<u64, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::Status, Expr::value(InvoiceStatus::Overdue.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Status.is_in([InvoiceStatus::Open.as_str(), InvoiceStatus::Partial.as_str()]))
        .filter(Column::DueOn.lt(today))
        .exec(conn)
        .await?;
    Ok(r.rows_affected)
}

/// Unpaid invoices due from `from` to `to` (inclusive), oldest due first: the ones a reminder
/// may be due for.
pub async fn unpaid_due_between(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Invoice>, DbError> {
    Ok(Entity::find()
        .filter(
            Column::Status
                .is_in([InvoiceStatus::Open, InvoiceStatus::Partial, InvoiceStatus::Overdue].map(|s| s.as_str())),
        )
        .filter(Column::DueOn.gte(from))
        .filter(Column::DueOn.lte(to))
        .order_by_asc(Column::DueOn)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?)
}

/// Credits `amount` of invoice `id` (a credit note): what it still owes goes down by that, its
/// status follows. `false` when it is not unpaid or owes less than `amount` (checked in the
/// update itself, so two credit notes at once cannot take it below zero).
pub async fn credit(
    conn: &impl ConnectionTrait,
    id: i64,
    amount: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Paid, Expr::col(Column::Paid).add(amount))
        .col_expr(Column::Credited, Expr::col(Column::Credited).add(amount))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(UNPAID.map(|s| s.as_str())))
        .filter(Expr::col(Column::Total).sub(Expr::col(Column::Paid)).gte(amount))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Ok(false);
    }
    refresh_status(conn, id, today, now).await?;
    Ok(true)
}

const UNPAID: [InvoiceStatus; 3] = [InvoiceStatus::Open, InvoiceStatus::Partial, InvoiceStatus::Overdue];

/// Sets invoice `id`'s status from its sums and due day, as of `today`. A prepaid term paid in
/// full extends the customer's service.
pub async fn refresh_status(
    conn: &impl ConnectionTrait,
    id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let inv =
        Entity::find_by_id(id).one(conn).await?.ok_or_else(|| DbError::Corrupt(format!("invoice {id} vanished")))?;
    let status =
        InvoiceStatus::of(aglis_core::money::Rupiah(inv.total), aglis_core::money::Rupiah(inv.paid), inv.due_on, today);
    if status != inv.status {
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(status.as_str()))
            .filter(Column::Id.eq(id))
            .exec(conn)
            .await?;
        if status == InvoiceStatus::Paid {
            super::prepaid::extend(conn, &inv, today, now).await?;
        }
    }
    Ok(())
}
