use aglis_core::technician::{Availability, SkillLevel};
use sea_orm::entity::prelude::*;

/// Field technicians: a profile (linked to a user account when they log in), zone, capacity, availability.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technicians")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub employee_id: String,
    pub full_name: String,
    pub phone: String,
    pub skill_level: SkillLevel,
    pub work_zone: String,
    pub max_daily_tickets: i32,
    pub work_start: String,
    pub work_end: String,
    pub availability: Availability,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
