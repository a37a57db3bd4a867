//! Live updates (issue 22): `live_events`, what every instance's open pages hear about. A change
//! writes its event in its own transaction; each instance reads the new rows about twice a
//! second and passes them to its streams, so a change made through any instance reaches every
//! open page. Rows are kept a day (a page that lost its stream catches up from its last id).

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LiveEvents {
    Table,
    Id,
    At,
    Kind,
    TicketId,
    Technicians,
    ForUser,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LiveEvents::Table)
                    .col(ColumnDef::new(LiveEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ts(LiveEvents::At))
                    .col(ColumnDef::new(LiveEvents::Kind).string_len(40).not_null())
                    .col(ColumnDef::new(LiveEvents::TicketId).big_integer().null())
                    .col(ColumnDef::new(LiveEvents::Technicians).string_len(400).not_null().default(""))
                    .col(ColumnDef::new(LiveEvents::ForUser).big_integer().null())
                    .col(ColumnDef::new(LiveEvents::Data).string_len(1000).not_null().default("{}"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_live_events_at").table(LiveEvents::Table).col(LiveEvents::At).to_owned(),
            )
            .await
    }
}
