use aglis_core::alerting::AlertStatus;
use sea_orm::entity::prelude::*;

/// One incident of one rule: from firing to resolved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule: String,
    pub status: AlertStatus,
    /// The measured value when it fired (`2.5 %`).
    pub value: String,
    pub detail: String,
    pub started_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<i64>,
    pub last_notified_at: Option<DateTimeUtc>,
    pub notifications: i32,
    /// Noticed while the database was down, notified directly, recorded afterwards.
    pub direct: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
