use aglis_core::invoice::LineKind;
use sea_orm::entity::prelude::*;

/// One line of an invoice: days of service at one price, a fee, or an item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub position: i32,
    pub kind: LineKind,
    pub description: String,
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
    /// Days billed, for a prorated line.
    pub days: Option<i32>,
    pub quantity: i32,
    pub unit_price: i64,
    pub amount: i64,
    /// The monthly price a package line was prorated from (lines written before m0030: unknown).
    pub monthly: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
