//! A year of billing for the demo customers: their service began between two and fourteen months
//! ago (a few this week), every month since was billed by the real monthly run, and most invoices were paid by bank
//! transfer, cash, QRIS, Midtrans or Xendit around their due day. Some are left open this month,
//! a few customers are behind (overdue, part paid), and the suspended ones owe two months.
//! The last two months' online payments arrived as gateway callbacks (stored raw, applied once: the
//! gateway log shows them, with a duplicate and one for an order that is not ours), and a few
//! payments customer service recorded this week wait for finance to verify them.

use super::run;
use crate::state::AppState;
use aglis_core::billing::BillingSettings;
use aglis_core::billing_run::RunTrigger;
use aglis_core::customer::CustomerStatus;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::payment::PaymentMethod;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::TransactionTrait;
use aglis_db::entity::{customers, invoices};
use aglis_db::repo::billing_runs;
use aglis_db::repo::customers as customers_repo;
use aglis_db::repo::invoices as invoice_repo;
use aglis_db::repo::payment_checkouts::{self, NewCheckout};
use aglis_db::repo::payments::{self, NewPayment};
use aglis_db::repo::webhook_events;
use chrono::{Duration, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The demo ISP's logo: a fibre strand in a rounded square and the name.
const DEMO_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48"><rect width="48" height="48" rx="10" fill="#0b5cad"/><path d="M8 32 C18 8, 30 40, 40 16" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round"/><circle cx="40" cy="16" r="4" fill="#ffd54a"/><text x="58" y="31" font-family="DejaVu Sans" font-size="20" font-weight="bold" fill="#0b5cad">AGLIS Net</text></svg>"##;

/// Months of history.
const MONTHS: u32 = 12;

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let profile = super::profile::BillingProfile {
        company_name: "PT AGLIS Net Karawang".into(),
        address: "Jl. Tuparev No. 88, Nagasari, Karawang Barat, Karawang 41312".into(),
        npwp: "01.234.567.8-408.000".into(),
        phone: "0267-8401234".into(),
        email: "tagihan@aglisnet.co.id".into(),
        payment_instructions: "Transfer BCA 8090 123 456 a.n. PT AGLIS Net Karawang\n\
            Transfer Mandiri 131 00 1234567 8 a.n. PT AGLIS Net Karawang\n\
            Tunai di kantor Karawang, Senin–Sabtu 08.00–16.00 WIB"
            .into(),
        ..super::profile::BillingProfile::default()
    };
    super::profile::save(&state.db, &profile, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let logo = aglis_pdf::Logo::Svg(DEMO_LOGO.to_owned());
    super::profile::save_logo(&state.db, Some(&logo), now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = now.with_timezone(&JAKARTA).date_naive();
    let billed: Vec<customers::Model> = customers::Entity::find()
        .filter(customers::Column::ActivatedAt.is_not_null())
        .order_by_asc(customers::Column::Id)
        .all(&state.db)
        .await?;
    // Service began five weeks to 13 months ago, on varied days, some every month (the
    // manager's trends count them); a few customers joined this week (their first invoice, with
    // the installation fee, is open whatever day the demo starts).
    for c in &billed {
        let began = if c.id % 13 == 0 {
            now - Duration::days(1 + c.id % 4)
        } else {
            now - Duration::days((c.id % 13) * 30 + 5 + c.id % 23)
        };
        customers::Entity::update_many()
            .col_expr(customers::Column::ActivatedAt, Expr::value(began))
            .col_expr(customers::Column::RegisteredAt, Expr::value(began - Duration::days(9)))
            .filter(customers::Column::Id.eq(c.id))
            .exec(&state.db)
            .await?;
    }
    dated_pauses(state, &billed, today).await?;
    // Three customers pay their terms ahead (after those paused, before those who upgrade).
    let chosen: Vec<customers::Model> = running(&billed).skip(4).take(3).cloned().collect();
    let prepaid = super::demo_prepaid::make_prepaid(state, &chosen, today).await?;
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
        // Recorded as the daily schedule records a run, so that the runs page has its history.
        let recorded = billing_runs::queue(&state.db, &period.to_string(), RunTrigger::Schedule, None, ran).await?;
        billing_runs::start(&state.db, recorded.id, ran).await?;
        let report = run::run_at(state, period, false, None, ran, Some(recorded.id)).await?;
        billing_runs::finish(&state.db, recorded.id, super::runs::outcome(&report), ran + Duration::seconds(2)).await?;
        pay_month(state, period, this_month, &billed).await?;
        if period.next() == this_month {
            package_upgrades(state, &billed, period).await?;
        }
        period = period.next();
    }
    super::demo_prepaid::renew(state, &prepaid).await?;
    invoice_repo::mark_overdue(&state.db, today, now).await?;
    stray_callbacks(state).await?;
    waiting_for_finance(state, &billed).await?;
    Ok(())
}

/// Active customers who joined before this week.
fn running(billed: &[customers::Model]) -> impl Iterator<Item = &customers::Model> {
    billed.iter().filter(|c| c.status == CustomerStatus::Active && c.id % 13 != 0)
}

/// Two running customers moved to a faster package on the 16th of `month`, after its invoice:
/// this month's invoice bills the new package and puts the second half of `month` right.
async fn package_upgrades(state: &AppState, billed: &[customers::Model], month: Period) -> anyhow::Result<()> {
    use aglis_db::entity::packages;
    let mut on_sale = packages::Entity::find().filter(packages::Column::IsActive.eq(true)).all(&state.db).await?;
    on_sale.sort_by_key(|p| p.monthly_price);
    let movers = running(billed).skip(3).step_by(7);
    let when = (month.start + Duration::days(15))
        .and_hms_opt(10, 0, 0)
        .and_then(|t| JAKARTA.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc));
    let Some(when) = when else { return Ok(()) };
    // The next package up from the one they have.
    let moves: Vec<_> = movers
        .filter_map(|c| {
            let current = on_sale.iter().find(|p| p.id == c.package_id)?;
            Some((c, on_sale.iter().find(|p| p.monthly_price > current.monthly_price)?))
        })
        .take(2)
        .collect();
    for (c, faster) in moves {
        let profile = customers_repo::Profile { package_id: faster.id, ..customers_repo::Profile::from(c) };
        customers_repo::update_profile(&state.db, c.id, profile, &format!("Paket: {}", faster.name), None, when)
            .await?;
    }
    Ok(())
}

