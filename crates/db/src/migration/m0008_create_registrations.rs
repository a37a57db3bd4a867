//! Public sign-ups: the one-time-code step before a registration exists, registrations on their
//! way to an active customer, and every step of each.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignupRequests {
    Table,
    Id,
    TokenHash,
    Phone,
    Payload,
    CodeHash,
    Attempts,
    ExpiresAt,
    ConfirmedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    Number,
    FullName,
    Phone,
    Email,
    Address,
    City,
    Latitude,
    Longitude,
    PackageId,
    Status,
    Reason,
    SurveyAt,
    SurveyFeasible,
    OdpId,
    InstallationAt,
    CustomerId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RegistrationEvents {
    Table,
    Id,
    RegistrationId,
    Status,
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
                    .table(SignupRequests::Table)
                    .col(ColumnDef::new(SignupRequests::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(SignupRequests::TokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(SignupRequests::Phone).string_len(20).not_null())
                    .col(ColumnDef::new(SignupRequests::Payload).text().not_null())
                    .col(ColumnDef::new(SignupRequests::CodeHash).string_len(64).not_null())
                    .col(ColumnDef::new(SignupRequests::Attempts).integer().not_null())
                    .col(ts(SignupRequests::ExpiresAt))
                    .col(ts_null(SignupRequests::ConfirmedAt))
                    .col(ts(SignupRequests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_signup_requests_token_hash")
                    .table(SignupRequests::Table)
                    .col(SignupRequests::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(ColumnDef::new(Registrations::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Registrations::Number).string_len(20).not_null())
                    .col(ColumnDef::new(Registrations::FullName).string_len(100).not_null())
                    .col(ColumnDef::new(Registrations::Phone).string_len(20).not_null())
                    .col(ColumnDef::new(Registrations::Email).string_len(254).null())
                    .col(ColumnDef::new(Registrations::Address).string_len(300).not_null())
                    .col(ColumnDef::new(Registrations::City).string_len(100).not_null())
                    .col(ColumnDef::new(Registrations::Latitude).double().null())
                    .col(ColumnDef::new(Registrations::Longitude).double().null())
                    .col(ColumnDef::new(Registrations::PackageId).big_integer().not_null())
                    .col(ColumnDef::new(Registrations::Status).string_len(30).not_null())
                    .col(ColumnDef::new(Registrations::Reason).string_len(500).null())
                    .col(ts_null(Registrations::SurveyAt))
                    .col(ColumnDef::new(Registrations::SurveyFeasible).boolean().null())
                    .col(ColumnDef::new(Registrations::OdpId).big_integer().null())
                    .col(ts_null(Registrations::InstallationAt))
                    .col(ColumnDef::new(Registrations::CustomerId).big_integer().null())
                    .col(ts(Registrations::CreatedAt))
                    .col(ts(Registrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for idx in [
            Index::create()
                .name("ux_registrations_number")
                .table(Registrations::Table)
                .col(Registrations::Number)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_registrations_status_id")
                .table(Registrations::Table)
                .col(Registrations::Status)
                .col(Registrations::Id)
                .to_owned(),
            Index::create()
                .name("ix_registrations_phone")
                .table(Registrations::Table)
                .col(Registrations::Phone)
                .to_owned(),
        ] {
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RegistrationEvents::Table)
                    .col(ColumnDef::new(RegistrationEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(RegistrationEvents::RegistrationId).big_integer().not_null())
                    .col(ColumnDef::new(RegistrationEvents::Status).string_len(30).not_null())
                    .col(ColumnDef::new(RegistrationEvents::Detail).text().not_null())
                    .col(ColumnDef::new(RegistrationEvents::ActorId).big_integer().null())
                    .col(ts(RegistrationEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_registration_events_registration_id")
                    .table(RegistrationEvents::Table)
                    .col(RegistrationEvents::RegistrationId)
                    .col(RegistrationEvents::Id)
                    .to_owned(),
            )
            .await
    }
}
