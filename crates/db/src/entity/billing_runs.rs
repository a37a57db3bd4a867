use aglis_core::billing_run::{RunStatus, RunTrigger};
use sea_orm::entity::prelude::*;

/// A billing run and its progress: `done` of `of_total` customers written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `YYYY-MM`.
    pub period: String,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub done: i64,
    pub of_total: i64,
    pub customers: i64,
    pub created: i64,
    pub already_billed: i64,
    pub nothing_to_bill: i64,
    /// Whole rupiah of the invoices written.
    pub total: i64,
    pub error: Option<String>,
    pub started_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
