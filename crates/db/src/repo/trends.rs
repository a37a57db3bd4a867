//! The manager's twelve-month trends (issue 22), one month at a time: the customers who came and
//! left, the tickets opened per type, and of the tickets resolved how many within their SLA and
//! how long they took. Each figure is one aggregate over one index range (m0038), never a read of
//! the rows: at 1 M tickets a month is about 40 k index entries, 10 ms on SQLite; the eleven
//! finished months are held by the caller (`dashboard::trends`), twelve months at every page
//! would be 0.2 s.

use crate::DbError;
use crate::entity::{customers, tickets};
use aglis_core::ticket::TicketType;
use aglis_core::trends::Month;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect};

/// One month's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    pub month: Month,
    /// Customers registered in the month.
    pub new_customers: i64,
    /// Customers terminated in the month.
    pub churned: i64,
    /// Tickets opened in the month, per type, in [`TicketType::ALL`] order.
    pub opened: Vec<(TicketType, i64)>,
    /// Tickets resolved in the month (resolved and since closed included; a reopened ticket counts
    /// in the month it was resolved last).
    pub resolved: i64,
    /// Of those, resolved within their SLA (never breached), as the start page's 30-day figure.
    pub within_sla: i64,
    /// Their time from opening to resolution, in all (seconds).
    pub resolution_seconds: i64,
}

impl MonthFigures {
    pub fn opened_total(&self) -> i64 {
        self.opened.iter().map(|(_, n)| n).sum()
    }
}

/// Seconds from `created_at` to `resolved_at`, summed: the one expression the engines write
/// differently (timestamps are RFC 3339 text on SQLite, `timestamptz` on PostgreSQL).
fn resolution_seconds(backend: DatabaseBackend) -> SimpleExpr {
    Expr::cust(match backend {
        DatabaseBackend::Postgres => "CAST(SUM(EXTRACT(EPOCH FROM (resolved_at - created_at))) AS DOUBLE PRECISION)",
        _ => "CAST(SUM((julianday(resolved_at) - julianday(created_at)) * 86400.0) AS DOUBLE PRECISION)",
    })
}

/// The figures of `month`: four aggregates, each over an index range.
pub async fn month(conn: &impl ConnectionTrait, month: Month) -> Result<MonthFigures, DbError> {
    let count = || Expr::cust("COUNT(*)");
    let new_customers: i64 = customers::Entity::find()
        .select_only()
        .column_as(count(), "n")
        .filter(customers::Column::RegisteredAt.gte(month.from))
        .filter(customers::Column::RegisteredAt.lt(month.until))
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or(0);
    let churned: i64 = customers::Entity::find()
        .select_only()
        .column_as(count(), "n")
        .filter(customers::Column::TerminatedAt.gte(month.from))
        .filter(customers::Column::TerminatedAt.lt(month.until))
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or(0);
    let per_type: Vec<(String, i64)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::TicketType)
        .column_as(count(), "n")
        .filter(tickets::Column::CreatedAt.gte(month.from))
        .filter(tickets::Column::CreatedAt.lt(month.until))
        .group_by(tickets::Column::TicketType)
        .into_tuple()
        .all(conn)
        .await?;
    let opened = TicketType::ALL
        .iter()
        .map(|t| (*t, per_type.iter().filter(|(name, _)| name == t.as_str()).map(|(_, n)| n).sum()))
        .collect();
    let (resolved, late, seconds): (i64, i64, Option<f64>) = tickets::Entity::find()
        .select_only()
        .column_as(count(), "resolved")
        .column_as(Expr::col(tickets::Column::BreachedAt).count(), "late")
        .column_as(resolution_seconds(conn.get_database_backend()), "seconds")
        .filter(tickets::Column::ResolvedAt.gte(month.from))
        .filter(tickets::Column::ResolvedAt.lt(month.until))
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or((0, 0, None));
    Ok(MonthFigures {
        month,
        new_customers,
        churned,
        opened,
        resolved,
        within_sla: resolved - late,
        // Whole seconds are plenty for an average read in tenths of an hour.
        resolution_seconds: seconds.map_or(0, |s| s.round() as i64),
    })
}

/// [`month`] for each of `months`, in their order.
pub async fn months(conn: &impl ConnectionTrait, months: &[Month]) -> Result<Vec<MonthFigures>, DbError> {
    let mut out = Vec::with_capacity(months.len());
    for m in months {
        out.push(month(conn, *m).await?);
    }
    Ok(out)
}
