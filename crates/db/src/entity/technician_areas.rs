use sea_orm::entity::prelude::*;

/// A further service area of a technician (besides the home zone in `technicians.work_zone`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technician_areas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub technician_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub area: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
