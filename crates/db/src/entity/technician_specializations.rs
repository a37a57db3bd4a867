use aglis_core::technician::Specialization;
use sea_orm::entity::prelude::*;

/// A field of work a technician specialises in (`aglis_core::technician::Specialization`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technician_specializations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub technician_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub specialization: Specialization,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
