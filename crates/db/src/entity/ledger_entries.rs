use aglis_core::ledger::EntryKind;
use sea_orm::entity::prelude::*;

/// One entry of a customer's account: written once, never changed (see `aglis_core::ledger`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub kind: EntryKind,
    /// Positive, except a correction's, which carries its sign.
    pub amount: i64,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: String,
    pub actor_id: Option<i64>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
