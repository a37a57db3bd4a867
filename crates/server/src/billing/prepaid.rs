//! Prepaid customers (`aglis_core::prepaid`): every morning the invoice for each prepaid
//! customer's next term is written a week before their paid service ends (never paid: from the
//! day their service began, with the installation fee). Paying it moves their last paid day on
//! (`aglis_db::repo::prepaid::extend`, whichever way the money comes); the reminders job reminds
//! them of it as of any invoice, and the suspension list takes them from the first unpaid day.
//! The monthly run leaves prepaid customers out.

use super::run::jakarta_day;
use super::true_up::activated_on;
use crate::error::{AppError, AppResult};
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::invoice::InvoiceKind;
use aglis_core::money::Rupiah;
use aglis_core::prepaid::{self, BillingMode, TermPrice};
use aglis_core::proration::Period;
use aglis_db::entity::packages;
use aglis_db::repo::customers::Customer;
use aglis_db::repo::invoices::{self, NewInvoice};
use aglis_db::repo::{payments, prepaid as repo};
use aglis_db::{DbError, TransactionTrait};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use std::collections::HashMap;

pub const RENEWAL_JOB: &str = "billing.prepaid_renewals";

/// What one renewal run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalReport {
    /// Prepaid customers whose paid service ends within the lead days (or never paid).
    pub considered: usize,
    /// Term invoices written.
    pub written: usize,
    /// Terms with nothing to pay (a free package): extended at once.
    pub free: usize,
}

pub async fn renewals_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let report = write_renewals(&state, state.now()).await?;
    tracing::info!(?report, "prepaid renewals");
    Ok(())
}

/// Writes the invoices of the prepaid terms due by `now` (each once: its key is unique, so two
/// instances, or a second run the same day, write nothing more).
pub async fn write_renewals(state: &AppState, now: DateTime<Utc>) -> AppResult<RenewalReport> {
    let today = jakarta_day(now);
    let settings = super::profile::load(&state.db).await?.rules();
    let due = repo::due_for_renewal(&state.db, today).await?;
    let terms: Vec<(Customer, prepaid::Term)> = due
        .into_iter()
        .map(|c| {
            let term = prepaid::next_term(c.paid_until, activated_on(&c));
            (c, term)
        })
        .filter(|(_, term)| prepaid::renewal_due(term, today))
        .collect();
    let keys: Vec<String> = terms.iter().map(|(c, t)| repo::term_key(c.id, t.first)).collect();
    let written = repo::written(&state.db, &keys).await?;
    let packages: HashMap<i64, packages::Model> =
        packages::Entity::find().all(&state.db).await.map_err(DbError::from)?.into_iter().map(|p| (p.id, p)).collect();
    let mut report = RenewalReport { considered: terms.len(), ..RenewalReport::default() };
    let period = Period::containing(today);
    let floor = invoices::highest_number(&state.db, period).await?;
    for (c, term) in terms {
        if written.contains(&repo::term_key(c.id, term.first)) {
            continue;
        }
        let Some(package) = packages.get(&c.package_id) else { continue };
        let first_ever = c.paid_until.is_none() && !repo::ever_invoiced(&state.db, c.id).await?;
        let price = TermPrice {
            package: &package.name,
            monthly: Rupiah(package.monthly_price),
            installation_fee: Rupiah(if first_ever { package.installation_fee } else { 0 }),
            tax_exempt: c.tax_exempt || package.tax_exempt,
            language: c.language,
        };
        let txn = state.db.begin().await.map_err(DbError::from)?;
        let Some(plan) = prepaid::plan_term(&term, today, &settings, &price) else {
            repo::set_paid_until(&txn, c.id, c.paid_until, term.last, &package.name, None, now).await?;
            txn.commit().await.map_err(DbError::from)?;
            report.free += 1;
            continue;
        };
        let number = invoices::next_number(&txn, period, floor.as_deref())
            .await?
            .map_err(|full| AppError::conflict(full.to_string()))?;
        let new = NewInvoice {
            customer_id: c.id,
            kind: InvoiceKind::Prepaid,
            period: Some(Period::containing(term.first)),
            issued_on: plan.issued_on,
            due_on: plan.due_on,
            lines: plan.lines,
            discount: 0,
            tax: plan.tax,
            credit: 0,
            created_by: None,
        };
        match invoices::create(&txn, &number, new, now).await {
            Ok(invoice) => {
                // Money paid ahead pays the term as far as it goes (and may extend it at once).
                payments::apply_credit(&txn, invoice.id, today, now).await?;
                txn.commit().await.map_err(DbError::from)?;
                report.written += 1;
            }
            // Another instance wrote this term meanwhile: its number goes back with the rollback.
            Err(e) if e.is_unique_on("recurring_key") => txn.rollback().await.map_err(DbError::from)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(report)
}

/// Moves customer `c` to `mode` (a change written to their history by the caller). To prepaid:
/// the months the monthly run billed are theirs, so service is paid until the end of the last of
/// them and those months are settled as billed; the next term follows on. To postpaid: the days
/// paid ahead stay paid, and the run bills from the day after them.
pub async fn switch_mode(conn: &impl ConnectionTrait, mut c: Customer, mode: BillingMode) -> AppResult<Customer> {
    if mode == c.billing_mode {
        return Ok(c);
    }
    let paid_until = match mode {
        BillingMode::Prepaid => {
            let billed = repo::last_billed_month(conn, c.id).await?.map(|p| p.end);
            repo::settle_billed_months(conn, c.id).await?;
            c.paid_until.max(billed)
        }
        BillingMode::Postpaid => c.paid_until,
    };
    repo::set_mode(conn, c.id, mode, paid_until).await?;
    c.billing_mode = mode;
    c.paid_until = paid_until;
    Ok(c)
}

/// What the customer page says of a prepaid customer's service (paid until `paid_until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepaidView {
    /// No paid service today.
    pub expired: bool,
    /// Days of paid service left, today included.
    pub days_left: i64,
}

pub fn view(c: &Customer, now: DateTime<Utc>) -> Option<PrepaidView> {
    (c.billing_mode == BillingMode::Prepaid).then(|| {
        let today = jakarta_day(now);
        PrepaidView {
            expired: prepaid::expired(c.paid_until, today),
            days_left: c.paid_until.map_or(0, |d| ((d - today).num_days() + 1).max(0)),
        }
    })
}

/// For the history: `billing_mode: postpaid → prepaid`.
pub fn change_note(old: &Customer, mode: BillingMode) -> Option<String> {
    (mode != old.billing_mode).then(|| format!("billing_mode: {} → {mode}", old.billing_mode))
}
