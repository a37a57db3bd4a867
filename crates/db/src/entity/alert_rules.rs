use sea_orm::entity::prelude::*;

/// An alert rule's editable settings (`aglis_core::alerting::RuleCode` names the rule).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
    pub renotify_minutes: i32,
    /// E-mail addresses and WhatsApp numbers, one per line; empty: every active admin.
    pub recipients: String,
    pub muted_until: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
