//! Two-factor login (issue 7): TOTP secrets, recovery codes, lockout steps and session limits.
//!
//! - `users`: the TOTP secret (sealed with a key derived from the secret key, never plain), when
//!   it was confirmed, the last step used (replay guard); the time of the last failed sign-in
//!   (the count resets after a day without one) and the permanent lock of the last lockout step.
//! - `recovery_codes`: ten single-use codes per user, stored as SHA-256 hashes.
//! - `sessions`: an absolute end for browser sessions, and whether the second factor is still
//!   to be given (such a session opens nothing but the code page).

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TotpSecret,
    TotpEnabledAt,
    TotpLastStep,
    LastFailedAt,
    LockedForever,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    AbsoluteExpiresAt,
    SecondFactorPending,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        let user_columns = [
            ColumnDef::new(Users::TotpSecret).string_len(200).null().take(),
            ts_null(Users::TotpEnabledAt),
            ColumnDef::new(Users::TotpLastStep).big_integer().null().take(),
            ts_null(Users::LastFailedAt),
            ColumnDef::new(Users::LockedForever).boolean().not_null().default(false).take(),
        ];
        for mut column in user_columns {
            manager.alter_table(Table::alter().table(Users::Table).add_column(&mut column).to_owned()).await?;
        }
        let session_columns = [
            ts_null(Sessions::AbsoluteExpiresAt),
            ColumnDef::new(Sessions::SecondFactorPending).boolean().not_null().default(false).take(),
        ];
        for mut column in session_columns {
            manager.alter_table(Table::alter().table(Sessions::Table).add_column(&mut column).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(ColumnDef::new(RecoveryCodes::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(RecoveryCodes::UserId).big_integer().not_null())
                    // SHA-256 (hex) of the code's canonical form; the code itself is never stored.
                    .col(ColumnDef::new(RecoveryCodes::CodeHash).string_len(64).not_null())
                    .col(ts_null(RecoveryCodes::UsedAt))
                    .col(ts(RecoveryCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_user")
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_recovery_codes_user_hash")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .col(RecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
