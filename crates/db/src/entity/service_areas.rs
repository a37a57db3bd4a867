use sea_orm::entity::prelude::*;

/// An area technicians work in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_areas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The name in lower case: names are unique whatever their case.
    #[sea_orm(unique)]
    pub name_key: String,
    /// The city or regency it lies in (may be empty).
    pub city: String,
    pub is_active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
