use sea_orm::entity::prelude::*;

/// One instance's requests in one minute (UTC, truncated): count, 5xx answers, latency sum and max.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_minutes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub instance: String,
    pub minute: DateTimeUtc,
    pub requests: i64,
    pub errors: i64,
    pub latency_ms_sum: i64,
    pub latency_ms_max: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
