//! The sellable network: internet packages and ODPs (optical distribution points, where a
//! customer's drop cable is spliced onto a port).

crate::str_enum! {
    "ODP status",
    /// An ODP's state. Only `active` ODPs with a free port take new customers.
    pub enum OdpStatus {
        Active = "active",
        Full = "full",
        Maintenance = "maintenance",
        Inactive = "inactive",
    }
}

/// Most ports an ODP can have (splitters are 1:8 or 1:16; cabinets of several splitters up to 128).
pub const MAX_PORTS: i32 = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    #[error("ODP codes look like ODP-KRW-001-A12: letters, digits and dashes, 3–40 characters")]
    OdpCode,
    #[error("an ODP has 1–{MAX_PORTS} ports")]
    Ports,
    #[error("port {port} does not exist: this ODP has ports 1–{total}")]
    NoSuchPort { port: i32, total: i32 },
    #[error("latitude must be between -90 and 90, longitude between -180 and 180")]
    Location,
    #[error("speed must be 1–10000 Mbps")]
    Speed,
}

/// An ODP code, upper-cased: `ODP-KRW-001-A12`.
pub fn parse_odp_code(raw: &str) -> Result<String, NetworkError> {
    let s = raw.trim().to_uppercase();
    let ok = (3..=40).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok { Ok(s) } else { Err(NetworkError::OdpCode) }
}

pub fn check_ports(total: i32) -> Result<(), NetworkError> {
    if (1..=MAX_PORTS).contains(&total) { Ok(()) } else { Err(NetworkError::Ports) }
}

pub fn check_port(port: i32, total: i32) -> Result<(), NetworkError> {
    if (1..=total).contains(&port) { Ok(()) } else { Err(NetworkError::NoSuchPort { port, total }) }
}

/// A point on the map (WGS 84).
pub fn check_location(lat: f64, lon: f64) -> Result<(), NetworkError> {
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && lat.is_finite() && lon.is_finite() {
        Ok(())
    } else {
        Err(NetworkError::Location)
    }
}

pub fn check_speed(mbps: i32) -> Result<(), NetworkError> {
    if (1..=10_000).contains(&mbps) { Ok(()) } else { Err(NetworkError::Speed) }
}

/// The status an ODP should show for its port use: a full active ODP is `full`, and one that
/// frees a port is `active` again; maintenance and inactive are set by hand and kept.
pub fn odp_status_for_use(current: OdpStatus, used: i32, total: i32) -> OdpStatus {
    match current {
        OdpStatus::Active | OdpStatus::Full if used >= total => OdpStatus::Full,
        OdpStatus::Active | OdpStatus::Full => OdpStatus::Active,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odp_codes() {
        assert_eq!(parse_odp_code(" odp-krw-001-a12 "), Ok("ODP-KRW-001-A12".into()));
        assert!(parse_odp_code("ODP KRW").is_err());
        assert!(parse_odp_code("-X").is_err());
        assert!(parse_odp_code("").is_err());
    }

    #[test]
    fn ports_and_places() {
        assert!(check_ports(8).is_ok() && check_ports(0).is_err() && check_ports(129).is_err());
        assert!(check_port(8, 8).is_ok());
        assert_eq!(check_port(9, 8), Err(NetworkError::NoSuchPort { port: 9, total: 8 }));
        assert!(check_location(-6.3227, 107.3376).is_ok(), "Karawang");
        assert!(check_location(91.0, 0.0).is_err() && check_location(0.0, f64::NAN).is_err());
    }

    #[test]
    fn full_follows_port_use_but_manual_states_stay() {
        assert_eq!(odp_status_for_use(OdpStatus::Active, 8, 8), OdpStatus::Full);
        assert_eq!(odp_status_for_use(OdpStatus::Full, 7, 8), OdpStatus::Active);
        assert_eq!(odp_status_for_use(OdpStatus::Maintenance, 8, 8), OdpStatus::Maintenance);
        assert_eq!(odp_status_for_use(OdpStatus::Inactive, 0, 8), OdpStatus::Inactive);
    }
}
