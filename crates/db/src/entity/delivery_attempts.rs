use aglis_core::notification::Channel;
use sea_orm::entity::prelude::*;

/// One call to a provider for one message (several when a provider fails over to the next).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: i64,
    pub provider: String,
    pub channel: Channel,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
