use aglis_core::enforcement::DeviceKind;
use sea_orm::entity::prelude::*;

/// A router or NAS that carries out suspensions (issue 21).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_devices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: DeviceKind,
    /// RouterOS: the base URL (`https://10.0.0.1`); RADIUS: the NAS's `ip:port` for Disconnect.
    pub address: String,
    /// RouterOS user (RADIUS: empty).
    pub username: String,
    /// The RouterOS password or RADIUS shared secret, sealed under `AGLIS_SECRET_KEY`.
    pub secret_sealed: String,
    /// Accept a self-signed certificate (RouterOS `www-ssl` usually has one).
    pub insecure_tls: bool,
    /// PPP profile (RouterOS) or RADIUS group of isolated customers.
    pub isolate_profile: String,
    /// Firewall address list of isolated static/DHCP customers.
    pub isolate_list: String,
    /// Only read the device and record what would change.
    pub dry_run: bool,
    pub enabled: bool,
    /// The last "test connection".
    pub checked_at: Option<DateTimeUtc>,
    pub check_ok: Option<bool>,
    pub check_detail: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
