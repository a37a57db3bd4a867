use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `fonnte`, `meta`, …
    pub source: String,
    /// The body exactly as received.
    pub payload: String,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    /// `applied`, `ignored` (nothing changed), `unmatched` (no such message), `invalid`.
    pub outcome: Option<String>,
    pub message_id: Option<i64>,
    /// The payment checkout a gateway callback was about.
    pub checkout_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
