use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::SuspendReason;
use aglis_core::notification_catalog::Language;
use aglis_core::prepaid::BillingMode;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `AGLSyyyymmddNNNN`.
    pub code: String,
    pub name: String,
    /// `628…`.
    pub phone: String,
    pub email: Option<String>,
    pub ktp: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub odp_id: Option<i64>,
    pub odp_port: Option<i32>,
    pub status: CustomerStatus,
    /// The portal account (role `customer`), when linked.
    pub user_id: Option<i64>,
    pub notes: String,
    pub registered_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub suspended_at: Option<DateTimeUtc>,
    pub terminated_at: Option<DateTimeUtc>,
    /// `id` or `en`: the language messages to them are written in.
    pub language: Language,
    /// No PPN on this customer's invoices.
    pub tax_exempt: bool,
    /// Postpaid (a monthly invoice) or prepaid (a term paid ahead).
    pub billing_mode: BillingMode,
    /// The last day of service paid ahead (prepaid terms), Asia/Jakarta.
    pub paid_until: Option<Date>,
    /// Kinds of optional message the customer turned off (`tickets,news`), see `aglis_core::portal`.
    pub muted_messages: String,
    /// Why a suspended customer is (`overdue` is lifted by paying; `manual`, `fraud` by staff).
    pub suspend_reason: Option<SuspendReason>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
