//! Earlier months put right. A month's invoice is written on its billing day, so what changes
//! later in the month (another package, a pause, a suspension, the end of service) is not on it;
//! the next invoice the run writes for the customer carries the difference as an adjustment line
//! (`aglis_core::billing::adjustment`), and the earlier invoice is marked trued up in the same
//! transaction, so a month is put right once.

use crate::error::AppResult;
use aglis_core::billing::{self, PackageFrom, PackageSwitch, PlannedLine, Subscriber};
use aglis_core::money::Rupiah;
use aglis_core::proration::{Period, Span};
use aglis_db::entity::{customers, packages};
use aglis_db::repo::invoices::{self, Untrued};
use aglis_db::repo::package_changes::{self, PackageChange};
use aglis_db::repo::service_pauses;
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use std::collections::HashMap;

/// What one earlier month needs: its customers' pauses and package changes.
struct MonthFacts {
    pauses: HashMap<i64, Vec<Span>>,
    changes: HashMap<i64, Vec<PackageChange>>,
}

/// The earlier months not trued up yet, of months over by `today`.
pub struct Earlier {
    by_customer: HashMap<i64, Vec<Untrued>>,
    /// Per invoice: what it charged for service, and the monthly price it was billed at.
    billed: HashMap<i64, (i64, i64)>,
    months: HashMap<Period, MonthFacts>,
}

impl Earlier {
    /// Reads what the run for `period`, on `today`, needs to put earlier months right.
    pub async fn load(conn: &impl ConnectionTrait, period: Period, today: NaiveDate) -> AppResult<Earlier> {
        let untrued: Vec<Untrued> =
            invoices::untrued_before(conn, period).await?.into_iter().filter(|u| u.period.end < today).collect();
        let ids: Vec<i64> = untrued.iter().map(|u| u.invoice_id).collect();
        let billed = invoices::service_billed(conn, &ids).await?;
        let mut customers_of: HashMap<Period, Vec<i64>> = HashMap::new();
        for u in &untrued {
            customers_of.entry(u.period).or_default().push(u.customer_id);
        }
        let mut months = HashMap::new();
        for (month, customers) in customers_of {
            let pauses = service_pauses::in_period(conn, &customers, month).await?;
            let changes = package_changes::since_start_of(conn, month).await?;
            months.insert(month, MonthFacts { pauses, changes });
        }
        let mut by_customer: HashMap<i64, Vec<Untrued>> = HashMap::new();
        for u in untrued {
            by_customer.entry(u.customer_id).or_default().push(u);
        }
        Ok(Earlier { by_customer, billed, months })
    }

    /// Customers with an earlier month to put right.
    pub fn customers(&self) -> impl Iterator<Item = i64> + '_ {
        self.by_customer.keys().copied()
    }

    /// The adjustment lines of customer `c` (now at `package`), and the earlier invoices they
    /// settle (each of them, whether or not its month needed a line).
    pub fn adjust(&self, c: &customers::Model, package: &packages::Model) -> (Vec<PlannedLine>, Vec<i64>) {
        let Some(earlier) = self.by_customer.get(&c.id) else { return (Vec::new(), Vec::new()) };
        let mut lines = Vec::new();
        let mut settled = Vec::new();
        for u in earlier {
            settled.push(u.invoice_id);
            let (Some(&(billed, monthly)), Some(facts)) = (self.billed.get(&u.invoice_id), self.months.get(&u.period))
            else {
                continue; // No service line of known price: nothing to compare.
            };
            let packages = packages_of(activated_on(c), (&package.name, Rupiah(monthly)), facts.changes.get(&c.id));
            let not_billed = not_billed(c, facts.pauses.get(&c.id).map_or(&[][..], Vec::as_slice));
            let s = Subscriber { installation_fee: Rupiah(0), ..subscriber(c, package, &packages, &not_billed) };
            lines.extend(billing::adjustment(u.period, &s, Rupiah(billed)));
        }
        (lines, settled)
    }
}

/// What the run knows of customer `c`, now at `package`, with the packages and pauses of the
/// month it bills.
pub fn subscriber<'a>(
    c: &customers::Model,
    package: &packages::Model,
    packages: &'a [PackageFrom<'a>],
    pauses: &'a [Span],
) -> Subscriber<'a> {
    Subscriber {
        activated_on: activated_on(c),
        ended_on: c.terminated_at.map(super::run::jakarta_day),
        packages,
        installation_fee: Rupiah(package.installation_fee),
        tax_exempt: c.tax_exempt || package.tax_exempt,
        language: c.language,
        pauses,
    }
}

/// The days the run does not bill `c` for: `pauses` (suspensions, dated pauses) and the days
/// they paid ahead as prepaid terms (a customer back on postpaid).
pub fn not_billed(c: &customers::Model, pauses: &[Span]) -> Vec<Span> {
    let mut out = pauses.to_vec();
    if let Some(until) = c.paid_until {
        out.push(Span::between(activated_on(c), until + chrono::Duration::days(1)));
    }
    out
}

/// The first day of `c`'s service (Asia/Jakarta).
pub fn activated_on(c: &customers::Model) -> NaiveDate {
    super::run::jakarta_day(c.activated_at.unwrap_or(c.registered_at))
}

/// The packages of a customer activated on `activated_on` who has `current`, after `changes`
/// (those since the month began, oldest first).
pub fn packages_of<'a>(
    activated_on: NaiveDate,
    current: (&'a str, Rupiah),
    changes: Option<&'a Vec<PackageChange>>,
) -> Vec<PackageFrom<'a>> {
    let switches: Vec<PackageSwitch<'a>> = changes
        .map(|all| {
            all.iter()
                .map(|ch| PackageSwitch {
                    on: ch.effective_on,
                    from: (ch.from_name.as_str(), Rupiah(ch.from_price)),
                    to: (ch.to_name.as_str(), Rupiah(ch.to_price)),
                })
                .collect()
        })
        .unwrap_or_default();
    billing::packages_from(activated_on, current, &switches)
}
