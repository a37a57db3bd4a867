use aglis_core::alerting::{ErrorSource, ErrorStatus};
use sea_orm::entity::prelude::*;

/// One group of the error inbox: occurrences sharing a fingerprint, with the latest one's context.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "error_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fingerprint: String,
    pub source: ErrorSource,
    pub title: String,
    /// The route template (`/api/v1/tickets/{id}`) or the job kind.
    pub route: String,
    pub status: ErrorStatus,
    pub count: i64,
    pub first_seen: DateTimeUtc,
    pub last_seen: DateTimeUtc,
    pub last_request_id: Option<String>,
    pub last_user_id: Option<i64>,
    /// The cause chain and the backtrace of the latest occurrence.
    pub detail: String,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
