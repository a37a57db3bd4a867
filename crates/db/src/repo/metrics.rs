//! Request figures per instance and minute, and queue samples: what the alert rules and the
//! monitoring page's charts read, so they cover every instance. See `m0021_monitoring`.

use crate::DbError;
use crate::entity::{metric_minutes, queue_samples};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// One instance's requests in one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinuteFigures {
    pub requests: i64,
    pub errors: i64,
    pub latency_ms_sum: i64,
    pub latency_ms_max: i64,
}

impl MinuteFigures {
    pub fn add(&mut self, other: &MinuteFigures) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latency_ms_sum += other.latency_ms_sum;
        self.latency_ms_max = self.latency_ms_max.max(other.latency_ms_max);
    }
}

/// Adds `figures` to this instance's row for `minute` (each instance writes only its own rows).
pub async fn add_minute(
    conn: &impl ConnectionTrait,
    instance: &str,
    minute: DateTime<Utc>,
    figures: MinuteFigures,
) -> Result<(), DbError> {
    use metric_minutes::{Column, Entity};
    let existing =
        Entity::find().filter(Column::Instance.eq(instance)).filter(Column::Minute.eq(minute)).one(conn).await?;
    match existing {
        Some(row) => {
            let mut sum = MinuteFigures {
                requests: row.requests,
                errors: row.errors,
                latency_ms_sum: row.latency_ms_sum,
                latency_ms_max: row.latency_ms_max,
            };
            sum.add(&figures);
            Entity::update_many()
                .col_expr(Column::Requests, Expr::value(sum.requests))
                .col_expr(Column::Errors, Expr::value(sum.errors))
                .col_expr(Column::LatencyMsSum, Expr::value(sum.latency_ms_sum))
                .col_expr(Column::LatencyMsMax, Expr::value(sum.latency_ms_max))
                .filter(Column::Id.eq(row.id))
                .exec(conn)
                .await?;
        }
        None => {
            Entity::insert(metric_minutes::ActiveModel {
                instance: Set(instance.to_owned()),
                minute: Set(minute),
                requests: Set(figures.requests),
                errors: Set(figures.errors),
                latency_ms_sum: Set(figures.latency_ms_sum),
                latency_ms_max: Set(figures.latency_ms_max),
                ..Default::default()
            })
            .exec(conn)
            .await?;
        }
    }
    Ok(())
}

/// Every instance's requests in `[since, until)`.
pub async fn totals(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<MinuteFigures, DbError> {
    use metric_minutes::{Column, Entity};
    // A window is a few minutes times a few instances: summed here, the same on both engines.
    let rows: Vec<metric_minutes::Model> =
        Entity::find().filter(Column::Minute.gte(since)).filter(Column::Minute.lt(until)).all(conn).await?;
    let mut sum = MinuteFigures::default();
    for row in rows {
        sum.add(&figures(&row));
    }
    Ok(sum)
}

fn figures(row: &metric_minutes::Model) -> MinuteFigures {
    MinuteFigures {
        requests: row.requests,
        errors: row.errors,
        latency_ms_sum: row.latency_ms_sum,
        latency_ms_max: row.latency_ms_max,
    }
}

/// Every instance's figures per minute from `since`, oldest first (minutes without requests are
/// absent).
pub async fn series(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, MinuteFigures)>, DbError> {
    use metric_minutes::{Column, Entity};
    let rows: Vec<metric_minutes::Model> =
        Entity::find().filter(Column::Minute.gte(since)).order_by_asc(Column::Minute).all(conn).await?;
    let mut out: Vec<(DateTime<Utc>, MinuteFigures)> = Vec::new();
    for row in rows {
        let f = figures(&row);
        match out.last_mut() {
            Some((m, sum)) if *m == row.minute => sum.add(&f),
            _ => out.push((row.minute, f)),
        }
    }
    Ok(out)
}

/// The queue as the evaluation saw it in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSample {
    pub minute: DateTime<Utc>,
    pub depth: i64,
    pub dead: i64,
    pub oldest_due_secs: i64,
}

/// Records the minute's sample; a second one for the same minute is ignored.
pub async fn record_queue_sample(conn: &impl ConnectionTrait, sample: QueueSample) -> Result<(), DbError> {
    use queue_samples::{Column, Entity};
    Entity::insert(queue_samples::ActiveModel {
        minute: Set(sample.minute),
        depth: Set(sample.depth),
        dead: Set(sample.dead),
        oldest_due_secs: Set(sample.oldest_due_secs),
    })
    .on_conflict_do_nothing_on([Column::Minute])
    .exec(conn)
    .await?;
    Ok(())
}

pub async fn queue_series(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<QueueSample>, DbError> {
    use queue_samples::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Minute.gte(since))
        .order_by_asc(Column::Minute)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| QueueSample { minute: r.minute, depth: r.depth, dead: r.dead, oldest_due_secs: r.oldest_due_secs })
        .collect())
}

/// Deletes figures and samples older than `before`.
pub async fn prune(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbError> {
    let a = metric_minutes::Entity::delete_many().filter(metric_minutes::Column::Minute.lt(before)).exec(conn).await?;
    let b = queue_samples::Entity::delete_many().filter(queue_samples::Column::Minute.lt(before)).exec(conn).await?;
    Ok(a.rows_affected + b.rows_affected)
}
