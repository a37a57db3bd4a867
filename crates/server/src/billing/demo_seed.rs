//! A year of billing for the demo customers: their service began between two and fourteen months
//! ago (a few this week), every month since was billed by the real monthly run, and most invoices were paid by bank
//! transfer, cash, QRIS, Midtrans or Xendit around their due day. Some are left open this month,
//! a few customers are behind (overdue, part paid), and the suspended ones owe two months.

use super::run;
use crate::state::AppState;
use aglis_core::billing::BillingSettings;
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::payment::PaymentMethod;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::TransactionTrait;
use aglis_db::entity::{customers, invoices};
use aglis_db::repo::invoices as invoice_repo;
use aglis_db::repo::payments::{self, NewPayment};
use chrono::{Duration, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Months of history.
const MONTHS: u32 = 12;

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    let billed: Vec<customers::Model> = customers::Entity::find()
        .filter(customers::Column::ActivatedAt.is_not_null())
        .order_by_asc(customers::Column::Id)
        .all(&state.db)
        .await?;
    // Service began 2 to 14 months ago, on varied days; a few customers joined this week (their
    // first invoice, with the installation fee, is open whatever day the demo starts).
    for c in &billed {
        let began = if c.id % 13 == 0 {
            now - Duration::days(1 + c.id % 4)
        } else {
            now - Duration::days((2 + c.id % 13) * 30 + c.id % 23)
        };
        customers::Entity::update_many()
            .col_expr(customers::Column::ActivatedAt, Expr::value(began))
            .col_expr(customers::Column::RegisteredAt, Expr::value(began - Duration::days(9)))
            .filter(customers::Column::Id.eq(c.id))
            .exec(&state.db)
            .await?;
    }
    let mut period = Period::containing(today);
    for _ in 0..MONTHS {
        period = Period::containing(period.start - Duration::days(1));
    }
    let this_month = Period::containing(today);
    while period <= this_month {
        // Each month as its run on the billing day (07:00 WIB) would have written it.
        let ran = BillingSettings::default()
            .issue_day(period)
            .and_hms_opt(7, 0, 0)
            .and_then(|t| JAKARTA.from_local_datetime(&t).single())
            .map_or(now, |t| t.with_timezone(&Utc).min(now));
        run::run_at(state, period, false, None, ran, &|_, _| {}).await?;
        pay_month(state, period, this_month, &billed).await?;
        period = period.next();
    }
    invoice_repo::mark_overdue(&state.db, today, now).await?;
    Ok(())
}

/// Pays `period`'s invoices as real customers would.
async fn pay_month(
    state: &AppState,
    period: Period,
    this_month: Period,
    customers: &[customers::Model],
) -> anyhow::Result<()> {
    let list = invoices::Entity::find()
        .filter(invoices::Column::Period.eq(period.to_string()))
        .order_by_asc(invoices::Column::Id)
        .all(&state.db)
        .await?;
    let by_id: HashMap<i64, &customers::Model> = customers.iter().map(|c| (c.id, c)).collect();
    let txn = state.db.begin().await?;
    for inv in list {
        let Some(c) = by_id.get(&inv.customer_id) else { continue };
        let months_back = (this_month.start - period.start).num_days() / 28;
        let behind = c.id % 9 == 4; // a few customers pay late or in part
        let skip = match c.status {
            CustomerStatus::Suspended => months_back < 2, // "Tunggakan 2 bulan"
            _ if period == this_month => c.id % 2 == 0,   // half have paid this month so far
            _ => behind && months_back < 2,
        };
        if skip || inv.status != InvoiceStatus::Open {
            continue;
        }
        let method = [
            PaymentMethod::BankTransfer,
            PaymentMethod::BankTransfer,
            PaymentMethod::Qris,
            PaymentMethod::Cash,
            PaymentMethod::Midtrans,
            PaymentMethod::Xendit,
        ][usize::try_from(inv.id % 6).unwrap_or(0)];
        // Paid within a few days of the due day; a late payer a week after.
        let day = inv.due_on - Duration::days(inv.id % 6) + Duration::days(if behind { 7 } else { 0 });
        let at = JAKARTA
            .from_local_datetime(
                &day.and_hms_opt(9 + u32::try_from(inv.id % 9).unwrap_or(0), 17, 0).unwrap_or_default(),
            )
            .single()
            .map_or(state.now(), |t| t.with_timezone(&Utc))
            .min(state.now());
        let amount = if behind && c.id % 2 == 0 { inv.total / 2 } else { inv.total };
        let gateway = match method {
            PaymentMethod::Midtrans => Some(("midtrans".to_owned(), format!("demo-mt-{}", inv.number))),
            PaymentMethod::Xendit => Some(("xendit".to_owned(), format!("demo-xnd-{}", inv.number))),
            _ => None,
        };
        let p = NewPayment {
            customer_id: c.id,
            invoice_id: Some(inv.id),
            method,
            amount,
            gateway,
            entered_by: None,
            received_at: at,
            note: String::new(),
        };
        let p = payments::insert(&txn, p, at).await?;
        payments::complete(&txn, p.id, None, at.with_timezone(&JAKARTA).date_naive(), at).await?;
    }
    txn.commit().await?;
    Ok(())
}
