//! Customer totals without counting rows, and name search without touching `customers`.
//!
//! - `customer_counts`: customers per (status, package), kept by triggers on `customers` on both
//!   engines, so the list's total and the status tiles are a sum of a few rows instead of a
//!   `COUNT(*)` over 100 k customers (about 4 ms on PostgreSQL even index-only, per request).
//! - `customer_words.name`: the customer's name next to each word, with a covering index
//!   (`word`, `name`, `customer_id`), so a name search reads its matches *and their sort key*
//!   from one index range and fetches only the page's rows.
//! - `ix_customers_status_name`: the list filtered by status, in name order, from the index.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerCounts {
    Table,
    Status,
    PackageId,
    N,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Status,
    Name,
    Id,
}

#[derive(DeriveIden)]
enum CustomerWords {
    Table,
    Word,
    Name,
    CustomerId,
}

/// SQLite: one trigger per event. Upserts keep a (status, package) row per combination seen.
const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER trg_customer_counts_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_counts (status, package_id, n) VALUES (NEW.status, NEW.package_id, 1)
            ON CONFLICT (status, package_id) DO UPDATE SET n = n + 1;
    END",
    "CREATE TRIGGER trg_customer_counts_update AFTER UPDATE OF status, package_id ON customers
    WHEN OLD.status IS NOT NEW.status OR OLD.package_id IS NOT NEW.package_id BEGIN
        UPDATE customer_counts SET n = n - 1 WHERE status = OLD.status AND package_id = OLD.package_id;
        INSERT INTO customer_counts (status, package_id, n) VALUES (NEW.status, NEW.package_id, 1)
            ON CONFLICT (status, package_id) DO UPDATE SET n = n + 1;
    END",
    "CREATE TRIGGER trg_customer_counts_delete AFTER DELETE ON customers BEGIN
        UPDATE customer_counts SET n = n - 1 WHERE status = OLD.status AND package_id = OLD.package_id;
    END",
];

/// PostgreSQL: one function for every event. An update touches its two counter rows in key
/// order, so two transactions moving customers in opposite directions cannot deadlock.
const PG_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION customer_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.package_id = NEW.package_id THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
                AND (OLD.status, OLD.package_id) < (NEW.status, NEW.package_id)) THEN
            UPDATE customer_counts SET n = n - 1 WHERE status = OLD.status AND package_id = OLD.package_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO customer_counts (status, package_id, n) VALUES (NEW.status, NEW.package_id, 1)
                ON CONFLICT (status, package_id) DO UPDATE SET n = customer_counts.n + 1;
        END IF;
        IF TG_OP = 'UPDATE' AND (OLD.status, OLD.package_id) > (NEW.status, NEW.package_id) THEN
            UPDATE customer_counts SET n = n - 1 WHERE status = OLD.status AND package_id = OLD.package_id;
        END IF;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER trg_customer_counts AFTER INSERT OR DELETE OR UPDATE OF status, package_id ON customers
        FOR EACH ROW EXECUTE FUNCTION customer_counts_track()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerCounts::Table)
                    .col(ColumnDef::new(CustomerCounts::Status).string_len(20).not_null())
                    .col(ColumnDef::new(CustomerCounts::PackageId).big_integer().not_null())
                    .col(ColumnDef::new(CustomerCounts::N).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .name("pk_customer_counts")
                            .col(CustomerCounts::Status)
                            .col(CustomerCounts::PackageId),
                    )
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "INSERT INTO customer_counts (status, package_id, n)
             SELECT status, package_id, COUNT(*) FROM customers GROUP BY status, package_id",
        )
        .await?;
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Postgres => PG_TRIGGERS,
            _ => SQLITE_TRIGGERS,
        };
        for sql in triggers {
            conn.execute_unprepared(sql).await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(CustomerWords::Table)
                    .add_column(ColumnDef::new(CustomerWords::Name).string_len(100).not_null().default(""))
                    .to_owned(),
            )
            .await?;
        conn.execute_unprepared(
            "UPDATE customer_words SET name = (SELECT c.name FROM customers c WHERE c.id = customer_words.customer_id)",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_words_word_name")
                    .table(CustomerWords::Table)
                    .col(CustomerWords::Word)
                    .col(CustomerWords::Name)
                    .col(CustomerWords::CustomerId)
                    .to_owned(),
            )
            .await?;
        // The list filtered by status (say, every suspended customer) in name order.
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_status_name")
                    .table(Customers::Table)
                    .col(Customers::Status)
                    .col(Customers::Name)
                    .col(Customers::Id)
                    .to_owned(),
            )
            .await
    }
}