/// Dated pauses of three running customers: one two months ago (its invoice is smaller), one
/// under way, one next month.
async fn dated_pauses(state: &AppState, billed: &[customers::Model], today: chrono::NaiveDate) -> anyhow::Result<()> {
    use aglis_core::proration::Span;
    let running: Vec<&customers::Model> = running(billed).take(3).collect();
    let spans = [(-60, 12, "Mudik ke Purworejo"), (-3, 10, "Renovasi rumah, modem dicabut"), (20, 7, "Umroh")];
    for (c, (start, days, note)) in running.into_iter().zip(spans) {
        let first = today + Duration::days(start);
        let span = Span::between(first, first + Duration::days(days));
        let entered = state.now() + Duration::days(start.min(0) - 2);
        super::pauses::record(&state.db, c.id, span, note, None, entered).await?;
    }
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
    let recent = period >= this_month.previous();
    let mut online = Vec::new();
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
        if recent && method.is_online() {
            online.push((method, inv, amount));
            continue;
        }
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
    for (method, inv, amount) in online {
        via_gateway(state, method, &inv, amount).await?;
    }
    Ok(())
}

/// The callback a gateway sends when `inv` is paid (`amount`), signed with the demo's keys.
fn callback(method: PaymentMethod, inv: &invoices::Model, amount: i64, transaction_id: &str) -> serde_json::Value {
    if method == PaymentMethod::Xendit {
        return serde_json::json!({
            "id": transaction_id, "external_id": inv.number, "user_id": "5f0c1e2d3a4b5c6d7e8f9a0b",
            "is_high": false, "status": "PAID", "merchant_name": "AGLIS Net Karawang", "amount": amount,
            "paid_amount": amount, "payer_email": "", "description": format!("Tagihan {}", inv.number),
            "currency": "IDR", "payment_method": "BANK_TRANSFER", "payment_channel": "BCA",
            "payment_destination": "3808999912345678", "payment_id": format!("pay-{transaction_id}")
        });
    }
    let gross = format!("{amount}.00");
    serde_json::json!({
        "transaction_time": "2026-01-01 09:00:00", "transaction_status": "settlement",
        "transaction_id": transaction_id, "status_message": "midtrans payment notification", "status_code": "200",
        "signature_key": aglis_core::payment_gateway::midtrans_signature(
            &inv.number, "200", &gross, super::demo_gateways::MIDTRANS_KEY),
        "payment_type": "qris", "acquirer": "gopay", "order_id": inv.number, "merchant_id": "G141532850",
        "gross_amount": gross, "fraud_status": "accept", "currency": "IDR"
    })
}

