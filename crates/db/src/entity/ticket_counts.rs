use sea_orm::entity::prelude::*;

/// Tickets per status, kept by triggers on `tickets` (migration m0011).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    pub n: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
