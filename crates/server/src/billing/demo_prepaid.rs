//! Three demo customers on prepaid terms since they joined, each term invoiced by the real renewal
//! job a week ahead and paid before it began. The first has paid ahead and their service runs
//! about three more weeks; the second's next term starts in a few days and its invoice is open;
//! the third's ran out a few days ago unpaid (on the suspension list). The monthly run never bills
//! them.

use super::prepaid::{switch_mode, write_renewals};
use crate::state::AppState;
use aglis_core::payment::PaymentMethod;
use aglis_core::prepaid::{self, BillingMode, Term};
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::customers;
use aglis_db::repo::payments::{self, NewPayment};
use aglis_db::repo::prepaid as repo;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Where each one stands today: the first day of the term that matters, as days from today
/// (moved to the 28th when it would fall on a day some months lack), whether that term is paid,
/// and the months of terms before it.
const PLANS: [(i64, bool, u32); 3] = [(-5, true, 5), (4, false, 4), (-2, false, 6)];

/// Makes `chosen` (active customers, none of them billed yet) prepaid from the day they joined,
/// dated as [`PLANS`] says. Call before the monthly runs; [`renew`] after them.
pub async fn make_prepaid(
    state: &AppState,
    chosen: &[customers::Model],
    today: NaiveDate,
) -> anyhow::Result<Vec<(i64, NaiveDate)>> {
    let mut out = Vec::new();
    for (c, (offset, _, months)) in chosen.iter().zip(PLANS) {
        let anchor = today + Duration::days(offset);
        let anchor = if anchor.day() > 28 { anchor.with_day(28).unwrap_or(anchor) } else { anchor };
        let began = anchor.checked_sub_months(Months::new(months)).unwrap_or(anchor);
        let at = at(began, 10);
        customers::Entity::update_many()
            .col_expr(customers::Column::ActivatedAt, Expr::value(at))
            .col_expr(customers::Column::RegisteredAt, Expr::value(at - Duration::days(7)))
            .filter(customers::Column::Id.eq(c.id))
            .exec(&state.db)
            .await?;
        switch_mode(&state.db, c.clone(), BillingMode::Prepaid).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push((c.id, anchor));
    }
    Ok(out)
}

/// Each prepaid customer's terms from the day they joined to today: the renewal job's invoice a
/// week ahead, paid two days before the term begins, except the term from their anchor day on
/// when [`PLANS`] leaves it unpaid.
pub async fn renew(state: &AppState, prepaid: &[(i64, NaiveDate)]) -> anyhow::Result<()> {
    let now = state.now();
    for (&(id, anchor), (_, pays_last, _)) in prepaid.iter().zip(PLANS) {
        loop {
            let Some(c) = aglis_db::repo::customers::get(&state.db, id).await? else { break };
            let activated = c.activated_at.map_or(anchor, |t| t.with_timezone(&JAKARTA).date_naive());
            let term = prepaid::next_term(c.paid_until, activated);
            let written_at = at(term.first - Duration::days(prepaid::RENEWAL_LEAD_DAYS), 7).max(at(activated, 11));
            if written_at > now {
                break;
            }
            write_renewals(state, written_at).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if term.first >= anchor && !pays_last {
                break;
            }
            let when = at(term.first - Duration::days(2), 16).max(written_at + Duration::hours(3)).min(now);
            if !pay(state, id, &term, when).await? {
                break; // nothing to pay (the job wrote no invoice): the demo goes on without it
            }
        }
    }
    Ok(())
}

/// Pays customer `id`'s invoice for `term` at `when`, at the counter or by transfer; `false` when
/// there is none.
async fn pay(state: &AppState, id: i64, term: &Term, when: DateTime<Utc>) -> anyhow::Result<bool> {
    let Some(inv) = repo::term_invoice(&state.db, id, term.first).await? else { return Ok(false) };
    let method = if term.first.month().is_multiple_of(2) { PaymentMethod::Cash } else { PaymentMethod::BankTransfer };
    let p = NewPayment {
        customer_id: id,
        invoice_id: Some(inv.id),
        method,
        amount: inv.total - inv.paid,
        gateway: None,
        entered_by: None,
        received_at: when,
        note: "Perpanjangan prabayar".into(),
    };
    let p = payments::insert(&state.db, p, when).await?;
    payments::complete(&state.db, p.id, None, when.with_timezone(&JAKARTA).date_naive(), when).await?;
    Ok(true)
}

/// `day` at `hour`:00 WIB.
fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, 0, 0)
        .and_then(|t| JAKARTA.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}