/// Pays `inv` the way an online payment really arrives: a checkout, the gateway's callback stored
/// as received, then applied (as the queue's job does). Every fifth callback came twice.
async fn via_gateway(
    state: &AppState,
    method: PaymentMethod,
    inv: &invoices::Model,
    amount: i64,
) -> anyhow::Result<()> {
    let gateway = if method == PaymentMethod::Xendit { "xendit" } else { "midtrans" };
    let transaction_id = format!("{:08x}-7d1c-4e5a-9b3f-{:012x}", inv.id * 2_654_435_761 % 0xffff_ffff, inv.id);
    let new = NewCheckout {
        invoice_id: inv.id,
        customer_id: inv.customer_id,
        gateway: gateway.to_owned(),
        order_id: inv.number.clone(),
        amount,
        gateway_ref: format!("demo-{gateway}-{}", inv.id),
        pay_url: String::new(),
    };
    payment_checkouts::create(&state.db, new, state.now()).await?;
    let body = callback(method, inv, amount, &transaction_id);
    for _ in 0..if inv.id % 5 == 0 { 2 } else { 1 } {
        apply_stored(state, gateway, &body).await?;
    }
    Ok(())
}

async fn apply_stored(state: &AppState, gateway: &str, body: &serde_json::Value) -> anyhow::Result<()> {
    let event = webhook_events::store(&state.db, gateway, &body.to_string(), state.now()).await?;
    let report = match gateway {
        "xendit" => aglis_integrations::payments::xendit::read_callback(body),
        _ => aglis_integrations::payments::midtrans::read_notification(body),
    }
    .map_err(|e| anyhow::anyhow!("demo callback: {e}"))?;
    let (applied, checkout) =
        super::online::apply(state, gateway, &report).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    webhook_events::finish_checkout(&state.db, event, applied.outcome(), checkout, state.now()).await?;
    Ok(())
}

/// A callback for an order another system made (the same Midtrans account): stored, not ours.
async fn stray_callbacks(state: &AppState) -> anyhow::Result<()> {
    let gross = "75000.00";
    let body = serde_json::json!({
        "transaction_time": "2026-01-01 10:00:00", "transaction_status": "settlement",
        "transaction_id": "0b6c3f2e-1a2b-4c5d-8e9f-0a1b2c3d4e5f", "status_code": "200",
        "signature_key": aglis_core::payment_gateway::midtrans_signature(
            "TOKO-ONLINE-88123", "200", gross, super::demo_gateways::MIDTRANS_KEY),
        "payment_type": "gopay", "order_id": "TOKO-ONLINE-88123", "gross_amount": gross, "currency": "IDR"
    });
    apply_stored(state, "midtrans", &body).await
}

/// Three payments customer service recorded this week, waiting for finance (manager) to verify.
async fn waiting_for_finance(state: &AppState, customers: &[customers::Model]) -> anyhow::Result<()> {
    let cs = aglis_db::repo::users::find_credentials(&state.db, "cs").await?.map(|(u, _)| u.id);
    let open = invoices::Entity::find()
        .filter(invoices::Column::Status.is_in([InvoiceStatus::Open.as_str(), InvoiceStatus::Overdue.as_str()]))
        .order_by_desc(invoices::Column::Id)
        .all(&state.db)
        .await?;
    let known: std::collections::HashSet<i64> = customers.iter().map(|c| c.id).collect();
    let notes = ["Transfer BCA a.n. pelanggan, ref 88012", "Bayar tunai di kantor Karawang", "QRIS kantor, ref 3920"];
    let methods = [PaymentMethod::BankTransfer, PaymentMethod::Cash, PaymentMethod::Qris];
    for (i, inv) in open.iter().filter(|i| known.contains(&i.customer_id)).step_by(7).take(3).enumerate() {
        let at = state.now() - Duration::hours(5 + 20 * i64::try_from(i).unwrap_or(0));
        let p = NewPayment {
            customer_id: inv.customer_id,
            invoice_id: Some(inv.id),
            method: methods[i],
            amount: inv.total - inv.paid,
            gateway: None,
            entered_by: cs,
            received_at: at,
            note: notes[i].to_owned(),
        };
        payments::insert(&state.db, p, at).await?;
    }
    Ok(())
}
