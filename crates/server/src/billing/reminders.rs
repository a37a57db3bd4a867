//! The daily reminder run (08:00 WIB, after the overdue sweep): each unpaid invoice's customer is
//! reminded 7, 3 and 1 days before its due day and on the day it becomes overdue, on WhatsApp and
//! e-mail, in their language, with the invoice's pay link. The rule of which reminder is due is
//! `aglis_core::billing_reminders` (a missed day is caught up once, with the latest reminder
//! only); the table of sent reminders keeps it to one per kind and one per day, whichever
//! instance runs.

use super::confirmations::queue_to_customer;
use super::online::pay_link;
use crate::error::AppResult;
use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::billing_reminders::{ReminderKind, due_reminder};
use aglis_core::money::Rupiah;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::{customers, invoice_reminders, invoices};
use aglis_db::{DbError, TransactionTrait};
use chrono::Days;
use std::collections::{BTreeMap, HashMap};

pub const REMINDER_JOB: &str = "billing.reminders";

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderReport {
    /// Unpaid invoices due within a week either side.
    pub considered: usize,
    pub sent: usize,
}

pub async fn send_reminders(state: &AppState) -> AppResult<ReminderReport> {
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    invoices::mark_overdue(&state.db, today, now).await?;
    let candidates = invoices::unpaid_due_between(&state.db, today - Days::new(8), today + Days::new(7)).await?;
    let ids: Vec<i64> = candidates.iter().map(|i| i.id).collect();
    let sent = invoice_reminders::sent_for(&state.db, &ids).await?;
    let customer_ids: Vec<i64> = candidates.iter().map(|i| i.customer_id).collect();
    let people: HashMap<i64, customers::Customer> =
        customers::by_ids(&state.db, &customer_ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut report = ReminderReport { considered: candidates.len(), sent: 0 };
    for inv in candidates {
        let already = sent.get(&inv.id).map(Vec::as_slice).unwrap_or_default();
        let (Some(kind), Some(customer)) = (due_reminder(inv.due_on, today, already), people.get(&inv.customer_id))
        else {
            continue;
        };
        let event = if kind == ReminderKind::Overdue { "payment_overdue" } else { "payment_reminder" };
        let values: BTreeMap<String, String> = [
            ("customerName", customer.name.clone()),
            ("invoiceNumber", inv.number.clone()),
            ("amount", Rupiah((inv.total - inv.paid).max(0)).to_string()),
            ("dueDate", inv.due_on.format("%d/%m/%Y").to_string()),
            ("portalUrl", pay_link(state, &inv.number)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let txn = state.db.begin().await.map_err(DbError::from)?;
        if !invoice_reminders::record(&txn, inv.id, kind, today, now).await? {
            continue; // sent already today or by another instance: dropped with the transaction
        }
        queue_to_customer(&txn, customer, event, &values, now).await?;
        txn.commit().await.map_err(DbError::from)?;
        report.sent += 1;
    }
    Ok(report)
}

pub async fn reminders_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let report = send_reminders(&state).await?;
    tracing::info!(?report, "payment reminders");
    Ok(())
}
