//! Security settings: two-factor enforcement, lockout steps, session limits, audit retention.

use super::{ConfigError, err};

/// Validated security settings (`Config::security`).
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Days the audit log keeps records (`AGLIS_AUDIT_RETENTION_DAYS`).
    pub audit_retention_days: u32,
}

/// Reads the security variables through `get` (environment, then file).
pub fn parse(get: &impl Fn(&str) -> Option<String>) -> Result<SecurityConfig, ConfigError> {
    let audit_retention_days = match get("AGLIS_AUDIT_RETENTION_DAYS") {
        None => 90,
        Some(v) => v.parse::<u32>().ok().filter(|d| (1..=3650).contains(d)).ok_or_else(|| {
            err("AGLIS_AUDIT_RETENTION_DAYS", format!("`{v}` is not a number of days from 1 to 3650"))
        })?,
    };
    Ok(SecurityConfig { audit_retention_days })
}
