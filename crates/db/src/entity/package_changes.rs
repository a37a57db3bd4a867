use sea_orm::entity::prelude::*;

/// A customer's move from one package to another, from `effective_on` (Asia/Jakarta), with both
/// packages' names and monthly prices as they were that day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "package_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub from_package_id: i64,
    pub to_package_id: i64,
    pub from_name: String,
    pub to_name: String,
    pub from_price: i64,
    pub to_price: i64,
    pub effective_on: Date,
    pub actor_id: Option<i64>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
