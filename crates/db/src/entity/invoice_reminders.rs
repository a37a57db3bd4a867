use sea_orm::entity::prelude::*;

/// A reminder sent for an invoice: unique per (invoice, kind) and per (invoice, day).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    /// `d7`, `d3`, `d1`, `overdue`.
    pub kind: String,
    pub sent_on: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
