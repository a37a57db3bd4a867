use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: Channel,
    /// `628…` for WhatsApp, an address for e-mail.
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub template_code: Option<String>,
    /// JSON object of the template's values.
    pub variables: Option<String>,
    pub priority: JobPriority,
    pub status: MessageStatus,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    /// Fonnte's `stateid`, bound by the first status callback that carries it.
    pub provider_state_id: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub failed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
