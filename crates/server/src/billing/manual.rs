//! Money received by hand (cash at the office, a bank transfer, a QRIS scan to the ISP's own
//! merchant code), in two steps: customer service records it, finance verifies it against the
//! bank or the cash box. Only a verified payment is in the ledger and on the invoices; both
//! steps are in the audit log. The one who recorded a payment does not verify it (admins may,
//! for one-person offices).

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use crate::state::AppState;
use crate::validation::push;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::money::Rupiah;
use aglis_core::payment::{PaymentMethod, PaymentStatus};
use aglis_core::permission::Role;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::payments::{self, Applied, NewPayment, Payment};
use aglis_db::repo::{customers, invoices};
use aglis_db::{DbError, TransactionTrait};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use utoipa::ToSchema;

/// The largest single payment accepted (a year of the dearest package is far below).
const MAX_AMOUNT: i64 = 1_000_000_000;

/// A payment to record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualPaymentIn {
    /// The payer; may be left out when `invoice_id` is given.
    #[schema(minimum = 1)]
    pub customer_id: Option<i64>,
    /// The invoice the payer named; paid first.
    #[schema(minimum = 1)]
    pub invoice_id: Option<i64>,
    /// `cash`, `bank_transfer` or `qris`.
    #[schema(example = "bank_transfer")]
    pub method: String,
    /// Whole rupiah.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub amount: i64,
    /// The day the money arrived (WIB); today when left out.
    pub received_on: Option<NaiveDate>,
    /// E.g. the bank reference or who paid at the counter.
    #[schema(max_length = 300)]
    pub note: Option<String>,
}

/// Checks and records a payment, pending verification.
pub async fn enter(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    p: ManualPaymentIn,
) -> AppResult<Payment> {
    let mut errors = FieldErrors::new();
    let method = match p.method.parse::<PaymentMethod>() {
        Ok(m) if !m.is_online() => Some(m),
        _ => {
            push(&mut errors, "method", msg("val.payment.method", &[]));
            None
        }
    };
    if !(1..=MAX_AMOUNT).contains(&p.amount) {
        push(&mut errors, "amount", msg("val.payment.amount", &[("max", &Rupiah(MAX_AMOUNT))]));
    }
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    let received_on = p.received_on.unwrap_or(today);
    if received_on > today || (today - received_on).num_days() > 366 {
        push(&mut errors, "received_on", msg("val.payment.received_on", &[]));
    }
    let note = p.note.unwrap_or_default().trim().to_owned();
    if note.chars().count() > 300 {
        push(&mut errors, "note", msg("val.payment.note", &[]));
    }
    let invoice = match p.invoice_id {
        Some(id) => match invoices::get(&state.db, id).await? {
            Some(inv) => Some(inv),
            None => {
                push(&mut errors, "invoice_id", msg("val.payment.no_invoice", &[]));
                None
            }
        },
        None => None,
    };
    let customer_id = match (p.customer_id, &invoice) {
        (Some(c), Some(inv)) if inv.customer_id != c => {
            push(&mut errors, "invoice_id", msg("val.payment.other_customer", &[]));
            None
        }
        (Some(c), _) => Some(c),
        (None, Some(inv)) => Some(inv.customer_id),
        (None, None) if p.invoice_id.is_none() => {
            push(&mut errors, "customer_id", msg("val.payment.customer", &[]));
            None
        }
        (None, None) => None,
    };
    if let Some(c) = customer_id
        && customers::get(&state.db, c).await?.is_none()
    {
        push(&mut errors, "customer_id", msg("val.payment.no_customer", &[]));
    }
    let (Some(method), Some(customer_id), true) = (method, customer_id, errors.is_empty()) else {
        return Err(AppError::fields(errors));
    };
    // Noon WIB of the day received: a day, not a moment, was given.
    let received_at = JAKARTA
        .from_local_datetime(&received_on.and_hms_opt(12, 0, 0).unwrap_or_default())
        .single()
        .map_or(now, |t| t.with_timezone(&chrono::Utc));
    let new = NewPayment {
        customer_id,
        invoice_id: invoice.as_ref().map(|i| i.id),
        method,
        amount: p.amount,
        gateway: None,
        entered_by: Some(auth.user.id),
        received_at,
        note,
    };
    let payment = payments::insert(&state.db, new, now).await?;
    let details = serde_json::json!({
        "customer_id": customer_id, "invoice": invoice.map(|i| i.number), "method": method, "amount": p.amount,
    });
    let entry = Entry::new(AuditEvent::PaymentEntered, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("payment:{}", payment.id))
        .details(details);
    audit::record(state, entry).await?;
    Ok(payment)
}

async fn pending(state: &AppState, id: i64) -> AppResult<Payment> {
    let p = payments::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("payment"))?;
    if p.status != PaymentStatus::Pending {
        return Err(AppError::conflict(msg("payment.not_pending", &[("status", &p.status)])));
    }
    Ok(p)
}

/// Finance confirms the money arrived: the payment goes into the ledger and onto the invoices,
/// and the customer is thanked.
pub async fn verify(state: &AppState, auth: &Authenticated, meta: &RequestMeta, id: i64) -> AppResult<Applied> {
    let p = pending(state, id).await?;
    if p.entered_by == Some(auth.user.id) && auth.user.role != Role::Admin {
        return Err(AppError::conflict(msg("payment.four_eyes", &[])));
    }
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let Some(applied) = payments::complete(&txn, id, Some(auth.user.id), today, now).await? else {
        return Err(AppError::conflict(msg("payment.not_pending", &[("status", &"—")])));
    };
    if let Some(customer) = customers::get(&txn, p.customer_id).await? {
        let number = match applied.invoices.first() {
            Some((invoice_id, _)) => invoices::get(&txn, *invoice_id).await?.map(|i| i.number),
            None => None,
        };
        let label = match p.method {
            PaymentMethod::Cash => "tunai / cash",
            PaymentMethod::BankTransfer => "transfer bank",
            PaymentMethod::Qris => "QRIS",
            other => other.as_str(),
        };
        let number = number.unwrap_or_else(|| "-".to_owned());
        super::confirmations::payment_received(&txn, &customer, &number, p.amount, label, now).await?;
    }
    // A suspended customer whose debt this clears is let back on the network.
    crate::enforcement::policy::after_payment(&txn, p.customer_id, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    let details = serde_json::json!({
        "amount": p.amount, "invoices": applied.invoices, "credit": applied.credit,
        "self_verified": p.entered_by == Some(auth.user.id),
    });
    let entry = Entry::new(AuditEvent::PaymentVerified, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("payment:{id}"))
        .details(details);
    audit::record(state, entry).await?;
    Ok(applied)
}

/// Finance found no such money: the payment is refused and counts for nothing.
pub async fn reject(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    id: i64,
    reason: &str,
) -> AppResult<()> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(AppError::field("reason", msg("val.payment.reason", &[])));
    }
    pending(state, id).await?;
    if !payments::reject(&state.db, id, auth.user.id, state.now()).await? {
        return Err(AppError::conflict(msg("payment.not_pending", &[("status", &"—")])));
    }
    let entry = Entry::new(AuditEvent::PaymentRejected, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("payment:{id}"))
        .details(serde_json::json!({ "reason": reason }));
    audit::record(state, entry).await?;
    Ok(())
}
