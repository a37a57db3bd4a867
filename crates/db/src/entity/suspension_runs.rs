use sea_orm::entity::prelude::*;

/// One run of the automatic suspension policy (issue 21).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suspension_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Customers overdue past the grace period.
    pub candidates: i32,
    pub suspended: i32,
    /// The circuit breaker stopped the run: nobody was suspended.
    pub tripped: bool,
    pub detail: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
