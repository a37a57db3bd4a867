use sea_orm::entity::prelude::*;

/// FreeRADIUS's `radusergroup` (its standard SQL schema): a RADIUS user's group, which carries the
/// plan's or the isolation's reply attributes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "radusergroup")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub groupname: String,
    pub priority: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
