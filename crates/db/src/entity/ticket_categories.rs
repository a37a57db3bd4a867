use aglis_core::ticket::TicketType;
use sea_orm::entity::prelude::*;

/// A kind of job within a ticket type (`los_red` within `repair`), with its usual minutes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_type: TicketType,
    pub code: String,
    pub name_id: String,
    /// Empty: English readers see the Indonesian name.
    pub name_en: String,
    pub minutes: i32,
    pub is_active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
