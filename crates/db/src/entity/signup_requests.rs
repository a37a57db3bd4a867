use sea_orm::entity::prelude::*;

/// A sign-up waiting for its one-time code (sent by WhatsApp).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signup_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the token in the confirmation page's URL.
    pub token_hash: String,
    pub phone: String,
    /// The form's checked fields, JSON.
    pub payload: String,
    /// SHA-256 of the token and the code.
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
