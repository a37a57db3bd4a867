//! Network enforcement (issue 21). `network_devices`: the routers (RouterOS REST) and RADIUS NASes
//! that carry out suspensions, their credentials sealed under the server's secret key, and whether
//! they only say what they would do (`dry_run`, on for a new device). `customer_services`: one row
//! per customer bound to a device: how it is isolated (`method`), who it is there (`identity`: a
//! PPPoE/RADIUS user name or an IPv4 address), the plan profile to restore (`paid_profile`), and
//! what the device was last seen or made to do (`applied`, `applied_at`, `checked_at`), with the
//! retry state of a failing device. The desired state is the customer's own status
//! (`customers.status`; `customers.suspend_reason` says why a suspended one is). `network_actions`:
//! every change made (or, in a dry run, that would be made) on a device, with its steps.
//! `suspension_runs`: each policy run, and whether the circuit breaker stopped it.
//! `radusergroup`: FreeRADIUS's user → group table (its standard schema), which rlm_sql reads.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NetworkDevices {
    Table,
    Id,
    Name,
    Kind,
    Address,
    Username,
    SecretSealed,
    InsecureTls,
    IsolateProfile,
    IsolateList,
    DryRun,
    Enabled,
    CheckedAt,
    CheckOk,
    CheckDetail,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerServices {
    Table,
    CustomerId,
    DeviceId,
    Method,
    Identity,
    PaidProfile,
    Applied,
    AppliedAt,
    CheckedAt,
    Failures,
    NextAttemptAt,
    LastError,
    DesiredSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NetworkActions {
    Table,
    Id,
    CustomerId,
    DeviceId,
    Action,
    RequestedBy,
    Reason,
    DryRun,
    Ok,
    Steps,
    Error,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SuspensionRuns {
    Table,
    Id,
    Candidates,
    Suspended,
    Tripped,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Radusergroup {
    Table,
    Id,
    Username,
    Groupname,
    Priority,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    SuspendReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NetworkDevices::Table)
                    .col(ColumnDef::new(NetworkDevices::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(NetworkDevices::Name).string_len(100).not_null().unique_key())
                    .col(ColumnDef::new(NetworkDevices::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(NetworkDevices::Address).string_len(300).not_null())
                    .col(ColumnDef::new(NetworkDevices::Username).string_len(100).not_null().default(""))
                    .col(ColumnDef::new(NetworkDevices::SecretSealed).text().not_null())
                    .col(ColumnDef::new(NetworkDevices::InsecureTls).boolean().not_null().default(false))
                    .col(ColumnDef::new(NetworkDevices::IsolateProfile).string_len(64).not_null())
                    .col(ColumnDef::new(NetworkDevices::IsolateList).string_len(64).not_null())
                    .col(ColumnDef::new(NetworkDevices::DryRun).boolean().not_null().default(true))
                    .col(ColumnDef::new(NetworkDevices::Enabled).boolean().not_null().default(true))
                    .col(ts_null(NetworkDevices::CheckedAt))
                    .col(ColumnDef::new(NetworkDevices::CheckOk).boolean().null())
                    .col(ColumnDef::new(NetworkDevices::CheckDetail).string_len(500).not_null().default(""))
                    .col(ts(NetworkDevices::CreatedAt))
                    .col(ts(NetworkDevices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerServices::Table)
                    .col(ColumnDef::new(CustomerServices::CustomerId).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(CustomerServices::DeviceId).big_integer().not_null())
                    .col(ColumnDef::new(CustomerServices::Method).string_len(16).not_null())
                    .col(ColumnDef::new(CustomerServices::Identity).string_len(64).not_null())
                    .col(ColumnDef::new(CustomerServices::PaidProfile).string_len(64).null())
                    .col(ColumnDef::new(CustomerServices::Applied).string_len(16).null())
                    .col(ts_null(CustomerServices::AppliedAt))
                    .col(ts_null(CustomerServices::CheckedAt))
                    .col(ColumnDef::new(CustomerServices::Failures).integer().not_null().default(0))
                    .col(ts_null(CustomerServices::NextAttemptAt))
                    .col(ColumnDef::new(CustomerServices::LastError).string_len(500).not_null().default(""))
                    .col(ts(CustomerServices::DesiredSince))
                    .col(ts(CustomerServices::CreatedAt))
                    .col(ts(CustomerServices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ux_customer_services_device_identity", vec![CustomerServices::DeviceId, CustomerServices::Identity]),
            ("ix_customer_services_next_attempt", vec![CustomerServices::NextAttemptAt]),
            ("ix_customer_services_checked", vec![CustomerServices::CheckedAt]),
        ] {
            let mut index = Index::create().name(name).table(CustomerServices::Table).to_owned();
            if name.starts_with("ux_") {
                index.unique();
            }
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(NetworkActions::Table)
                    .col(ColumnDef::new(NetworkActions::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(NetworkActions::CustomerId).big_integer().not_null())
                    .col(ColumnDef::new(NetworkActions::DeviceId).big_integer().null())
                    .col(ColumnDef::new(NetworkActions::Action).string_len(16).not_null())
                    .col(ColumnDef::new(NetworkActions::RequestedBy).string_len(100).not_null())
                    .col(ColumnDef::new(NetworkActions::Reason).string_len(500).not_null().default(""))
                    .col(ColumnDef::new(NetworkActions::DryRun).boolean().not_null().default(false))
                    .col(ColumnDef::new(NetworkActions::Ok).boolean().not_null())
                    .col(ColumnDef::new(NetworkActions::Steps).text().not_null())
                    .col(ColumnDef::new(NetworkActions::Error).string_len(500).not_null().default(""))
                    .col(ts(NetworkActions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_network_actions_customer")
                    .table(NetworkActions::Table)
                    .col(NetworkActions::CustomerId)
                    .col(NetworkActions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SuspensionRuns::Table)
                    .col(ColumnDef::new(SuspensionRuns::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(SuspensionRuns::Candidates).integer().not_null())
                    .col(ColumnDef::new(SuspensionRuns::Suspended).integer().not_null())
                    .col(ColumnDef::new(SuspensionRuns::Tripped).boolean().not_null())
                    .col(ColumnDef::new(SuspensionRuns::Detail).text().not_null())
                    .col(ts(SuspensionRuns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Radusergroup::Table)
                    .col(ColumnDef::new(Radusergroup::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Radusergroup::Username).string_len(64).not_null().default(""))
                    .col(ColumnDef::new(Radusergroup::Groupname).string_len(64).not_null().default(""))
                    .col(ColumnDef::new(Radusergroup::Priority).integer().not_null().default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_radusergroup_username")
                    .table(Radusergroup::Table)
                    .col(Radusergroup::Username)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::SuspendReason).string_len(16).null())
                    .to_owned(),
            )
            .await
    }
}
