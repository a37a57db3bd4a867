use aglis_core::technician::Specialization;
use sea_orm::entity::prelude::*;

/// A skill of the catalogue: its field of work and the ticket types it serves.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "skills")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name_id: String,
    /// Empty: English readers see the Indonesian name.
    pub name_en: String,
    pub specialization: Specialization,
    /// Comma-separated ticket types (`installation,repair`); see `aglis_core::master::split_types`.
    pub ticket_types: String,
    pub is_active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
