use aglis_core::broadcast::TargetKind;
use sea_orm::entity::prelude::*;

/// A notice sent to the customers of an ODP, an area or a package.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "broadcasts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub target_kind: TargetKind,
    /// The ODP or package (none for an area).
    pub target_id: Option<i64>,
    pub target_area: Option<String>,
    /// The ODP code, area or package name at the time of sending.
    pub target_label: String,
    pub body_id: String,
    /// Empty: English readers get the Indonesian text.
    pub body_en: String,
    pub recipients: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
