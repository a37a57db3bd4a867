use aglis_core::payment::{PaymentMethod, PaymentStatus};
use sea_orm::entity::prelude::*;

/// Money received, by hand or through a gateway (`gateway_ref`: its transaction id, unique).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub invoice_id: Option<i64>,
    pub method: PaymentMethod,
    pub amount: i64,
    pub status: PaymentStatus,
    pub gateway: Option<String>,
    pub gateway_ref: Option<String>,
    pub entered_by: Option<i64>,
    pub verified_by: Option<i64>,
    pub received_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
