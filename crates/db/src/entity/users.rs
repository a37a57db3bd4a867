use aglis_core::permission::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub is_active: bool,
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The TOTP secret sealed with a key derived from the secret key (never the plain secret).
    /// Set and `totp_enabled_at` empty: an enrolment waiting for its first code.
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The TOTP step of the last accepted code: a code of this step or an older one is refused.
    pub totp_last_step: Option<i64>,
    pub last_failed_at: Option<DateTimeUtc>,
    /// Locked by the last lockout step, until an admin unlocks it.
    pub locked_forever: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
