//! Network enforcement ("isolir", issue 21) as plain rules: what service a customer should have,
//! how a device enforces it, when the suspension policy may act, when its circuit breaker stops a
//! run, and how soon a failed device call is tried again.

use crate::customer::CustomerStatus;
use chrono::{Datelike, Duration, NaiveDate, Weekday};

crate::str_enum! {
    "service state",
    /// What the customer's connection should be (desired) or is on the device (applied).
    pub enum ServiceState {
        Active = "active",
        Suspended = "suspended",
    }
}

crate::str_enum! {
    "suspension reason",
    /// Why a service is suspended. Only `overdue` is lifted by a payment by itself.
    pub enum SuspendReason {
        /// An invoice stayed unpaid past the grace period (the policy, or staff for that reason).
        Overdue = "overdue",
        /// Staff decided (a request, a dispute).
        Manual = "manual",
        /// Abuse or fraud: only staff lift it.
        Fraud = "fraud",
    }
}

crate::str_enum! {
    "network device kind",
    pub enum DeviceKind {
        /// MikroTik RouterOS v7, REST over HTTPS (`/rest`).
        Routeros = "routeros",
        /// MikroTik RouterOS 6 (or 7 without REST): the binary API on port 8728.
        RouterosApi = "routeros_api",
        /// A NAS taking RFC 5176 Disconnect-Requests; the user's group lives in `radusergroup`.
        Radius = "radius",
    }
}

crate::str_enum! {
    "enforcement method",
    /// How a device isolates one customer (spec/network-enforcement.md §3).
    pub enum Method {
        /// PPPoE secret switched to the isolation profile, session kicked (pattern b).
        PppoeProfile = "pppoe_profile",
        /// PPPoE secret disabled, session kicked (pattern a: no payment page).
        PppoeDisable = "pppoe_disable",
        /// The customer's static or DHCP address in the isolation address list (pattern c).
        AddressList = "address_list",
        /// The RADIUS user moved to the isolation group, then disconnected.
        Radius = "radius",
    }
}

impl DeviceKind {
    /// A MikroTik router (either protocol), as opposed to a RADIUS NAS.
    pub fn is_router(self) -> bool {
        self != DeviceKind::Radius
    }
}

impl Method {
    /// Which methods a device of `kind` can carry out.
    pub fn fits(self, kind: DeviceKind) -> bool {
        match kind {
            DeviceKind::Routeros | DeviceKind::RouterosApi => self != Method::Radius,
            DeviceKind::Radius => self == Method::Radius,
        }
    }

    /// Whether the identity is an IPv4 address (otherwise a PPPoE or RADIUS user name).
    pub fn identity_is_address(self) -> bool {
        self == Method::AddressList
    }
}

/// The state a customer's service should have in each life-cycle status: only an active customer
/// is let onto the network.
pub fn desired_for(status: CustomerStatus) -> ServiceState {
    if status == CustomerStatus::Active { ServiceState::Active } else { ServiceState::Suspended }
}

/// Why an identity cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("enter the customer's IPv4 address, e.g. 10.20.0.15")]
    Address,
    #[error("a user name is 1–64 letters, digits and . _ @ -")]
    UserName,
}

/// Checks a service identity for `method` and returns it trimmed: an IPv4 address for the address
/// list, else a PPPoE/RADIUS user name.
pub fn check_identity(method: Method, identity: &str) -> Result<String, IdentityError> {
    let identity = identity.trim();
    if method.identity_is_address() {
        return identity.parse::<std::net::Ipv4Addr>().map(|ip| ip.to_string()).map_err(|_| IdentityError::Address);
    }
    let ok = (1..=64).contains(&identity.len())
        && identity.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if ok { Ok(identity.to_owned()) } else { Err(IdentityError::UserName) }
}

/// When the automatic suspension may act.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// No automatic suspension on Saturdays and Sundays.
    pub skip_weekends: bool,
    /// Nor on these days (public holidays, WIB dates).
    pub holidays: Vec<NaiveDate>,
}

impl Calendar {
    /// Whether the policy may suspend anyone on `day` (WIB).
    pub fn allows(&self, day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let weekend_off = self.skip_weekends && weekend;
        !weekend_off && !self.holidays.contains(&day)
    }
}

