//! Monitoring (issue 9): request figures per instance and minute, queue samples, the error inbox,
//! the alert rules and their incidents.
//!
//! Each instance keeps its own counters in memory and adds them to its `metric_minutes` rows, so
//! the alert rules and the monitoring page see every instance; the lease holder's evaluation
//! samples the job queue once a minute into `queue_samples`.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetricMinutes {
    Table,
    Id,
    Instance,
    Minute,
    Requests,
    Errors,
    LatencyMsSum,
    LatencyMsMax,
}

#[derive(DeriveIden)]
enum QueueSamples {
    Table,
    Minute,
    Depth,
    Dead,
    OldestDueSecs,
}

#[derive(DeriveIden)]
enum ErrorGroups {
    Table,
    Id,
    Fingerprint,
    Source,
    Title,
    Route,
    Status,
    Count,
    FirstSeen,
    LastSeen,
    LastRequestId,
    LastUserId,
    Detail,
    ResolvedAt,
    ResolvedBy,
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Code,
    Enabled,
    Threshold,
    WindowMinutes,
    RenotifyMinutes,
    Recipients,
    MutedUntil,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Rule,
    Status,
    Value,
    Detail,
    StartedAt,
    ResolvedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    LastNotifiedAt,
    Notifications,
    /// True when the incident was noticed while the database was down and recorded afterwards.
    Direct,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MetricMinutes::Table)
                    .col(ColumnDef::new(MetricMinutes::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(MetricMinutes::Instance).string_len(100).not_null())
                    .col(ts(MetricMinutes::Minute))
                    .col(ColumnDef::new(MetricMinutes::Requests).big_integer().not_null().default(0))
                    .col(ColumnDef::new(MetricMinutes::Errors).big_integer().not_null().default(0))
                    .col(ColumnDef::new(MetricMinutes::LatencyMsSum).big_integer().not_null().default(0))
                    .col(ColumnDef::new(MetricMinutes::LatencyMsMax).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_metric_minutes_instance_minute")
                    .table(MetricMinutes::Table)
                    .col(MetricMinutes::Instance)
                    .col(MetricMinutes::Minute)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_metric_minutes_minute")
                    .table(MetricMinutes::Table)
                    .col(MetricMinutes::Minute)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QueueSamples::Table)
                    .col(ts(QueueSamples::Minute).primary_key())
                    .col(ColumnDef::new(QueueSamples::Depth).big_integer().not_null())
                    .col(ColumnDef::new(QueueSamples::Dead).big_integer().not_null())
                    .col(ColumnDef::new(QueueSamples::OldestDueSecs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ErrorGroups::Table)
                    .col(ColumnDef::new(ErrorGroups::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(ErrorGroups::Fingerprint).string_len(64).not_null().unique_key())
                    // http | panic | job
                    .col(ColumnDef::new(ErrorGroups::Source).string_len(16).not_null())
                    .col(ColumnDef::new(ErrorGroups::Title).string_len(500).not_null())
                    .col(ColumnDef::new(ErrorGroups::Route).string_len(300).not_null())
                    // open | resolved | ignored
                    .col(ColumnDef::new(ErrorGroups::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ErrorGroups::Count).big_integer().not_null().default(1))
                    .col(ts(ErrorGroups::FirstSeen))
                    .col(ts(ErrorGroups::LastSeen))
                    .col(ColumnDef::new(ErrorGroups::LastRequestId).string_len(64).null())
                    .col(ColumnDef::new(ErrorGroups::LastUserId).big_integer().null())
                    .col(ColumnDef::new(ErrorGroups::Detail).text().not_null())
                    .col(ts_null(ErrorGroups::ResolvedAt))
                    .col(ColumnDef::new(ErrorGroups::ResolvedBy).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_error_groups_last_seen")
                    .table(ErrorGroups::Table)
                    .col(ErrorGroups::LastSeen)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .col(ColumnDef::new(AlertRules::Code).string_len(40).not_null().primary_key())
                    .col(ColumnDef::new(AlertRules::Enabled).boolean().not_null().default(true))
                    .col(ColumnDef::new(AlertRules::Threshold).double().not_null())
                    .col(ColumnDef::new(AlertRules::WindowMinutes).integer().not_null())
                    .col(ColumnDef::new(AlertRules::RenotifyMinutes).integer().not_null())
                    // E-mail addresses and WhatsApp numbers, one per line; empty: every active admin.
                    .col(ColumnDef::new(AlertRules::Recipients).text().not_null().default(""))
                    .col(ts_null(AlertRules::MutedUntil))
                    .col(ts(AlertRules::UpdatedAt))
                    .col(ColumnDef::new(AlertRules::UpdatedBy).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(ColumnDef::new(Alerts::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Alerts::Rule).string_len(40).not_null())
                    // firing | resolved
                    .col(ColumnDef::new(Alerts::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Alerts::Value).string_len(100).not_null())
                    .col(ColumnDef::new(Alerts::Detail).text().not_null())
                    .col(ts(Alerts::StartedAt))
                    .col(ts_null(Alerts::ResolvedAt))
                    .col(ts_null(Alerts::AcknowledgedAt))
                    .col(ColumnDef::new(Alerts::AcknowledgedBy).big_integer().null())
                    .col(ts_null(Alerts::LastNotifiedAt))
                    .col(ColumnDef::new(Alerts::Notifications).integer().not_null().default(0))
                    .col(ColumnDef::new(Alerts::Direct).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_alerts_started_at").table(Alerts::Table).col(Alerts::StartedAt).to_owned(),
            )
            .await?;
        // At most one open incident per rule, even with two evaluations racing.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX idx_alerts_one_firing ON alerts (rule) WHERE status = 'firing'")
            .await?;
        Ok(())
    }
}
