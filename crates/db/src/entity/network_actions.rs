use sea_orm::entity::prelude::*;

/// One change made, attempted or (dry run) planned on a device for a customer (issue 21).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub device_id: Option<i64>,
    /// `suspend`, `restore`, `drift` (the device differed from what was last applied), `bind`.
    pub action: String,
    /// `policy`, `payment`, `reconciler`, or `user:<username>`.
    pub requested_by: String,
    pub reason: String,
    pub dry_run: bool,
    pub ok: bool,
    /// The writes, one per line (none: the device was already right).
    pub steps: String,
    pub error: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
