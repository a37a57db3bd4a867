//! The security audit log (issue 7): append-only, hash-chained records.
//!
//! `audit_logs` holds the records; ids are given by the appender (the head's last id + 1), not by
//! a sequence, because the id is part of the hash. `audit_head` is one row: the newest record
//! (id, hash), which every append locks first, so appends from several instances never fork the
//! chain, and the purge anchor (id, hash of the last record the retention purge removed), from
//! which verification starts.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Id,
    At,
    UserId,
    Username,
    Ip,
    UserAgent,
    Event,
    Resource,
    Result,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
    AnchorId,
    AnchorHash,
}

/// `prev_hash` of the first record: 64 zeros (`aglis_core::audit::GENESIS_HASH`).
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = || AuditLogs::Table;
        manager
            .create_table(
                Table::create()
                    .table(t())
                    .col(ColumnDef::new(AuditLogs::Id).big_integer().not_null().primary_key())
                    .col(ts(AuditLogs::At))
                    // No foreign key: the record outlives the account.
                    .col(ColumnDef::new(AuditLogs::UserId).big_integer().null())
                    .col(ColumnDef::new(AuditLogs::Username).string_len(100).null())
                    .col(ColumnDef::new(AuditLogs::Ip).string_len(64).null())
                    .col(ColumnDef::new(AuditLogs::UserAgent).string_len(300).null())
                    .col(ColumnDef::new(AuditLogs::Event).string_len(40).not_null())
                    .col(ColumnDef::new(AuditLogs::Resource).string_len(200).null())
                    .col(ColumnDef::new(AuditLogs::Result).string_len(20).not_null())
                    // JSON as text: hashed exactly as stored (jsonb would reorder it).
                    .col(ColumnDef::new(AuditLogs::Details).text().not_null())
                    .col(ColumnDef::new(AuditLogs::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLogs::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        // The viewer: newest first, by time, by event, by user.
        for (name, cols) in [
            ("ix_audit_logs_at", vec![AuditLogs::At]),
            ("ix_audit_logs_event_at", vec![AuditLogs::Event, AuditLogs::At]),
            ("ix_audit_logs_user_at", vec![AuditLogs::UserId, AuditLogs::At]),
        ] {
            let mut index = Index::create().name(name).table(t()).to_owned();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(ColumnDef::new(AuditHead::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(AuditHead::LastId).big_integer().not_null())
                    .col(ColumnDef::new(AuditHead::LastHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditHead::AnchorId).big_integer().not_null())
                    .col(ColumnDef::new(AuditHead::AnchorHash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        let insert = Query::insert()
            .into_table(AuditHead::Table)
            .columns([
                AuditHead::Id,
                AuditHead::LastId,
                AuditHead::LastHash,
                AuditHead::AnchorId,
                AuditHead::AnchorHash,
            ])
            .values([1.into(), 0i64.into(), GENESIS.into(), 0i64.into(), GENESIS.into()])
            .map_err(|e| DbErr::Custom(format!("audit_head row: {e}")))?
            .to_owned();
        manager.exec_stmt(insert).await
    }
}
