//! Suspending and restoring a customer's service: the customer's status (the desired state)
//! changes with a reason, in one transaction with the customer's WhatsApp/e-mail notice and the
//! job that carries it to the device; then the security audit log records who did it.

use super::reconcile::enqueue_apply;
use crate::audit::{Entry, record};
use crate::billing::confirmations::queue_to_customer;
use crate::billing::online::pay_link;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{ServiceState, SuspendReason};
use aglis_core::money::Rupiah;
use aglis_core::prepaid::BillingMode;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::invoices;
use aglis_db::{ConnectionTrait, DbError, TransactionTrait};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Who asked for a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requester {
    /// A staff member (id, username).
    Staff(i64, String),
    /// The overdue policy.
    Policy,
    /// A payment that cleared the debt.
    Payment,
}

impl Requester {
    pub fn label(&self) -> String {
        match self {
            Requester::Staff(_, name) => format!("user:{name}"),
            Requester::Policy => "policy".into(),
            Requester::Payment => "payment".into(),
        }
    }

    fn user_id(&self) -> Option<i64> {
        match self {
            Requester::Staff(id, _) => Some(*id),
            _ => None,
        }
    }
}

/// What a change request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// The customer's status changed; the device follows.
    Yes,
    /// It already was so (the reason may have been updated).
    Already,
}

/// Sets the customer's service to `want`. Suspending needs an active customer, restoring a
/// suspended one; a terminated or prospect customer's service is not theirs to switch.
pub async fn set_service(
    state: &AppState,
    customer_id: i64,
    want: ServiceState,
    why: SuspendReason,
    note: &str,
    by: &Requester,
) -> AppResult<Changed> {
    let now = state.now();
    let note: String = note.trim().chars().take(500).collect();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let c = customers::get(&txn, customer_id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let (from, to) = match want {
        ServiceState::Suspended => (CustomerStatus::Active, CustomerStatus::Suspended),
        ServiceState::Active => (CustomerStatus::Suspended, CustomerStatus::Active),
    };
    if c.status == to {
        if want == ServiceState::Suspended && c.suspend_reason != Some(why) {
            customers::set_suspend_reason(&txn, c.id, why).await?;
            txn.commit().await.map_err(DbError::from)?;
        }
        return Ok(Changed::Already);
    }
    if c.status != from {
        return Err(AppError::Conflict {
            detail: format!("the customer is {}: only an {from} customer's service can be {want}", c.status),
            fields: [("state".to_owned(), vec![format!("the customer is {}", c.status)])].into(),
        });
    }
    let text = if note.is_empty() { why.as_str().to_owned() } else { note.clone() };
    customers::set_status(&txn, c.id, to, &text, by.user_id(), now).await?;
    if want == ServiceState::Suspended {
        customers::set_suspend_reason(&txn, c.id, why).await?;
    }
    notify(state, &txn, &c, want, &text).await?;
    enqueue_apply(&txn, c.id, now, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    let event =
        if want == ServiceState::Suspended { AuditEvent::ServiceSuspended } else { AuditEvent::ServiceRestored };
    let mut entry = Entry::new(event, AuditResult::Success)
        .resource(format!("customer:{}", c.id))
        .details(serde_json::json!({ "code": c.code, "reason": why.as_str(), "note": note, "by": by.label() }));
    if let Requester::Staff(id, name) = by {
        entry = entry.actor(*id, name);
    } else {
        entry = entry.attempted(&by.label());
    }
    record(state, entry).await?;
    Ok(Changed::Yes)
}

/// The customer's notice of the change (their language; WhatsApp and e-mail).
async fn notify(
    state: &AppState,
    conn: &impl ConnectionTrait,
    c: &Customer,
    want: ServiceState,
    reason: &str,
) -> AppResult<()> {
    let mut values: BTreeMap<String, String> =
        [("customerName".to_owned(), c.name.clone()), ("reason".to_owned(), reason.to_owned())].into();
    let event = match want {
        ServiceState::Suspended => {
            let unpaid = invoices::unpaid_of_customer(conn, c.id).await?;
            let owed: i64 = unpaid.iter().map(|i| (i.total - i.paid).max(0)).sum();
            let url = match unpaid.first() {
                Some(inv) => pay_link(state, &inv.number),
                None => format!("{}/portal", state.config.base_url),
            };
            values.insert("amount".into(), Rupiah(owed).to_string());
            values.insert("portalUrl".into(), url);
            "service_suspended"
        }
        ServiceState::Active => "service_restored",
    };
    queue_to_customer(conn, c, event, &values, state.now()).await
}

/// Whether the customer still has an invoice overdue past the grace period (`cutoff`: due
/// before it), or, prepaid, a term begun and not paid: the suspension list's rule.
pub fn overdue_past_grace(
    unpaid_due: impl IntoIterator<Item = NaiveDate>,
    mode: BillingMode,
    today: NaiveDate,
    cutoff: NaiveDate,
) -> bool {
    unpaid_due.into_iter().any(|due| due < cutoff || (mode == BillingMode::Prepaid && due <= today))
}

/// After a payment: a customer suspended for being overdue whose debt past the grace period is
/// now paid is restored. True when it was.
pub async fn restore_if_cleared(state: &AppState, customer_id: i64) -> AppResult<bool> {
    let Some(c) = customers::get(&state.db, customer_id).await? else { return Ok(false) };
    if c.status != CustomerStatus::Suspended || c.suspend_reason != Some(SuspendReason::Overdue) {
        return Ok(false);
    }
    let today = state.now().with_timezone(&JAKARTA).date_naive();
    let cutoff = crate::billing::collections::grace_cutoff(state);
    let unpaid = invoices::unpaid_of_customer(&state.db, c.id).await?;
    if overdue_past_grace(unpaid.iter().map(|i| i.due_on), c.billing_mode, today, cutoff) {
        return Ok(false);
    }
    let note = if unpaid.is_empty() { "tagihan lunas" } else { "tunggakan lewat tenggat lunas" };
    let changed =
        set_service(state, c.id, ServiceState::Active, SuspendReason::Overdue, note, &Requester::Payment).await?;
    Ok(changed == Changed::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).expect("date")
    }

    #[test]
    fn overdue_past_grace_follows_the_suspension_list() {
        let (today, cutoff) = (d(20), d(13));
        assert!(overdue_past_grace([d(12)], BillingMode::Postpaid, today, cutoff));
        assert!(!overdue_past_grace([d(13)], BillingMode::Postpaid, today, cutoff), "within grace");
        assert!(!overdue_past_grace([], BillingMode::Postpaid, today, cutoff));
        assert!(overdue_past_grace([d(20)], BillingMode::Prepaid, today, cutoff), "prepaid: no grace");
        assert!(!overdue_past_grace([d(21)], BillingMode::Prepaid, today, cutoff));
    }
}
