use sea_orm::entity::prelude::*;

/// A one-time code of the customer portal (sign-in, or confirming a new phone number).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the person typed, normalised: `62…` or a customer code.
    pub login_key: String,
    /// `None` when the key is nobody's: the row exists so a guess is answered like any other.
    pub customer_id: Option<i64>,
    /// `login` or `phone`.
    pub purpose: String,
    pub new_phone: Option<String>,
    /// SHA-256 of the row's salt-free key and the code (see the server's portal module).
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
