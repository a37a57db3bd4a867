use aglis_core::technician::WorkDay;
use sea_orm::entity::prelude::*;

/// A day of the week a technician works (`aglis_core::technician::WorkDay`); none stored means Monday to Saturday.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technician_work_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub technician_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: WorkDay,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
