//! Repositories, one per feature.

pub mod alerts;
pub mod audit_log;
pub mod backups;
pub mod billing_runs;
pub mod billing_stats;
pub mod broadcasts;
pub mod customer_search;
pub mod customer_services;
pub mod customers;
pub mod delivery_attempts;
pub mod error_groups;
pub mod invoice_reminders;
pub mod invoices;
pub mod ledger;
pub mod live_events;
pub mod master_data;
pub mod messages;
pub mod metrics;
pub mod network_devices;
pub mod notification_templates;
pub mod odps;
pub mod package_changes;
pub mod packages;
pub mod payment_checkouts;
pub mod payments;
pub mod portal_codes;
pub mod portal_notices;
pub mod prepaid;
pub mod radius_groups;
pub mod recipient_groups;
pub mod registrations;
pub mod service_pauses;
pub mod sessions;
pub mod settings;
pub mod sla;
pub mod technicians;
pub mod ticket_attachments;
pub mod ticket_detail;
pub mod ticket_search;
pub mod ticket_stats;
pub mod tickets;
pub mod trends;
pub mod two_factor;
pub mod users;
pub mod webhook_events;
pub mod word_search;

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};

/// `lower(column) LIKE '%text%'`, case-insensitive, with `%`, `_` and `\` in `text` matched
/// literally. For small tables (staff, recent messages); big lists use the engines' text indexes.
pub(crate) fn contains_ci(column: impl IntoColumnRef, text: &str) -> Expr {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The rows `inner` returns, counted up to `cap` (give `inner` a `LIMIT cap + 1`): `(n, true)`,
/// or `(cap, false)` when there are more. A list's total without counting a million rows.
pub(crate) async fn capped_count(
    conn: &impl sea_orm::ConnectionTrait,
    inner: sea_orm::sea_query::SelectStatement,
    cap: u64,
) -> Result<(u64, bool), crate::DbError> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("c"))
        .to_owned();
    let n: i64 = match conn.query_one(&stmt).await? {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    let n = u64::try_from(n).unwrap_or(0);
    Ok(if n > cap { (cap, false) } else { (n, true) })
}

/// The smallest string greater than every string starting with `prefix` (`budi` → `budj`;
/// digits and ASCII letters only), or `None` when there is none.
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '0'..='8' | 'a'..='y' | 'A'..='Y' => char::from_u32(last as u32 + 1),
            '9' => Some('a'),
            _ => None,
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}
