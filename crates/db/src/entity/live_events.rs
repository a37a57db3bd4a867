use sea_orm::entity::prelude::*;

/// One thing the open pages hear about (migration m0035).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// [`aglis_core::live::LiveKind`] as text.
    pub kind: String,
    pub ticket_id: Option<i64>,
    /// The ticket's technicians (lead and team) when it happened: `",3,5,"`.
    pub technicians: String,
    /// The user it is addressed to (their bell), if any.
    pub for_user: Option<i64>,
    /// A small JSON object of ids and list fields.
    pub data: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
