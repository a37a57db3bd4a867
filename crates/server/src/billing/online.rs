//! Online payments: opening a gateway checkout for an invoice, and applying what a gateway reports
//! about it (a callback or a status poll) exactly once. The checkout's state only moves forward
//! (guarded update), and a payment is keyed by the gateway's transaction id (unique), so a
//! duplicate, a late `pending` after `settlement`, or a poll racing a callback change nothing.

use crate::error::{AppError, AppResult};
use crate::i18n::msg;
use crate::state::AppState;
use aglis_core::invoice::{self, InvoiceStatus};
use aglis_core::payment::PaymentMethod;
use aglis_core::payment_gateway::GatewayState;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::payment_checkouts::{self, Checkout, NewCheckout};
use aglis_db::repo::payments::{self, NewPayment};
use aglis_db::repo::{customers, invoices};
use aglis_db::{DbError, TransactionTrait};
use aglis_integrations::payments::{CheckoutRequest, Gateway, GatewayError, PayChannel, TransactionReport};
use std::time::Duration;

/// How long a gateway call may take.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(15);
/// A pending checkout younger than this is shown again instead of opening another.
const REUSE_WITHIN: chrono::TimeDelta = chrono::TimeDelta::hours(12);

/// What applying a report did (the gateway log's outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Money received: payment `payment_id` is in the ledger and on the invoice.
    Paid { payment_id: i64 },
    /// The checkout moved to another state (pending, failed, refunded).
    Moved(GatewayState),
    /// Nothing new: a duplicate, a state that would move backwards, or one we do not act on.
    Ignored,
    /// No invoice of ours has this order id.
    Unmatched,
    /// The report cannot be applied (e.g. paid without an amount).
    Invalid(String),
}

impl Applied {
    pub fn outcome(&self) -> &'static str {
        match self {
            Applied::Paid { .. } | Applied::Moved(_) => "applied",
            Applied::Ignored => "ignored",
            Applied::Unmatched => "unmatched",
            Applied::Invalid(_) => "invalid",
        }
    }
}

fn method_of(gateway: &str) -> PaymentMethod {
    if gateway == "xendit" { PaymentMethod::Xendit } else { PaymentMethod::Midtrans }
}

/// Applies what `gateway` reports about one of its transactions, in one transaction. Returns
/// what happened and the checkout it concerned.
pub async fn apply(state: &AppState, gateway: &str, report: &TransactionReport) -> AppResult<(Applied, Option<i64>)> {
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let checkout = match payment_checkouts::by_order(&txn, gateway, &report.order_id).await? {
        Some(c) => c,
        None => {
            // Opened outside our pay page (the gateway's dashboard, an old link): still ours when
            // the order id names one of our invoices.
            let invoice = match invoice::parse_order_id(&report.order_id) {
                Some((number, _)) => invoices::by_number(&txn, &number).await?,
                None => None,
            };
            let Some(inv) = invoice else { return Ok((Applied::Unmatched, None)) };
            let new = NewCheckout {
                invoice_id: inv.id,
                customer_id: inv.customer_id,
                gateway: gateway.to_owned(),
                order_id: report.order_id.clone(),
                amount: report.amount.map_or(inv.total - inv.paid, |a| a.0),
                gateway_ref: report.transaction_id.chars().take(100).collect(),
                pay_url: String::new(),
            };
            payment_checkouts::ensure(&txn, new, now).await?
        }
    };
    let Some(to) = report.state else {
        txn.commit().await.map_err(DbError::from)?;
        return Ok((Applied::Ignored, Some(checkout.id)));
    };
    let Some(locked) = payment_checkouts::lock(&txn, checkout.id).await? else {
        return Ok((Applied::Ignored, Some(checkout.id)));
    };
    if !locked.state.may_become(to)
        || !payment_checkouts::advance(&txn, locked.id, locked.state, to, &report.transaction_id, &report.method, now)
            .await?
    {
        txn.commit().await.map_err(DbError::from)?;
        return Ok((Applied::Ignored, Some(checkout.id)));
    }
    let applied = match to {
        GatewayState::Paid => {
            let Some(amount) = report.amount.filter(|a| a.0 > 0) else {
                // Rolled back: the checkout stays pending for a readable report.
                return Ok((Applied::Invalid("paid without a whole-rupiah amount".into()), Some(checkout.id)));
            };
            let new = NewPayment {
                customer_id: locked.customer_id,
                invoice_id: Some(locked.invoice_id),
                method: method_of(gateway),
                amount: amount.0,
                gateway: Some((gateway.to_owned(), report.transaction_id.clone())),
                entered_by: None,
                received_at: now,
                note: report.method.clone(),
            };
            let payment = match payments::insert(&txn, new, now).await {
                Ok(p) => p,
                // The same gateway transaction under another order id: paid once already.
                Err(e) if e.is_unique_on("gateway_ref") => return Ok((Applied::Ignored, Some(checkout.id))),
                Err(e) => return Err(e.into()),
            };
            payments::complete(&txn, payment.id, None, today, now).await?;
            payment_checkouts::set_payment(&txn, locked.id, payment.id).await?;
            let inv = invoices::get(&txn, locked.invoice_id).await?;
            let customer = customers::get(&txn, locked.customer_id).await?;
            if let (Some(inv), Some(customer)) = (inv, customer) {
                let method = if report.method.is_empty() { gateway } else { report.method.as_str() };
                super::confirmations::payment_received(&txn, &customer, &inv.number, amount.0, method, now).await?;
            }
            // A suspended customer whose debt this clears is let back on the network.
            crate::enforcement::policy::after_payment(&txn, locked.customer_id, now).await?;
            Applied::Paid { payment_id: payment.id }
        }
        GatewayState::Refunded => {
            if let Some(payment_id) = locked.payment_id {
                payments::refund(&txn, payment_id, None, today, now).await?;
            }
            Applied::Moved(to)
        }
        other => Applied::Moved(other),
    };
    txn.commit().await.map_err(DbError::from)?;
    Ok((applied, Some(checkout.id)))
}

