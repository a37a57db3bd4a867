//! The monthly run: one recurring invoice per customer and month, prorated, with PPN, its charge in
//! the ledger. Idempotent (a customer billed for the month is skipped, and the unique
//! `<customer>:<period>` key stops a second instance running at the same moment), with a dry run
//! that writes nothing.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use aglis_core::billing::{self, PlannedInvoice};
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::{self, InvoiceKind, LineKind};
use aglis_core::money::Rupiah;
use aglis_core::prepaid::BillingMode;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::{customers, packages};
use aglis_db::repo::invoices::{self, NewInvoice};
use aglis_db::repo::{billing_runs, ledger, package_changes, payments, service_pauses};
use aglis_db::{DbError, TransactionTrait, codes};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{HashMap, HashSet};

/// Customers written per transaction.
const BATCH: usize = 200;

/// What a run did, or would do (also the API's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RunReport {
    /// `YYYY-MM`.
    pub period: String,
    pub dry_run: bool,
    /// Customers looked at: active or suspended, or ended during the month.
    pub customers: u64,
    /// Invoices written (or that a dry run would write).
    pub created: u64,
    /// Billed for this month already (a run never bills anyone twice).
    pub already_billed: u64,
    /// No day of service in the month, or a free package.
    pub nothing_to_bill: u64,
    /// Whole rupiah, PPN included, of the invoices written (or to write).
    pub total: i64,
    /// Invoices with an adjustment of an earlier month (a change after its invoice: another
    /// package, a pause, a suspension, the end of service).
    pub adjusted: u64,
}

/// One customer's invoice to write, and the earlier invoices whose months it puts right.
struct Planned {
    customer_id: i64,
    plan: PlannedInvoice,
    settles: Vec<i64>,
}

/// Runs (or, with `dry_run`, plans) `period`'s invoices. With `recorded`, the progress of that
/// billing run (`billing_runs`) is written after each batch.
pub async fn run(
    state: &AppState,
    period: Period,
    dry_run: bool,
    actor: Option<i64>,
    recorded: Option<i64>,
) -> AppResult<RunReport> {
    run_at(state, period, dry_run, actor, state.now(), recorded).await
}