/// Reads a holiday list: dates `YYYY-MM-DD` separated by commas, spaces or new lines.
pub fn parse_holidays(text: &str) -> Result<Vec<NaiveDate>, String> {
    let mut days = Vec::new();
    for word in text.split([',', ' ', '\n', ';']).map(str::trim).filter(|w| !w.is_empty()) {
        let day =
            NaiveDate::parse_from_str(word, "%Y-%m-%d").map_err(|_| format!("`{word}` is not a date YYYY-MM-DD"))?;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort_unstable();
    Ok(days)
}

/// A run suspending fewer customers than this never trips the breaker (a small ISP's ordinary
/// month-end can be a large share of few customers).
pub const BREAKER_MIN: usize = 5;

/// Whether a run that would suspend `would_suspend` of `customers` (the active customers of a
/// device, or of all devices) is so far beyond normal that it is more likely a billing mistake:
/// at least [`BREAKER_MIN`] and more than `max_share_pct` percent.
pub fn breaker_trips(would_suspend: usize, customers: usize, max_share_pct: u32) -> bool {
    let limit = customers.saturating_mul(max_share_pct as usize);
    would_suspend >= BREAKER_MIN && would_suspend.saturating_mul(100) > limit
}

/// Delay before trying a device again after `failures` failed tries in a row (1 = the first):
/// 5 s, 15 s, 60 s, then every 5 minutes. Restoring is never given up.
pub fn retry_after(failures: u32) -> Duration {
    match failures {
        0 | 1 => Duration::seconds(5),
        2 => Duration::seconds(15),
        3 => Duration::seconds(60),
        _ => Duration::minutes(5),
    }
}

/// A paid customer still suspended on the device this long after the payment is an alert.
pub const PAID_ALERT_AFTER: Duration = Duration::minutes(5);

/// Every service is read back from its device at least this often, so drift (a change made by
/// hand on the router) is found and corrected.
pub const DRIFT_CHECK_EVERY: Duration = Duration::minutes(15);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn only_active_customers_are_let_on() {
        assert_eq!(desired_for(CustomerStatus::Active), ServiceState::Active);
        for s in [CustomerStatus::Suspended, CustomerStatus::Terminated, CustomerStatus::Prospect] {
            assert_eq!(desired_for(s), ServiceState::Suspended, "{s}");
        }
    }

    #[test]
    fn methods_fit_their_device() {
        assert!(Method::PppoeProfile.fits(DeviceKind::Routeros));
        assert!(Method::AddressList.fits(DeviceKind::Routeros));
        assert!(!Method::Radius.fits(DeviceKind::Routeros));
        assert!(Method::PppoeProfile.fits(DeviceKind::RouterosApi));
        assert!(!Method::Radius.fits(DeviceKind::RouterosApi));
        assert!(Method::Radius.fits(DeviceKind::Radius));
        assert!(!Method::PppoeDisable.fits(DeviceKind::Radius));
    }

    #[test]
    fn identities_are_checked_per_method() {
        assert_eq!(check_identity(Method::AddressList, " 10.20.0.15 "), Ok("10.20.0.15".into()));
        assert_eq!(check_identity(Method::AddressList, "budi"), Err(IdentityError::Address));
        assert_eq!(check_identity(Method::AddressList, "10.20.0.300"), Err(IdentityError::Address));
        assert_eq!(check_identity(Method::PppoeProfile, "budi.ktw@fiber"), Ok("budi.ktw@fiber".into()));
        assert_eq!(check_identity(Method::PppoeProfile, "budi santoso"), Err(IdentityError::UserName));
        assert_eq!(check_identity(Method::Radius, ""), Err(IdentityError::UserName));
        assert_eq!(check_identity(Method::Radius, &"a".repeat(65)), Err(IdentityError::UserName));
    }

    #[test]
    fn the_calendar_skips_weekends_and_holidays_when_asked() {
        let sat = d("2026-12-05");
        let mon = d("2026-12-07");
        let christmas = d("2026-12-25");
        let plain = Calendar::default();
        assert!(plain.allows(sat) && plain.allows(christmas));
        let careful = Calendar { skip_weekends: true, holidays: vec![christmas] };
        assert!(!careful.allows(sat));
        assert!(careful.allows(mon));
        assert!(!careful.allows(christmas));
    }

    #[test]
    fn holidays_parse_and_refuse_nonsense() {
        assert_eq!(parse_holidays("2026-12-25, 2026-01-01\n2026-12-25"), Ok(vec![d("2026-01-01"), d("2026-12-25")]));
        assert_eq!(parse_holidays(""), Ok(vec![]));
        assert!(parse_holidays("25/12/2026").is_err());
    }

    #[test]
    fn the_breaker_trips_on_a_large_share_only() {
        assert!(!breaker_trips(4, 10, 10), "fewer than the minimum never trips");
        assert!(breaker_trips(5, 10, 10));
        assert!(!breaker_trips(10, 100, 10), "exactly the share is allowed");
        assert!(breaker_trips(11, 100, 10));
        assert!(!breaker_trips(50, 100, 100));
        assert!(breaker_trips(5, 0, 10), "suspending customers a device does not have is a mistake");
    }

    #[test]
    fn retries_back_off_and_never_stop() {
        let s: Vec<i64> = (1..=6).map(|n| retry_after(n).num_seconds()).collect();
        assert_eq!(s, [5, 15, 60, 300, 300, 300]);
    }
}