/// The configured gateways, the preferred first.
pub fn gateways(state: &AppState) -> AppResult<Vec<Gateway>> {
    state
        .config
        .payments
        .gateways(GATEWAY_TIMEOUT)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("building the payment gateway client: {e}")))
}

/// The gateway called `name`, if configured.
pub fn gateway_named(state: &AppState, name: &str) -> AppResult<Option<Gateway>> {
    Ok(gateways(state)?.into_iter().find(|g| g.name() == name))
}

/// The address a customer pays invoice `number` at, without signing in.
pub fn pay_link(state: &AppState, number: &str) -> String {
    let key = crate::auth::token::pay_link_key(state.config.secret_bytes(), number);
    format!("{}/pay/{number}?k={key}", state.config.base_url)
}

/// Opens (or shows again) a checkout for what invoice `invoice_id` still owes, on the preferred
/// gateway, offering `channels`.
pub async fn open_checkout(state: &AppState, invoice_id: i64, channels: Vec<PayChannel>) -> AppResult<Checkout> {
    let inv =
        invoices::get(&state.db, invoice_id).await?.ok_or_else(|| AppError::NotFound("no such invoice".into()))?;
    let owed = inv.total - inv.paid;
    if owed <= 0 || matches!(inv.status, InvoiceStatus::Paid | InvoiceStatus::Cancelled | InvoiceStatus::Draft) {
        return Err(AppError::conflict(msg("pay.nothing_owed", &[("number", &inv.number)])));
    }
    let Some(gateway) = gateways(state)?.into_iter().next() else {
        return Err(AppError::conflict(msg("pay.not_set_up", &[])));
    };
    let now = state.now();
    let earlier = payment_checkouts::of_invoice(&state.db, inv.id).await?;
    if let Some(open) = earlier.iter().find(|c| {
        c.gateway == gateway.name()
            && c.state == GatewayState::Pending
            && c.amount == owed
            && !c.pay_url.is_empty()
            && now - c.created_at < REUSE_WITHIN
    }) {
        return Ok(open.clone());
    }
    let customer = customers::get(&state.db, inv.customer_id)
        .await?
        .ok_or_else(|| AppError::NotFound("the invoice's customer is gone".into()))?;
    let attempt = u32::try_from(earlier.len()).unwrap_or(u32::MAX - 1) + 1;
    let order_id = invoice::order_id(&inv.number, attempt);
    let request = CheckoutRequest {
        order_id: order_id.clone(),
        amount: owed,
        description: format!("Tagihan {}", inv.number),
        customer_name: customer.name.clone(),
        email: customer.email.clone().filter(|e| !e.is_empty()),
        phone: Some(customer.phone.clone()).filter(|p| !p.is_empty()),
        channels,
        expires_in_minutes: 24 * 60,
        finish_url: format!("{}&done=1", pay_link(state, &inv.number)),
    };
    let opened = gateway.create_checkout(&request).await.map_err(|e| match e {
        GatewayError::Refused { detail, .. } => {
            tracing::error!(gateway = gateway.name(), %detail, "the payment gateway refused a checkout");
            AppError::Unavailable(msg("pay.gateway_refused", &[]))
        }
        GatewayError::Unauthorized { .. } => {
            tracing::error!(gateway = gateway.name(), "the payment gateway rejected our keys");
            AppError::Unavailable(msg("pay.gateway_refused", &[]))
        }
        GatewayError::Unavailable { detail, .. } => {
            tracing::warn!(gateway = gateway.name(), %detail, "payment gateway unavailable");
            AppError::Unavailable(msg("pay.gateway_down", &[]))
        }
    })?;
    let new = NewCheckout {
        invoice_id: inv.id,
        customer_id: inv.customer_id,
        gateway: gateway.name().to_owned(),
        order_id,
        amount: owed,
        gateway_ref: opened.gateway_ref,
        pay_url: opened.pay_url,
    };
    match payment_checkouts::create(&state.db, new, now).await {
        Ok(c) => Ok(c),
        Err(e) if e.is_unique_on("order_id") => Err(AppError::conflict(msg("pay.opened_twice", &[]))),
        Err(e) => Err(e.into()),
    }
}
