//! Ticket text search without scanning tickets: `ticket_words` holds every search word of a
//! ticket's title and of its customer's name (a copy, so one index range answers "siti" or
//! "redaman"), kept by the repository in the same transaction as the ticket.
//!
//! - primary key (`word`, `ticket_id`): a word's tickets newest first straight from the index;
//! - `ix_ticket_words_ticket` (`ticket_id`, `word`): "does this ticket also have word X", and
//!   the rewrite when a title or a customer's name changes.
//!
//! Existing tickets are indexed here, in batches of ids.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TicketWords {
    Table,
    Word,
    TicketId,
}

/// Tickets per insert: about eight words each, two values per word, under both engines' limit
/// of bound values per statement.
const BATCH: i64 = 1_000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            // Without a rowid the table *is* its primary key: two copies of each word, not three.
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE TABLE ticket_words (word varchar(40) NOT NULL, ticket_id bigint NOT NULL,
                     CONSTRAINT pk_ticket_words PRIMARY KEY (word, ticket_id)) WITHOUT ROWID",
                )
                .await?;
        } else {
            manager
                .create_table(
                    Table::create()
                        .table(TicketWords::Table)
                        .col(ColumnDef::new(TicketWords::Word).string_len(40).not_null())
                        .col(ColumnDef::new(TicketWords::TicketId).big_integer().not_null())
                        .primary_key(
                            Index::create().name("pk_ticket_words").col(TicketWords::Word).col(TicketWords::TicketId),
                        )
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_words_ticket")
                    .table(TicketWords::Table)
                    .col(TicketWords::TicketId)
                    .col(TicketWords::Word)
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }
}

/// Words for the tickets that exist, `BATCH` ids at a time.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after = 0_i64;
    loop {
        let rows = conn
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT t.id, t.title, COALESCE(c.name, '') AS name FROM tickets t
                     LEFT JOIN customers c ON c.id = t.customer_id
                     WHERE t.id > {after} ORDER BY t.id LIMIT {BATCH}"
                ),
            ))
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get::<i64>("", "id")?;
        let mut insert = Query::insert()
            .into_table(TicketWords::Table)
            .columns([TicketWords::Word, TicketWords::TicketId])
            .to_owned();
        let mut any = false;
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            let name: String = row.try_get("", "name")?;
            for word in aglis_core::ticket::search_words(&title, &name) {
                insert.values_panic([word.into(), id.into()]);
                any = true;
            }
        }
        if any {
            conn.execute(&insert).await?;
        }
    }
}
