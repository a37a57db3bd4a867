//! Messages to customers about their money: the payment confirmation, queued in the transaction
//! that records the payment (so neither exists without the other), on WhatsApp and, when the
//! customer has an address, e-mail, in the customer's language.

use crate::error::AppResult;
use crate::notifications::service::queue_event_on;
use aglis_core::job::JobPriority;
use aglis_core::money::Rupiah;
use aglis_core::notification::Channel;
use aglis_core::notification_catalog::Language;
use aglis_db::repo::customers::Customer;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

/// Queues `event` with `values` to the customer on every channel they can be reached on.
pub async fn queue_to_customer(
    conn: &impl ConnectionTrait,
    customer: &Customer,
    event: &str,
    values: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let language: Language = customer.language;
    if !customer.phone.is_empty() {
        queue_event_on(conn, Channel::Whatsapp, event, language, &customer.phone, values, JobPriority::Normal, now)
            .await?;
    }
    if let Some(email) = customer.email.as_deref().filter(|e| !e.is_empty()) {
        queue_event_on(conn, Channel::Email, event, language, email, values, JobPriority::Low, now).await?;
    }
    Ok(())
}

/// The `payment_confirmation` message for `amount` received for invoice `number` via `method`.
pub async fn payment_received(
    conn: &impl ConnectionTrait,
    customer: &Customer,
    number: &str,
    amount: i64,
    method: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let values: BTreeMap<String, String> = [
        ("customerName", customer.name.clone()),
        ("invoiceNumber", number.to_owned()),
        ("amount", Rupiah(amount).to_string()),
        ("paymentMethod", method.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    queue_to_customer(conn, customer, "payment_confirmation", &values, now).await
}
