use sea_orm::entity::prelude::*;

/// A question and answer of the portal's help page, or an announcement on its home.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `faq` or `announcement`.
    pub kind: String,
    /// An announcement for the customers of this city only.
    pub city: Option<String>,
    pub title_id: String,
    pub body_id: String,
    pub title_en: String,
    pub body_en: String,
    pub position: i32,
    /// The last day an announcement shows.
    pub ends_on: Option<Date>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
