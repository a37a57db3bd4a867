use aglis_core::invoice::{InvoiceKind, InvoiceStatus};
use sea_orm::entity::prelude::*;

/// An invoice. Its money columns are whole rupiah; `paid` is the sum of the payments applied to it
/// (kept with the ledger entries that record them, in one transaction).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub kind: InvoiceKind,
    /// `YYYY-MM` of a recurring invoice.
    pub period: Option<String>,
    /// `<customer>:<period>` of a recurring invoice (unique).
    pub recurring_key: Option<String>,
    pub status: InvoiceStatus,
    pub issued_on: Date,
    pub due_on: Date,
    pub subtotal: i64,
    pub discount: i64,
    pub dpp: i64,
    pub dpp_nilai_lain: Option<i64>,
    /// 0 when no PPN is charged.
    pub ppn_rate: i32,
    pub ppn: i64,
    pub total: i64,
    /// Settled so far: payments and credit notes.
    pub paid: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The part of `paid` that credit notes settled.
    pub credited: i64,
    /// A recurring invoice's month has been put right on a later invoice (changes after it was
    /// issued: another package, a pause, a suspension, the end of service).
    pub trued_up: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
