//! Package changes (issue 19): the day a customer moved from one package to another, with both
//! names and monthly prices as they were, so that a month is billed at the package of each day
//! rather than at whatever the customer has when the run comes.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PackageChanges {
    Table,
    Id,
    CustomerId,
    FromPackageId,
    ToPackageId,
    FromName,
    ToName,
    FromPrice,
    ToPrice,
    EffectiveOn,
    ActorId,
    At,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

fn name(col: PackageChanges) -> ColumnDef {
    ColumnDef::new(col).string_len(100).not_null().take()
}

fn number(col: PackageChanges) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PackageChanges::Table)
                    .col(ColumnDef::new(PackageChanges::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(number(PackageChanges::CustomerId))
                    .col(number(PackageChanges::FromPackageId))
                    .col(number(PackageChanges::ToPackageId))
                    .col(name(PackageChanges::FromName))
                    .col(name(PackageChanges::ToName))
                    .col(number(PackageChanges::FromPrice))
                    .col(number(PackageChanges::ToPrice))
                    // The first day (Asia/Jakarta) at the new package.
                    .col(ColumnDef::new(PackageChanges::EffectiveOn).date().not_null())
                    .col(ColumnDef::new(PackageChanges::ActorId).big_integer().null())
                    .col(ts(PackageChanges::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_package_changes_customer")
                            .from(PackageChanges::Table, PackageChanges::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_package_changes_customer_day")
                    .table(PackageChanges::Table)
                    .col(PackageChanges::CustomerId)
                    .col(PackageChanges::EffectiveOn)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_package_changes_day")
                    .table(PackageChanges::Table)
                    .col(PackageChanges::EffectiveOn)
                    .to_owned(),
            )
            .await
    }
}
