use aglis_core::notification_catalog::Language;
use aglis_core::registration::RegistrationStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `REGyyyymmddNNN`.
    pub number: String,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub status: RegistrationStatus,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    pub survey_at: Option<DateTimeUtc>,
    pub survey_feasible: Option<bool>,
    pub odp_id: Option<i64>,
    pub installation_at: Option<DateTimeUtc>,
    /// Set on approval: the customer (a prospect until activated).
    pub customer_id: Option<i64>,
    /// `id` or `en`: the language messages to them are written in.
    pub language: Language,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
