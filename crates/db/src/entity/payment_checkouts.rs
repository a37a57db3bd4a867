use aglis_core::payment_gateway::GatewayState;
use sea_orm::entity::prelude::*;

/// One attempt to pay an invoice online: a Snap transaction or a Xendit invoice, and the state its
/// callbacks and status polls moved it to (forward only).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_checkouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub customer_id: i64,
    /// `midtrans`, `xendit`.
    pub gateway: String,
    /// The invoice number and an attempt suffix (`INV-202612-000123-2`).
    pub order_id: String,
    pub amount: i64,
    pub state: GatewayState,
    /// The Snap token or the Xendit invoice id.
    pub gateway_ref: String,
    pub pay_url: String,
    /// The gateway's transaction id once money moved.
    pub transaction_id: Option<String>,
    /// How the customer paid, as the gateway names it.
    pub method: Option<String>,
    pub payment_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The last status poll.
    pub checked_at: Option<DateTimeUtc>,
    pub checks: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
