use aglis_core::enforcement::{Method, ServiceState};
use sea_orm::entity::prelude::*;

/// A customer's service bound to a network device (issue 21). The desired state is the customer's
/// status; `applied` is what the device was last made or seen to do.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: i64,
    pub device_id: i64,
    pub method: Method,
    /// PPPoE/RADIUS user name, or the IPv4 address for the address list.
    pub identity: String,
    /// The plan's PPP profile or RADIUS group to restore (read from the device when suspending).
    pub paid_profile: Option<String>,
    /// `None` until the device was first read.
    pub applied: Option<ServiceState>,
    pub applied_at: Option<DateTimeUtc>,
    /// The last time the device was read for this service.
    pub checked_at: Option<DateTimeUtc>,
    /// Failed tries in a row.
    pub failures: i32,
    /// When the reconciler should look at this service next (`None`: at the next drift check).
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_error: String,
    /// When the customer's status (the desired state) last changed.
    pub desired_since: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
