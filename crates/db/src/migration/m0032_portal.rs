//! The customer portal (issue 20). `portal_codes`: one-time sign-in codes sent by WhatsApp, one row
//! per request, keyed by what the person typed (a normalised phone number or a customer code). A
//! request for a number that is no customer still gets a row (with no customer and a code nobody
//! was sent), so a wrong guess is answered and counted exactly like one for a customer. The same
//! table holds the code confirming a new phone number (`purpose` = `phone`, `new_phone`).
//! `tickets.rating` (1–5), `rating_comment`, `rated_at`: the customer's verdict on the visit.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PortalCodes {
    Table,
    Id,
    LoginKey,
    CustomerId,
    Purpose,
    NewPhone,
    CodeHash,
    Attempts,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Rating,
    RatingComment,
    RatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PortalCodes::Table)
                    .col(ColumnDef::new(PortalCodes::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PortalCodes::LoginKey).string_len(40).not_null())
                    .col(ColumnDef::new(PortalCodes::CustomerId).big_integer().null())
                    .col(ColumnDef::new(PortalCodes::Purpose).string_len(16).not_null())
                    .col(ColumnDef::new(PortalCodes::NewPhone).string_len(20).null())
                    .col(ColumnDef::new(PortalCodes::CodeHash).string_len(64).not_null())
                    .col(ColumnDef::new(PortalCodes::Attempts).integer().not_null().default(0))
                    .col(ts(PortalCodes::ExpiresAt))
                    .col(ts_null(PortalCodes::UsedAt))
                    .col(ts(PortalCodes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_portal_codes_key_created")
                    .table(PortalCodes::Table)
                    .col(PortalCodes::LoginKey)
                    .col(PortalCodes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(ColumnDef::new(Tickets::Rating).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(ColumnDef::new(Tickets::RatingComment).text().null())
                    .to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table(Tickets::Table).add_column(ts_null(Tickets::RatedAt)).to_owned()).await
    }
}
