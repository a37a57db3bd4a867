use aglis_core::customer::PauseReason;
use sea_orm::entity::prelude::*;

/// Days a customer's service was suspended or paused: from `from_day` up to, not including,
/// `until_day` (open while it lasts). Never billed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_pauses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub reason: PauseReason,
    pub from_day: Date,
    pub until_day: Option<Date>,
    pub note: String,
    /// Days of a prepaid term this pause moved on (`customers.paid_until` later by as many).
    pub prepaid_days: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
