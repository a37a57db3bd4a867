//! Repositories, one per feature.

pub mod customer_search;
pub mod customers;
pub mod delivery_attempts;
pub mod messages;
pub mod notification_templates;
pub mod odps;
pub mod packages;
pub mod recipient_groups;
pub mod registrations;
pub mod sessions;
pub mod users;
pub mod webhook_events;

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};

/// `lower(column) LIKE '%text%'`, case-insensitive, with `%`, `_` and `\` in `text` matched
/// literally. For small tables (staff, recent messages); big lists use the engines' text indexes.
pub(crate) fn contains_ci(column: impl IntoColumnRef, text: &str) -> Expr {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