/// [`run`] as if it ran at `now`: the demo's year of history is written as each month's run
/// would have written it.
pub async fn run_at(
    state: &AppState,
    period: Period,
    dry_run: bool,
    actor: Option<i64>,
    now: DateTime<Utc>,
    recorded: Option<i64>,
) -> AppResult<RunReport> {
    let settings = super::profile::load(&state.db).await?.rules();
    let earlier = super::true_up::Earlier::load(&state.db, period, jakarta_day(now)).await?;
    let mut candidates = candidates(state, period).await?;
    // Customers no longer billed (service ended) with an earlier month still to put right.
    let known: HashSet<i64> = candidates.iter().map(|c| c.id).collect();
    let missing: Vec<i64> = earlier.customers().filter(|id| !known.contains(id)).collect();
    for chunk in missing.chunks(500) {
        candidates.extend(
            customers::Entity::find()
                .filter(customers::Column::Id.is_in(chunk.to_vec()))
                .filter(customers::Column::BillingMode.eq(BillingMode::Postpaid.as_str()))
                .all(&state.db)
                .await
                .map_err(DbError::from)?,
        );
    }
    let packages: HashMap<i64, packages::Model> =
        packages::Entity::find().all(&state.db).await.map_err(DbError::from)?.into_iter().map(|p| (p.id, p)).collect();
    let billed = invoices::billed_in(&state.db, period).await?;
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    let pauses = service_pauses::in_period(&state.db, &ids, period).await?;
    let changes = package_changes::since_start_of(&state.db, period).await?;
    let mut report =
        RunReport { period: period.to_string(), dry_run, customers: count(candidates.len()), ..RunReport::default() };
    let mut planned: Vec<Planned> = Vec::new();
    // Earlier invoices whose month needed no adjustment, for a customer with nothing to bill now.
    let mut settled_alone: Vec<i64> = Vec::new();
    for c in &candidates {
        if billed.contains(&c.id) {
            report.already_billed += 1;
            continue;
        }
        let Some(package) = packages.get(&c.package_id) else {
            report.nothing_to_bill += 1;
            continue;
        };
        let (adjustments, settles) = earlier.adjust(c, package);
        let packages = super::true_up::packages_of(
            super::true_up::activated_on(c),
            (&package.name, Rupiah(package.monthly_price)),
            changes.get(&c.id),
        );
        let not_billed = super::true_up::not_billed(c, pauses.get(&c.id).map_or(&[][..], Vec::as_slice));
        let subscriber = super::true_up::subscriber(c, package, &packages, &not_billed);
        match billing::plan_with(period, &settings, &subscriber, adjustments) {
            Some(plan) => {
                if plan.lines.iter().any(|l| l.kind == LineKind::Adjustment) {
                    report.adjusted += 1;
                }
                planned.push(Planned { customer_id: c.id, plan, settles });
            }
            None => {
                report.nothing_to_bill += 1;
                settled_alone.extend(settles);
            }
        }
    }
    if dry_run {
        report.created = count(planned.len());
        report.total = planned.iter().map(|p| p.plan.tax.total.0).sum();
        return Ok(report);
    }
    invoices::mark_trued_up(&state.db, &settled_alone).await?;
    let floor = invoices::highest_number(&state.db, period).await?;
    // Customers who paid ahead: their credit goes to the new invoice (one aggregate over the
    // ledger, skipped by a run with nothing to write).
    let in_credit =
        if planned.is_empty() { Default::default() } else { ledger::customers_in_credit(&state.db).await? };
    let of = count(planned.len());
    let mut done = 0_u64;
    if let Some(id) = recorded {
        billing_runs::progress(&state.db, id, 0, to_i64(of)).await?;
    }
    for batch in planned.chunks(BATCH) {
        let txn = state.db.begin().await.map_err(DbError::from)?;
        // The batch's numbers at once and three inserts. When another instance billed one of
        // these customers meanwhile, or the month's series has too few numbers left, the
        // savepoint gives everything back, numbers included, and the batch goes one by one.
        let fast = txn.begin().await.map_err(DbError::from)?;
        let written = match write_batch(&fast, period, floor.as_deref(), batch, actor, now).await {
            Ok(Some(written)) => {
                fast.commit().await.map_err(DbError::from)?;
                written
            }
            Ok(None) => {
                fast.rollback().await.map_err(DbError::from)?;
                write_one_by_one(&txn, period, floor.as_deref(), batch, actor, now, &mut report).await?
            }
            Err(e) if e.is_unique_on("recurring_key") => {
                fast.rollback().await.map_err(DbError::from)?;
                write_one_by_one(&txn, period, floor.as_deref(), batch, actor, now, &mut report).await?
            }
            Err(e) => return Err(e.into()),
        };
        for (customer_id, invoice) in written {
            if in_credit.contains(&customer_id) {
                payments::apply_credit(&txn, invoice.id, jakarta_day(now), now).await?;
            }
            report.created += 1;
            report.total += invoice.total;
        }
        txn.commit().await.map_err(DbError::from)?;
        done += count(batch.len());
        if let Some(id) = recorded {
            billing_runs::progress(&state.db, id, to_i64(done), to_i64(of)).await?;
        }
    }
    Ok(report)
}

/// What a run wrote: each customer with their new invoice.
type Written = Vec<(i64, invoices::Invoice)>;

