use aglis_core::notification_catalog::Language;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// An event code of `aglis_core::notification_catalog::EVENTS`.
    pub event: String,
    /// `id` or `en`.
    pub language: Language,
    /// E-mail subject; may be empty.
    pub subject: String,
    pub body: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
