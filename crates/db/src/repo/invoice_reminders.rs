//! Reminders sent for invoices: at most one of each kind per invoice and one per invoice and day,
//! whichever instance sends (both unique in the table).

use crate::DbError;
use crate::entity::invoice_reminders::{self, Column, Entity};
use aglis_core::billing_reminders::ReminderKind;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use std::collections::HashMap;

/// The kinds already sent for each of `invoice_ids`.
pub async fn sent_for(
    conn: &impl ConnectionTrait,
    invoice_ids: &[i64],
) -> Result<HashMap<i64, Vec<ReminderKind>>, DbError> {
    let mut out: HashMap<i64, Vec<ReminderKind>> = HashMap::new();
    for chunk in invoice_ids.chunks(500) {
        let rows = Entity::find().filter(Column::InvoiceId.is_in(chunk.iter().copied())).all(conn).await?;
        for r in rows {
            if let Ok(kind) = r.kind.parse() {
                out.entry(r.invoice_id).or_default().push(kind);
            }
        }
    }
    Ok(out)
}

/// Notes reminder `kind` for `invoice_id` as sent on `day`; `false` when it (or another reminder
/// that day) was sent already, by this instance or another.
pub async fn record(
    conn: &impl ConnectionTrait,
    invoice_id: i64,
    kind: ReminderKind,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let row = invoice_reminders::ActiveModel {
        invoice_id: Set(invoice_id),
        kind: Set(kind.as_str().to_owned()),
        sent_on: Set(day),
        created_at: Set(now),
        ..Default::default()
    };
    let r = Entity::insert(row).on_conflict_do_nothing().exec(conn).await?;
    Ok(matches!(r, TryInsertResult::Inserted(_)))
}

/// How many reminders were sent for `invoice_id`.
pub async fn of_invoice(
    conn: &impl ConnectionTrait,
    invoice_id: i64,
) -> Result<Vec<invoice_reminders::Model>, DbError> {
    Ok(Entity::find().filter(Column::InvoiceId.eq(invoice_id)).all(conn).await?)
}
