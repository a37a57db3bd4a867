use sea_orm::entity::prelude::*;

/// The job queue once a minute: jobs due or waiting, dead jobs, the oldest due job's age.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_samples")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub minute: DateTimeUtc,
    pub depth: i64,
    pub dead: i64,
    pub oldest_due_secs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
