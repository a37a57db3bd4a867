use sea_orm::entity::prelude::*;

/// The editable SLA table; `ticket_type` `*` applies to every type.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_type: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub priority: String,
    pub response_minutes: i32,
    pub resolution_minutes: i32,
    pub calendar: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
