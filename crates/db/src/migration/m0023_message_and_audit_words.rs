//! Searching the message history and the audit log without scanning them: `message_words` and
//! `audit_words` hold each record's search words (`aglis_core::notification::search_words`,
//! `aglis_core::audit::search_words`), written in the record's own transaction, searched by word
//! prefix like `ticket_words` (m0014). And indexes for the lists' filters in their order (newest
//! first), so that a page and its capped count read index ranges.
//!
//! Existing records are indexed here, in batches of ids.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Records per insert: at most 48 words each, two values per word, under both engines' limit of
/// bound values per statement.
const BATCH: i64 = 300;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        word_table(manager, "message_words", "message_id").await?;
        word_table(manager, "audit_words", "audit_id").await?;
        let conn = manager.get_connection();
        for (name, table, columns) in [
            ("ix_messages_created", "messages", "created_at, id"),
            ("ix_messages_status_created", "messages", "status, created_at, id"),
            ("ix_messages_channel_created", "messages", "channel, created_at, id"),
            ("ix_audit_logs_result_at", "audit_logs", "result, at"),
            // A username is matched in any case.
            ("ix_audit_logs_username_at", "audit_logs", "lower(username), at"),
        ] {
            conn.execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({columns})")).await?;
        }
        backfill_messages(manager).await?;
        backfill_audit(manager).await
    }
}

/// `(word, <id>)` with that primary key, and the index `(<id>, word)`.
async fn word_table(manager: &SchemaManager<'_>, table: &str, id: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let without_rowid = if manager.get_database_backend() == DatabaseBackend::Sqlite {
        // Without a rowid the table *is* its primary key: two copies of each word, not three.
        " WITHOUT ROWID"
    } else {
        ""
    };
    conn.execute_unprepared(&format!(
        "CREATE TABLE {table} (word varchar(40) NOT NULL, {id} bigint NOT NULL, \
         CONSTRAINT pk_{table} PRIMARY KEY (word, {id})){without_rowid}"
    ))
    .await?;
    conn.execute_unprepared(&format!("CREATE INDEX ix_{table}_record ON {table} ({id}, word)")).await?;
    Ok(())
}

async fn backfill_messages(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    backfill(manager, "SELECT id, recipient, subject, body FROM messages", "message_words", "message_id", |row| {
        let recipient: String = row.try_get("", "recipient")?;
        let subject: Option<String> = row.try_get("", "subject")?;
        let body: String = row.try_get("", "body")?;
        Ok(aglis_core::notification::search_words(&recipient, subject.as_deref(), &body))
    })
    .await
}

async fn backfill_audit(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    backfill(manager, "SELECT id, username, ip, resource, details FROM audit_logs", "audit_words", "audit_id", |row| {
        let username: Option<String> = row.try_get("", "username")?;
        let ip: Option<String> = row.try_get("", "ip")?;
        let resource: Option<String> = row.try_get("", "resource")?;
        let details: String = row.try_get("", "details")?;
        Ok(aglis_core::audit::search_words(username.as_deref(), ip.as_deref(), resource.as_deref(), &details))
    })
    .await
}

/// Words for the rows of `select` (which names `id`), [`BATCH`] ids at a time.
async fn backfill(
    manager: &SchemaManager<'_>,
    select: &str,
    table: &str,
    id_column: &str,
    words: impl Fn(&sea_orm::QueryResult) -> Result<Vec<String>, DbErr>,
) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let backend = manager.get_database_backend();
    let mut after = 0_i64;
    loop {
        let rows = conn
            .query_all_raw(Statement::from_string(
                backend,
                format!("{select} WHERE id > {after} ORDER BY id LIMIT {BATCH}"),
            ))
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.try_get::<i64>("", "id")?;
        let mut insert = Query::insert()
            .into_table(Alias::new(table))
            .columns([Alias::new("word"), Alias::new(id_column)])
            .to_owned();
        let mut any = false;
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            for word in words(row)? {
                insert.values_panic([word.into(), id.into()]);
                any = true;
            }
        }
        if any {
            conn.execute(&insert).await?;
        }
    }
}
