//! Figures for the collections dashboard and the aging report, summed in the database (one
//! grouped query each, whatever the number of invoices): billed and collected per billing month,
//! what is still owed per package, and what is owed by how long past due.

use crate::DbError;
use crate::entity::{customers, invoices, packages};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::prepaid::BillingMode;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

fn unpaid_statuses() -> [&'static str; 3] {
    [InvoiceStatus::Open.as_str(), InvoiceStatus::Partial.as_str(), InvoiceStatus::Overdue.as_str()]
}

fn billed_statuses() -> [&'static str; 4] {
    [
        InvoiceStatus::Open.as_str(),
        InvoiceStatus::Partial.as_str(),
        InvoiceStatus::Overdue.as_str(),
        InvoiceStatus::Paid.as_str(),
    ]
}

fn int(row: &QueryResult, col: &str) -> Result<i64, DbError> {
    // SUM over BIGINT is NUMERIC on PostgreSQL: the queries cast it back.
    Ok(row.try_get::<Option<i64>>("", col)?.unwrap_or(0))
}

fn sum(col: impl Into<Expr>) -> Expr {
    Expr::expr(Func::coalesce([Func::sum(col.into()).into(), Expr::val(0_i64)])).cast_as(Alias::new("BIGINT"))
}

/// One billing month: what was invoiced and how much of it has been paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodFigures {
    /// `YYYY-MM`.
    pub period: String,
    pub invoices: i64,
    pub billed: i64,
    pub collected: i64,
}

impl PeriodFigures {
    pub fn outstanding(&self) -> i64 {
        self.billed - self.collected
    }

    /// Collected as a share of billed, per cent (0 when nothing was billed).
    pub fn rate_pct(&self) -> i64 {
        if self.billed == 0 { 0 } else { self.collected * 100 / self.billed }
    }
}

/// The recurring months from `from` (`YYYY-MM`) on, oldest first.
pub async fn per_period(conn: &impl ConnectionTrait, from: &str) -> Result<Vec<PeriodFigures>, DbError> {
    let stmt = Query::select()
        .column(invoices::Column::Period)
        .expr_as(Expr::col(invoices::Column::Id).count(), Alias::new("n"))
        // Credit notes take back what was billed; they are not money collected.
        .expr_as(
            sum(Expr::col(invoices::Column::Total).sub(Expr::col(invoices::Column::Credited))),
            Alias::new("billed"),
        )
        .expr_as(
            sum(Expr::col(invoices::Column::Paid).sub(Expr::col(invoices::Column::Credited))),
            Alias::new("collected"),
        )
        .from(invoices::Entity)
        .and_where(Expr::col(invoices::Column::Period).gte(from))
        .and_where(Expr::col(invoices::Column::Status).is_in(billed_statuses()))
        .group_by_col(invoices::Column::Period)
        .order_by(invoices::Column::Period, Order::Asc)
        .to_owned();
    let rows = conn.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            Ok(PeriodFigures {
                period: r.try_get::<Option<String>>("", "period")?.unwrap_or_default(),
                invoices: int(r, "n")?,
                billed: int(r, "billed")?,
                collected: int(r, "collected")?,
            })
        })
        .collect()
}

/// What is owed, by how long past due (the 0–30 bucket includes what is not due yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aging {
    pub not_due: i64,
    pub upto_30: i64,
    pub upto_60: i64,
    pub upto_90: i64,
    pub over_90: i64,
}

impl Aging {
    pub fn total(&self) -> i64 {
        self.not_due + self.upto_30 + self.upto_60 + self.upto_90 + self.over_90
    }
}

/// The aging columns as sums of `total - paid` by due day, relative to `today`.
fn aging_columns(q: &mut SelectStatement, today: NaiveDate) {
    let owed = || {
        Expr::col((invoices::Entity, invoices::Column::Total))
            .sub(Expr::col((invoices::Entity, invoices::Column::Paid)))
    };
    let due = || Expr::col((invoices::Entity, invoices::Column::DueOn));
    let days = |n: i64| today - chrono::Days::new(u64::try_from(n).unwrap_or(0));
    let bucket = |cond: sea_orm::sea_query::SimpleExpr| sum(Expr::case(cond, owed()).finally(Expr::val(0_i64)));
    q.expr_as(bucket(due().gte(today)), Alias::new("not_due"))
        .expr_as(bucket(due().lt(today).and(due().gte(days(30)))), Alias::new("upto_30"))
        .expr_as(bucket(due().lt(days(30)).and(due().gte(days(60)))), Alias::new("upto_60"))
        .expr_as(bucket(due().lt(days(60)).and(due().gte(days(90)))), Alias::new("upto_90"))
        .expr_as(bucket(due().lt(days(90))), Alias::new("over_90"));
}

fn aging_of(r: &QueryResult) -> Result<Aging, DbError> {
    Ok(Aging {
        not_due: int(r, "not_due")?,
        upto_30: int(r, "upto_30")?,
        upto_60: int(r, "upto_60")?,
        upto_90: int(r, "upto_90")?,
        over_90: int(r, "over_90")?,
    })
}

