use sea_orm::entity::prelude::*;

/// A technician's skill (a specialisation code) and level 1–5.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technician_skills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub technician_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill: String,
    pub level: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
