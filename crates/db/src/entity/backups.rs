use aglis_core::backup::{BackupStatus, RemoteStatus, Trigger, VerifyStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub trigger: Trigger,
    pub status: BackupStatus,
    pub stage: Option<String>,
    pub progress: i32,
    pub host: String,
    pub created_by: Option<i64>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub size_bytes: Option<i64>,
    pub manifest: Option<String>,
    pub error: Option<String>,
    pub remote_status: RemoteStatus,
    pub verify_status: VerifyStatus,
    pub verified_at: Option<DateTimeUtc>,
    pub verify_ms: Option<i64>,
    pub verify_error: Option<String>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