/// Everything owed, aged.
pub async fn aging_totals(conn: &impl ConnectionTrait, today: NaiveDate) -> Result<Aging, DbError> {
    let mut q = Query::select();
    q.from(invoices::Entity).and_where(Expr::col(invoices::Column::Status).is_in(unpaid_statuses()));
    aging_columns(&mut q, today);
    match conn.query_one(&q).await? {
        Some(r) => aging_of(&r),
        None => Ok(Aging::default()),
    }
}

/// One customer's debt, aged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAging {
    pub customer_id: i64,
    pub code: String,
    pub name: String,
    pub aging: Aging,
    pub invoices: i64,
    /// The due day of their oldest unpaid invoice.
    pub oldest_due: NaiveDate,
}

/// Customers who owe, the most past due first, one page, with how many owe. With `due_before`,
/// only active customers with an unpaid invoice due before that day: the suspension list.
pub async fn aging_by_customer(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
    due_before: Option<NaiveDate>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<CustomerAging>, u64), DbError> {
    let mut q = Query::select();
    q.column((customers::Entity, customers::Column::Id))
        .column((customers::Entity, customers::Column::Code))
        .column((customers::Entity, customers::Column::Name))
        .expr_as(Expr::col((invoices::Entity, invoices::Column::Id)).count(), Alias::new("n"))
        .expr_as(Expr::col((invoices::Entity, invoices::Column::DueOn)).min(), Alias::new("oldest"))
        .from(invoices::Entity)
        .inner_join(
            customers::Entity,
            Expr::col((customers::Entity, customers::Column::Id))
                .equals((invoices::Entity, invoices::Column::CustomerId)),
        )
        .and_where(Expr::col((invoices::Entity, invoices::Column::Status)).is_in(unpaid_statuses()))
        .group_by_col((customers::Entity, customers::Column::Id))
        .group_by_col((customers::Entity, customers::Column::Code))
        .group_by_col((customers::Entity, customers::Column::Name));
    if let Some(day) = due_before {
        // A prepaid customer's service ends with the paid term: listed from the first day of a
        // term not paid for (the renewal invoice is due that day), with no grace period.
        let oldest = || Expr::col((invoices::Entity, invoices::Column::DueOn)).min();
        let prepaid = Expr::col((customers::Entity, customers::Column::BillingMode)).eq(BillingMode::Prepaid.as_str());
        q.and_where(Expr::col((customers::Entity, customers::Column::Status)).eq(CustomerStatus::Active.as_str()))
            .group_by_col((customers::Entity, customers::Column::BillingMode))
            .and_having(oldest().lt(day).or(prepaid.and(oldest().lte(today))));
    }
    aging_columns(&mut q, today);
    let counted = q.clone();
    q.order_by_expr(Expr::col(Alias::new("oldest")), Order::Asc)
        .order_by((customers::Entity, customers::Column::Id), Order::Asc)
        .offset(offset)
        .limit(limit);
    let rows = conn.query_all(&q).await?;
    let (total, _) = super::capped_count(conn, counted, 100_000).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(CustomerAging {
                customer_id: r.try_get("", "id")?,
                code: r.try_get("", "code")?,
                name: r.try_get("", "name")?,
                aging: aging_of(r)?,
                invoices: int(r, "n")?,
                oldest_due: r.try_get("", "oldest")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((items, total))
}

/// One package's month: customers billed, billed, still owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFigures {
    pub package: String,
    pub invoices: i64,
    pub billed: i64,
    pub outstanding: i64,
}

/// Billing month `period` per package (the customer's package today), the most billed first.
pub async fn per_package(conn: &impl ConnectionTrait, period: &str) -> Result<Vec<PackageFigures>, DbError> {
    let stmt = Query::select()
        .expr_as(Expr::col((packages::Entity, packages::Column::Name)), Alias::new("package"))
        .expr_as(Expr::col((invoices::Entity, invoices::Column::Id)).count(), Alias::new("n"))
        .expr_as(sum(Expr::col((invoices::Entity, invoices::Column::Total))), Alias::new("billed"))
        .expr_as(
            sum(Expr::col((invoices::Entity, invoices::Column::Total))
                .sub(Expr::col((invoices::Entity, invoices::Column::Paid)))),
            Alias::new("outstanding"),
        )
        .from(invoices::Entity)
        .inner_join(
            customers::Entity,
            Expr::col((customers::Entity, customers::Column::Id))
                .equals((invoices::Entity, invoices::Column::CustomerId)),
        )
        .inner_join(
            packages::Entity,
            Expr::col((packages::Entity, packages::Column::Id))
                .equals((customers::Entity, customers::Column::PackageId)),
        )
        .and_where(Expr::col((invoices::Entity, invoices::Column::Period)).eq(period))
        .and_where(Expr::col((invoices::Entity, invoices::Column::Status)).is_in(billed_statuses()))
        .group_by_col((packages::Entity, packages::Column::Name))
        .order_by(Alias::new("billed"), Order::Desc)
        .to_owned();
    let rows = conn.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            Ok(PackageFigures {
                package: r.try_get("", "package")?,
                invoices: int(r, "n")?,
                billed: int(r, "billed")?,
                outstanding: int(r, "outstanding")?,
            })
        })
        .collect()
}
