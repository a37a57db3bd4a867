//! Alert rules (editable settings) and alerts (incidents from firing to resolved).

use crate::DbError;
use crate::entity::{alert_rules, alerts};
use aglis_core::alerting::{AlertStatus, RuleCode};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

pub type Rule = alert_rules::Model;
pub type Alert = alerts::Model;

/// Installs the rules an installation lacks with their default settings; never overwrites.
pub async fn ensure_rules(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbError> {
    for code in RuleCode::ALL {
        let d = code.defaults();
        alert_rules::Entity::insert(alert_rules::ActiveModel {
            code: Set(code.as_str().to_owned()),
            enabled: Set(true),
            threshold: Set(d.threshold),
            window_minutes: Set(d.window_minutes),
            renotify_minutes: Set(d.renotify_minutes),
            recipients: Set(String::new()),
            muted_until: Set(None),
            updated_at: Set(now),
            updated_by: Set(None),
        })
        .on_conflict_do_nothing_on([alert_rules::Column::Code])
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// Every rule, in the order of [`RuleCode::ALL`].
pub async fn rules(conn: &impl ConnectionTrait) -> Result<Vec<Rule>, DbError> {
    let rows = alert_rules::Entity::find().all(conn).await?;
    let mut out: Vec<Rule> = Vec::with_capacity(rows.len());
    for code in RuleCode::ALL {
        if let Some(r) = rows.iter().find(|r| r.code == code.as_str()) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

pub async fn rule(conn: &impl ConnectionTrait, code: RuleCode) -> Result<Option<Rule>, DbError> {
    Ok(alert_rules::Entity::find_by_id(code.as_str().to_owned()).one(conn).await?)
}

/// A rule's editable settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
    pub renotify_minutes: i32,
    pub recipients: String,
}

pub async fn update_rule(
    conn: &impl ConnectionTrait,
    code: RuleCode,
    s: &RuleSettings,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Rule>, DbError> {
    use alert_rules::Column;
    alert_rules::Entity::update_many()
        .col_expr(Column::Enabled, Expr::value(s.enabled))
        .col_expr(Column::Threshold, Expr::value(s.threshold))
        .col_expr(Column::WindowMinutes, Expr::value(s.window_minutes))
        .col_expr(Column::RenotifyMinutes, Expr::value(s.renotify_minutes))
        .col_expr(Column::Recipients, Expr::value(s.recipients.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::UpdatedBy, Expr::value(user))
        .filter(Column::Code.eq(code.as_str()))
        .exec(conn)
        .await?;
    rule(conn, code).await
}

/// Mutes a rule until `until` (`None` unmutes).
pub async fn mute(
    conn: &impl ConnectionTrait,
    code: RuleCode,
    until: Option<DateTime<Utc>>,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Rule>, DbError> {
    use alert_rules::Column;
    alert_rules::Entity::update_many()
        .col_expr(Column::MutedUntil, Expr::value(until))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::UpdatedBy, Expr::value(user))
        .filter(Column::Code.eq(code.as_str()))
        .exec(conn)
        .await?;
    rule(conn, code).await
}

/// Firing alerts, newest first.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Vec<Alert>, DbError> {
    use alerts::Column;
    Ok(alerts::Entity::find()
        .filter(Column::Status.eq(AlertStatus::Firing.as_str()))
        .order_by_desc(Column::StartedAt)
        .all(conn)
        .await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Alert>, DbError> {
    Ok(alerts::Entity::find_by_id(id).one(conn).await?)
}

/// A new incident. `None` when the rule already has one firing (another evaluation won).
pub async fn open(
    conn: &impl ConnectionTrait,
    code: RuleCode,
    value: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Option<Alert>, DbError> {
    let res = alerts::ActiveModel {
        rule: Set(code.as_str().to_owned()),
        status: Set(AlertStatus::Firing),
        value: Set(value.chars().take(100).collect()),
        detail: Set(detail.chars().take(4000).collect()),
        started_at: Set(now),
        notifications: Set(0),
        direct: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(DbError::from);
    match res {
        Ok(a) => {
            alert_live(conn, aglis_core::live::LiveKind::AlertFired, &a.rule, a.id, now).await?;
            Ok(Some(a))
        }
        Err(DbError::Unique(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Records that the incident was (re-)notified at `now`, with its latest value.
pub async fn mark_notified(
    conn: &impl ConnectionTrait,
    id: i64,
    value: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    use alerts::Column;
    alerts::Entity::update_many()
        .col_expr(Column::LastNotifiedAt, Expr::value(now))
        .col_expr(Column::Notifications, Expr::col(Column::Notifications).add(1))
        .col_expr(Column::Value, Expr::value(value.chars().take(100).collect::<String>()))
        .col_expr(Column::Detail, Expr::value(detail.chars().take(4000).collect::<String>()))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Closes the incident. `false` when it was not firing.
pub async fn resolve(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    use alerts::Column;
    let res = alerts::Entity::update_many()
        .col_expr(Column::Status, Expr::value(AlertStatus::Resolved.as_str()))
        .col_expr(Column::ResolvedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(AlertStatus::Firing.as_str()))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        alert_live(conn, aglis_core::live::LiveKind::AlertResolved, "", id, now).await?;
    }
    Ok(res.rows_affected == 1)
}

/// The live event of alert `id` of `rule` that fired or resolved.
async fn alert_live(
    conn: &impl ConnectionTrait,
    kind: aglis_core::live::LiveKind,
    rule: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let data = serde_json::json!({"alert_id": id, "rule": rule});
    super::live_events::publish(conn, kind, None, &[], None, data, now).await
}

/// Acknowledges a firing alert (no more re-notifications). `None` when there is no such alert.
pub async fn acknowledge(
    conn: &impl ConnectionTrait,
    id: i64,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Alert>, DbError> {
    use alerts::Column;
    alerts::Entity::update_many()
        .col_expr(Column::AcknowledgedAt, Expr::value(now))
        .col_expr(Column::AcknowledgedBy, Expr::value(user))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(AlertStatus::Firing.as_str()))
        .filter(Column::AcknowledgedAt.is_null())
        .exec(conn)
        .await?;
    get(conn, id).await
}

/// An incident noticed while the database was down, recorded once it is back.
pub struct DirectIncident<'a> {
    pub code: RuleCode,
    pub value: &'a str,
    pub detail: &'a str,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub notified_at: Option<DateTime<Utc>>,
    pub notifications: i32,
}

pub async fn record_direct(conn: &impl ConnectionTrait, i: DirectIncident<'_>) -> Result<Alert, DbError> {
    let status = if i.resolved_at.is_some() { AlertStatus::Resolved } else { AlertStatus::Firing };
    Ok(alerts::ActiveModel {
        rule: Set(i.code.as_str().to_owned()),
        status: Set(status),
        value: Set(i.value.chars().take(100).collect()),
        detail: Set(i.detail.chars().take(4000).collect()),
        started_at: Set(i.started_at),
        resolved_at: Set(i.resolved_at),
        last_notified_at: Set(i.notified_at),
        notifications: Set(i.notifications),
        direct: Set(true),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The history, newest first, optionally of one rule.
pub async fn history(
    conn: &impl ConnectionTrait,
    rule: Option<RuleCode>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Alert>, u64), DbError> {
    use alerts::Column;
    let mut query = alerts::Entity::find();
    if let Some(code) = rule {
        query = query.filter(Column::Rule.eq(code.as_str()));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(Column::StartedAt)
        .order_by_desc(Column::Id)
        .paginate(conn, Ord::max(per_page, 1))
        .fetch_page(page.saturating_sub(1))
        .await?;
    Ok((rows, total))
}
