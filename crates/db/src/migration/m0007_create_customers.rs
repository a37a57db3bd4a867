//! The sellable network and the people on it: internet packages, ODPs, customers with their
//! history, and the words customer names are searched by (an index, not a scan, at 100 k rows).

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Packages {
    Table,
    Id,
    Name,
    SpeedMbps,
    MonthlyPrice,
    InstallationFee,
    Description,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Odps {
    Table,
    Id,
    Code,
    Area,
    Location,
    Latitude,
    Longitude,
    TotalPorts,
    UsedPorts,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Code,
    Name,
    Phone,
    Email,
    Ktp,
    Address,
    City,
    Latitude,
    Longitude,
    PackageId,
    OdpId,
    OdpPort,
    Status,
    UserId,
    Notes,
    RegisteredAt,
    ActivatedAt,
    SuspendedAt,
    TerminatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerWords {
    Table,
    Word,
    CustomerId,
}

#[derive(DeriveIden)]
enum CustomerEvents {
    Table,
    Id,
    CustomerId,
    Kind,
    Detail,
    ActorId,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Packages::Table)
                    .col(ColumnDef::new(Packages::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Packages::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Packages::SpeedMbps).integer().not_null())
                    .col(ColumnDef::new(Packages::MonthlyPrice).big_integer().not_null())
                    .col(ColumnDef::new(Packages::InstallationFee).big_integer().not_null())
                    .col(ColumnDef::new(Packages::Description).string_len(500).not_null())
                    .col(ColumnDef::new(Packages::IsActive).boolean().not_null())
                    .col(ts(Packages::CreatedAt))
                    .col(ts(Packages::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ux_packages_name").table(Packages::Table).col(Packages::Name).unique().to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Odps::Table)
                    .col(ColumnDef::new(Odps::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Odps::Code).string_len(40).not_null())
                    .col(ColumnDef::new(Odps::Area).string_len(100).not_null())
                    .col(ColumnDef::new(Odps::Location).string_len(300).not_null())
                    .col(ColumnDef::new(Odps::Latitude).double().null())
                    .col(ColumnDef::new(Odps::Longitude).double().null())
                    .col(ColumnDef::new(Odps::TotalPorts).integer().not_null())
                    .col(ColumnDef::new(Odps::UsedPorts).integer().not_null())
                    .col(ColumnDef::new(Odps::Status).string_len(20).not_null())
                    .col(ts(Odps::CreatedAt))
                    .col(ts(Odps::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ux_odps_code").table(Odps::Table).col(Odps::Code).unique().to_owned())
            .await?;
        manager
            .create_index(Index::create().name("ix_odps_area").table(Odps::Table).col(Odps::Area).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(ColumnDef::new(Customers::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Customers::Code).string_len(20).not_null())
                    .col(ColumnDef::new(Customers::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Customers::Phone).string_len(20).not_null())
                    .col(ColumnDef::new(Customers::Email).string_len(254).null())
                    .col(ColumnDef::new(Customers::Ktp).string_len(16).null())
                    .col(ColumnDef::new(Customers::Address).string_len(300).not_null())
                    .col(ColumnDef::new(Customers::City).string_len(100).not_null())
                    .col(ColumnDef::new(Customers::Latitude).double().null())
                    .col(ColumnDef::new(Customers::Longitude).double().null())
                    .col(ColumnDef::new(Customers::PackageId).big_integer().not_null())
                    .col(ColumnDef::new(Customers::OdpId).big_integer().null())
                    .col(ColumnDef::new(Customers::OdpPort).integer().null())
                    .col(ColumnDef::new(Customers::Status).string_len(20).not_null())
                    .col(ColumnDef::new(Customers::UserId).big_integer().null())
                    .col(ColumnDef::new(Customers::Notes).text().not_null())
                    .col(ts(Customers::RegisteredAt))
                    .col(ts_null(Customers::ActivatedAt))
                    .col(ts_null(Customers::SuspendedAt))
                    .col(ts_null(Customers::TerminatedAt))
                    .col(ts(Customers::CreatedAt))
                    .col(ts(Customers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_package")
                            .from(Customers::Table, Customers::PackageId)
                            .to(Packages::Table, Packages::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_odp")
                            .from(Customers::Table, Customers::OdpId)
                            .to(Odps::Table, Odps::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let customer_indexes = [
            Index::create().name("ux_customers_code").table(Customers::Table).col(Customers::Code).unique().to_owned(),
            Index::create()
                .name("ux_customers_phone")
                .table(Customers::Table)
                .col(Customers::Phone)
                .unique()
                .to_owned(),
            Index::create()
                .name("ux_customers_user_id")
                .table(Customers::Table)
                .col(Customers::UserId)
                .unique()
                .to_owned(),
            Index::create()
                .name("ux_customers_odp_port")
                .table(Customers::Table)
                .col(Customers::OdpId)
                .col(Customers::OdpPort)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_customers_name")
                .table(Customers::Table)
                .col(Customers::Name)
                .col(Customers::Id)
                .to_owned(),
            Index::create()
                .name("ix_customers_status_id")
                .table(Customers::Table)
                .col(Customers::Status)
                .col(Customers::Id)
                .to_owned(),
            Index::create()
                .name("ix_customers_package_id")
                .table(Customers::Table)
                .col(Customers::PackageId)
                .col(Customers::Id)
                .to_owned(),
            Index::create()
                .name("ix_customers_registered_at")
                .table(Customers::Table)
                .col(Customers::RegisteredAt)
                .col(Customers::Id)
                .to_owned(),
        ];
        for idx in customer_indexes {
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomerWords::Table)
                    .col(ColumnDef::new(CustomerWords::Word).string_len(100).not_null())
                    .col(ColumnDef::new(CustomerWords::CustomerId).big_integer().not_null())
                    .primary_key(Index::create().col(CustomerWords::Word).col(CustomerWords::CustomerId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_words_customer_id")
                    .table(CustomerWords::Table)
                    .col(CustomerWords::CustomerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerEvents::Table)
                    .col(ColumnDef::new(CustomerEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(CustomerEvents::CustomerId).big_integer().not_null())
                    .col(ColumnDef::new(CustomerEvents::Kind).string_len(30).not_null())
                    .col(ColumnDef::new(CustomerEvents::Detail).text().not_null())
                    .col(ColumnDef::new(CustomerEvents::ActorId).big_integer().null())
                    .col(ts(CustomerEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_events_customer_id")
                    .table(CustomerEvents::Table)
                    .col(CustomerEvents::CustomerId)
                    .col(CustomerEvents::Id)
                    .to_owned(),
            )
            .await
    }
}