/// Writes `batch` with one counter update and three inserts; `None` when the series cannot number
/// them all (the caller rolls back).
async fn write_batch(
    conn: &impl sea_orm::ConnectionTrait,
    period: Period,
    floor: Option<&str>,
    batch: &[Planned],
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Written>, DbError> {
    let n = u32::try_from(batch.len()).unwrap_or(u32::MAX);
    let Ok(numbers) = codes::next_n(conn, &invoice::series(period), floor, n).await? else { return Ok(None) };
    let items = numbers.into_iter().zip(batch).map(|(number, p)| (number, new_invoice(period, p, actor))).collect();
    let written = invoices::create_many(conn, items, now).await?;
    let settled: Vec<i64> = batch.iter().flat_map(|p| p.settles.iter().copied()).collect();
    invoices::mark_trued_up(conn, &settled).await?;
    Ok(Some(batch.iter().map(|p| p.customer_id).zip(written).collect()))
}

/// Writes `batch` an invoice at a time, each in its savepoint: one another instance wrote
/// meanwhile is given back whole, its number included, and counted as billed already.
async fn write_one_by_one(
    txn: &sea_orm::DatabaseTransaction,
    period: Period,
    floor: Option<&str>,
    batch: &[Planned],
    actor: Option<i64>,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> AppResult<Written> {
    let mut written = Vec::new();
    for p in batch {
        let one = txn.begin().await.map_err(DbError::from)?;
        let number = match invoices::next_number(&one, period, floor).await? {
            Ok(n) => n,
            Err(full) => return Err(AppError::Conflict { detail: full.to_string(), fields: Default::default() }),
        };
        match invoices::create(&one, &number, new_invoice(period, p, actor), now).await {
            Ok(invoice) => {
                invoices::mark_trued_up(&one, &p.settles).await?;
                one.commit().await.map_err(DbError::from)?;
                written.push((p.customer_id, invoice));
            }
            Err(e) if e.is_unique_on("recurring_key") => {
                one.rollback().await.map_err(DbError::from)?;
                report.already_billed += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

fn new_invoice(period: Period, planned: &Planned, actor: Option<i64>) -> NewInvoice {
    let p = &planned.plan;
    NewInvoice {
        customer_id: planned.customer_id,
        kind: InvoiceKind::Recurring,
        period: Some(period),
        issued_on: p.issued_on,
        due_on: p.due_on,
        lines: p.lines.clone(),
        discount: 0,
        tax: p.tax,
        credit: p.credit.0,
        created_by: actor,
    }
}

/// Customers who may owe for `period`: postpaid, and active or suspended and activated by its
/// end, or ended during it (prepaid customers pay their terms ahead: `super::prepaid`).
async fn candidates(state: &AppState, period: Period) -> AppResult<Vec<customers::Model>> {
    let start = period.start.and_hms_opt(0, 0, 0).map(|t| t.and_local_timezone(JAKARTA));
    let (Some(chrono::LocalResult::Single(start)), Some(end)) =
        (start, (period.end + chrono::Duration::days(1)).and_hms_opt(0, 0, 0))
    else {
        return Ok(Vec::new());
    };
    let end = match end.and_local_timezone(JAKARTA) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        _ => return Ok(Vec::new()),
    };
    let start = start.with_timezone(&Utc);
    let running = Condition::all()
        .add(customers::Column::Status.is_in([CustomerStatus::Active.as_str(), CustomerStatus::Suspended.as_str()]))
        .add(customers::Column::ActivatedAt.lt(end));
    let ended = Condition::all()
        .add(customers::Column::Status.eq(CustomerStatus::Terminated.as_str()))
        .add(customers::Column::ActivatedAt.lt(end))
        .add(customers::Column::TerminatedAt.gt(start));
    Ok(customers::Entity::find()
        .filter(Condition::any().add(running).add(ended))
        .filter(customers::Column::BillingMode.eq(BillingMode::Postpaid.as_str()))
        .order_by_asc(customers::Column::Id)
        .all(&state.db)
        .await
        .map_err(DbError::from)?)
}

pub(super) fn jakarta_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&JAKARTA).date_naive()
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
